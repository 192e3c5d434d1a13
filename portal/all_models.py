"""Import every model so the metadata is complete (migrations and schema tests only)."""

from portal.access.models import (
    AccessGrant,
    BreakGlassWindow,
    ConfidentialityAcknowledgement,
    LaoList,
    LaoMember,
)
from portal.agencies.models import Agency
from portal.audit.models import AuditCheckpoint, AuditEventRow, AuditHead, AuditVerification
from portal.auth.models import LoginThrottle, UserIdentity, UserSession
from portal.csods.models import (
    CsodsAgencyCheck,
    CsodsApplication,
    CsodsChild,
    CsodsDecision,
    CsodsDelivery,
    CsodsPause,
    CsodsReferral,
    CsodsReturnedDecision,
    CsodsStageChange,
)
from portal.db.submissions import FormSubmission
from portal.governance.models import Alert, AlertDisposition, AlertScan
from portal.meetings.models import (
    ActionUpdate,
    CarriedAction,
    Meeting,
    MeetingAction,
    MeetingAttendee,
    MeetingDecision,
    MinutesRecipient,
    MinutesVersion,
)
from portal.records.models import SharedRecord
from portal.subjects.models import Subject, SubjectAlias
from portal.users.models import User, UserRole

__all__ = [
    "AccessGrant",
    "ActionUpdate",
    "Agency",
    "Alert",
    "AlertDisposition",
    "AlertScan",
    "AuditCheckpoint",
    "AuditEventRow",
    "AuditHead",
    "AuditVerification",
    "BreakGlassWindow",
    "CarriedAction",
    "ConfidentialityAcknowledgement",
    "CsodsAgencyCheck",
    "CsodsApplication",
    "CsodsChild",
    "CsodsDecision",
    "CsodsDelivery",
    "CsodsPause",
    "CsodsReferral",
    "CsodsReturnedDecision",
    "CsodsStageChange",
    "FormSubmission",
    "LaoList",
    "LaoMember",
    "LoginThrottle",
    "Meeting",
    "MeetingAction",
    "MeetingAttendee",
    "MeetingDecision",
    "MinutesRecipient",
    "MinutesVersion",
    "SharedRecord",
    "Subject",
    "SubjectAlias",
    "User",
    "UserIdentity",
    "UserRole",
    "UserSession",
]
