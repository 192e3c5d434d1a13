"""Import every model so the metadata is complete (migrations and schema tests only)."""

from portal.access.models import AccessGrant, ConfidentialityAcknowledgement, LaoList, LaoMember
from portal.agencies.models import Agency
from portal.audit.models import AuditCheckpoint, AuditEventRow, AuditHead, AuditVerification
from portal.auth.models import LoginThrottle, UserIdentity, UserSession
from portal.governance import models as governance_models  # noqa: F401 - search indexes
from portal.records.models import SharedRecord
from portal.subjects.models import Subject, SubjectAlias
from portal.users.models import User, UserRole

__all__ = [
    "AccessGrant",
    "Agency",
    "AuditCheckpoint",
    "AuditEventRow",
    "AuditHead",
    "AuditVerification",
    "ConfidentialityAcknowledgement",
    "LaoList",
    "LaoMember",
    "LoginThrottle",
    "SharedRecord",
    "Subject",
    "SubjectAlias",
    "User",
    "UserIdentity",
    "UserRole",
    "UserSession",
]
