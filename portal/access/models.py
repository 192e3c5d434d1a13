"""The tables the gate decides on: grants, LAO lists, confidentiality acknowledgements.

They live in the kernel so the gate never imports a feature; subjects and records are referred
to by table name only. The ``grants`` feature holds the life-cycle use cases and their pages.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db.base import Base, UUIDPrimaryKey
from portal.db.types import enum_check


class GrantStatus(StrEnum):
    """Stored states. "Expired" is never stored: it is decided at access time by the database
    clock (``expires_at <= now``), so no clean-up job can be late."""

    REQUESTED = "REQUESTED"
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    REVOKED = "REVOKED"
    REFUSED = "REFUSED"


class ScopeKind(StrEnum):
    SUBJECT = "SUBJECT"
    RECORD = "RECORD"


class ViewProfile(StrEnum):
    SUMMARY = "SUMMARY"
    SUMMARY_AND_ACTIONS = "SUMMARY_AND_ACTIONS"
    FULL = "FULL"

    @property
    def label(self) -> str:
        return VIEW_PROFILE_LABELS[self]


VIEW_PROFILE_LABELS = {
    ViewProfile.SUMMARY: "Summary only",
    ViewProfile.SUMMARY_AND_ACTIONS: "Summary and actions",
    ViewProfile.FULL: "Full record",
}


class LaoKind(StrEnum):
    """Limited-access lists (the nDelius LAO pattern)."""

    EXCLUSION = "EXCLUSION"  # named users barred, even with a grant
    RESTRICTION = "RESTRICTION"  # only named users allowed


class AccessGrant(UUIDPrimaryKey, Base):
    """A partner agency's (or one named user's) access to a subject or one record."""

    __tablename__ = "access_grant"
    __table_args__ = (
        CheckConstraint(enum_check("status", GrantStatus), name="status"),
        CheckConstraint(enum_check("scope_kind", ScopeKind), name="scope_kind"),
        CheckConstraint(
            "view_profile IS NULL OR " + enum_check("view_profile", ViewProfile),
            name="view_profile",
        ),
        CheckConstraint(
            "(scope_kind = 'SUBJECT' AND view_profile IS NOT NULL AND record_id IS NULL)"
            " OR (scope_kind = 'RECORD' AND record_id IS NOT NULL)",
            name="scope_shape",
        ),
        CheckConstraint("expires_at > valid_from", name="window"),
        CheckConstraint("length(justification) > 0", name="justification"),
        Index("ix_access_grant_lookup", "grantee_agency_id", "subject_id", "status"),
    )

    owner_agency_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agency.id", ondelete="RESTRICT"), index=True
    )
    grantee_agency_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agency.id", ondelete="RESTRICT")
    )
    #: When set, only this user of the grantee agency benefits from the grant.
    grantee_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT")
    )
    scope_kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subject.id", ondelete="RESTRICT"), index=True
    )
    record_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("shared_record.id", ondelete="RESTRICT")
    )
    view_profile: Mapped[str | None] = mapped_column(String(24))
    legal_gateway: Mapped[str] = mapped_column(String(48))
    dp_condition: Mapped[str] = mapped_column(String(48))
    justification: Mapped[str] = mapped_column(Text)
    isa_reference: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16))
    valid_from: Mapped[datetime]
    expires_at: Mapped[datetime]
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT")
    )
    requested_at: Mapped[datetime | None]
    granted_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT")
    )
    approved_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT")
    )
    approved_at: Mapped[datetime | None]
    ended_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT")
    )
    ended_at: Mapped[datetime | None]
    #: Why it was refused, revoked or suspended.
    status_reason: Mapped[str | None] = mapped_column(Text)
    #: The grant this one renews (renewal needs a fresh justification).
    renews_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("access_grant.id", ondelete="RESTRICT")
    )
    created_at: Mapped[datetime]


class LaoList(Base):
    """A subject's exclusion or restriction list, with the message a refused user sees."""

    __tablename__ = "lao_list"
    __table_args__ = (CheckConstraint(enum_check("kind", LaoKind), name="kind"),)

    subject_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subject.id", ondelete="RESTRICT"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    message: Mapped[str] = mapped_column(Text)


class LaoMember(Base):
    __tablename__ = "lao_member"
    __table_args__ = (CheckConstraint(enum_check("kind", LaoKind), name="kind"),)

    subject_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subject.id", ondelete="RESTRICT"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT"), primary_key=True
    )


class ConfidentialityAcknowledgement(UUIDPrimaryKey, Base):
    """A user's acknowledgement, under one grant, that nothing is shared onward (MAPPA D)."""

    __tablename__ = "confidentiality_acknowledgement"
    __table_args__ = (UniqueConstraint("grant_id", "user_id"),)

    grant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("access_grant.id", ondelete="RESTRICT"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    acknowledged_at: Mapped[datetime]


class BreakGlassWindow(UUIDPrimaryKey, Base):
    """An emergency opening of one subject by one user without a grant, for a fixed window.

    The gate reads it (at the database clock) when no grant lets the user in; every event in
    the window carries the ``EMERGENCY`` code. Rows are never changed: a window ends by time.
    """

    __tablename__ = "break_glass_window"
    __table_args__ = (
        CheckConstraint("ends_at > started_at", name="window"),
        CheckConstraint("length(reason) >= 20", name="reason"),
        Index("ix_break_glass_window_lookup", "user_id", "subject_id", "ends_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id", ondelete="RESTRICT"))
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subject.id", ondelete="RESTRICT"))
    reason: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime]
    ends_at: Mapped[datetime]
