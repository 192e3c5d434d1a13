"""Import every model so the metadata is complete (migrations and schema tests only)."""

from portal.agencies.models import Agency
from portal.audit.models import AuditCheckpoint, AuditEventRow, AuditHead, AuditVerification
from portal.auth.models import LoginThrottle, UserIdentity, UserSession
from portal.users.models import User, UserRole

__all__ = [
    "Agency",
    "AuditCheckpoint",
    "AuditEventRow",
    "AuditHead",
    "AuditVerification",
    "LoginThrottle",
    "User",
    "UserIdentity",
    "UserRole",
    "UserSession",
]
