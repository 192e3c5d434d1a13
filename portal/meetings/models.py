"""MAPPA meetings, their minutes (versioned) and the actions they raise (domain.md §1.8, §8.2).

Rich-text columns (the minutes' narrative, risk issues, dissent, action updates) hold only
:func:`portal.core.sanitise.clean_rich_text` output.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db.base import Base, UUIDPrimaryKey
from portal.db.types import enum_check


class MeetingKind(StrEnum):
    INITIAL = "INITIAL"
    REVIEW = "REVIEW"


class RoshLevel(StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    VERY_HIGH = "VERY_HIGH"


class Attendance(StrEnum):
    PRESENT = "PRESENT"
    APOLOGIES = "APOLOGIES"


class MinutesStatus(StrEnum):
    DRAFT = "DRAFT"
    CHAIR_APPROVED = "CHAIR_APPROVED"
    DISTRIBUTED = "DISTRIBUTED"


class Pillar(StrEnum):
    SUPERVISION = "SUPERVISION"
    MONITORING_CONTROL = "MONITORING_CONTROL"
    INTERVENTIONS = "INTERVENTIONS"
    VICTIM_SAFETY = "VICTIM_SAFETY"


class ActionStatus(StrEnum):
    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    NOT_ACHIEVED = "NOT_ACHIEVED"
    SUPERSEDED = "SUPERSEDED"
    CANCELLED = "CANCELLED"


class Meeting(UUIDPrimaryKey, Base):
    """One Level 2 or 3 meeting about one subject; the live record its draft minutes show."""

    __tablename__ = "mappa_meeting"
    __table_args__ = (
        CheckConstraint(enum_check("kind", MeetingKind), name="kind"),
        CheckConstraint("level BETWEEN 2 AND 3", name="level"),
        CheckConstraint("level_decision IS NULL OR level_decision BETWEEN 1 AND 3", name="decided"),
        CheckConstraint("sequence >= 1", name="sequence"),
        CheckConstraint("grace_days BETWEEN 0 AND 90", name="grace_days"),
        UniqueConstraint("subject_id", "sequence"),
    )

    subject_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subject.id", ondelete="RESTRICT"), index=True
    )
    #: The subject's owning agency: its co-ordinators hold the meeting record.
    owner_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(16))
    sequence: Mapped[int] = mapped_column(Integer)
    level: Mapped[int] = mapped_column(Integer)
    held_on: Mapped[date] = mapped_column(Date)
    location: Mapped[str] = mapped_column(String(200))
    is_virtual: Mapped[bool] = mapped_column(default=False)
    mappa_area: Mapped[str] = mapped_column(String(100))
    chair_name: Mapped[str | None] = mapped_column(String(200))
    chair_agency_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agency.id", ondelete="RESTRICT")
    )
    chair_role: Mapped[str | None] = mapped_column(String(200))
    confidentiality_read: Mapped[bool] = mapped_column(default=False)
    category_level_confirmed: Mapped[bool] = mapped_column(default=False)
    rosh_children: Mapped[str | None] = mapped_column(String(16))
    rosh_public: Mapped[str | None] = mapped_column(String(16))
    rosh_known_adult: Mapped[str | None] = mapped_column(String(16))
    rosh_staff: Mapped[str | None] = mapped_column(String(16))
    victim_issues: Mapped[str] = mapped_column(Text, default="")
    diversity_issues: Mapped[str] = mapped_column(Text, default="")
    dissent: Mapped[str] = mapped_column(Text, default="")
    discussion: Mapped[str] = mapped_column(Text, default="")
    level_decision: Mapped[int | None] = mapped_column(Integer)
    lead_agency_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agency.id", ondelete="RESTRICT")
    )
    next_review_on: Mapped[date | None] = mapped_column(Date)
    #: Days after the next review that the grants distribution creates still run.
    grace_days: Mapped[int] = mapped_column(Integer, default=14)
    #: ``Marking.to_json()``; minutes default to OFFICIAL-SENSITIVE, PERSONAL DATA.
    marking: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT")
    )
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]

    attendees: Mapped[list[MeetingAttendee]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="MeetingAttendee.position"
    )
    decisions: Mapped[list[MeetingDecision]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="MeetingDecision.position"
    )


class MeetingAttendee(UUIDPrimaryKey, Base):
    __tablename__ = "mappa_meeting_attendee"
    __table_args__ = (CheckConstraint(enum_check("attendance", Attendance), name="attendance"),)

    meeting_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("mappa_meeting.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(200))
    attendance: Mapped[str] = mapped_column(String(16))


class MeetingDecision(UUIDPrimaryKey, Base):
    """A decision and the rationale for it (defensible decision making, Ch.11.14)."""

    __tablename__ = "mappa_meeting_decision"
    __table_args__ = (
        CheckConstraint("length(decision) > 0", name="decision"),
        CheckConstraint("length(rationale) > 0", name="rationale"),
    )

    meeting_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("mappa_meeting.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(Text)
    rationale: Mapped[str] = mapped_column(Text)


class MinutesVersion(UUIDPrimaryKey, Base):
    """One version of a meeting's minutes. Approval freezes the record into ``snapshot``; an
    amendment after distribution starts a new version and leaves this one as it was."""

    __tablename__ = "mappa_minutes_version"
    __table_args__ = (
        CheckConstraint(enum_check("status", MinutesStatus), name="status"),
        CheckConstraint("number >= 1", name="number"),
        CheckConstraint("status = 'DRAFT' OR snapshot IS NOT NULL", name="frozen"),
        UniqueConstraint("meeting_id", "number"),
    )

    meeting_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("mappa_meeting.id", ondelete="RESTRICT"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    #: Why this version amends the last one (versions after the first).
    amendment_reason: Mapped[str | None] = mapped_column(Text)
    #: The meeting record as approved (JSON), rich text already clean.
    snapshot: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT")
    )
    created_at: Mapped[datetime]
    approved_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT")
    )
    approved_at: Mapped[datetime | None]
    distributed_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT")
    )
    distributed_at: Mapped[datetime | None]


class MinutesRecipient(UUIDPrimaryKey, Base):
    """An agency a version was distributed to, and the grant distribution gave it."""

    __tablename__ = "mappa_minutes_recipient"
    __table_args__ = (UniqueConstraint("version_id", "agency_id"),)

    version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("mappa_minutes_version.id", ondelete="RESTRICT"), index=True
    )
    meeting_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("mappa_meeting.id", ondelete="RESTRICT"), index=True
    )
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id", ondelete="RESTRICT"))
    grant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("access_grant.id", ondelete="RESTRICT"))
    dp_condition: Mapped[str] = mapped_column(String(48))
    #: The chair's recorded consent, for an agency outside the meeting's distribution list.
    chair_consent: Mapped[str | None] = mapped_column(Text)
    distributed_at: Mapped[datetime]


class MinutesWithheld(UUIDPrimaryKey, Base):
    """An agency on a version's distribution list that the chair chose not to send it to, and
    why: the decision not to share is recorded as carefully as the decision to share."""

    __tablename__ = "mappa_minutes_withheld"
    __table_args__ = (UniqueConstraint("version_id", "agency_id"),)

    version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("mappa_minutes_version.id", ondelete="RESTRICT"), index=True
    )
    meeting_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("mappa_meeting.id", ondelete="RESTRICT"), index=True
    )
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id", ondelete="RESTRICT"))
    reason: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime]


class MeetingAction(UUIDPrimaryKey, Base):
    """An action raised in a meeting; overdue is derived from the database date, never stored."""

    __tablename__ = "mappa_action"
    __table_args__ = (
        CheckConstraint(enum_check("status", ActionStatus), name="status"),
        CheckConstraint(enum_check("pillar", Pillar), name="pillar"),
        CheckConstraint("length(description) > 0", name="description"),
        CheckConstraint("minutes_version >= 1", name="minutes_version"),
        Index("ix_mappa_action_owner_due", "owner_agency_id", "due_on", "id"),
    )

    meeting_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("mappa_meeting.id", ondelete="RESTRICT"), index=True
    )
    #: The number of the minutes version whose draft raised the action. Actions belong to the
    #: meeting, not to a version, so this is what keeps an action raised in an amendment's
    #: draft with the chair: a partner follows it only once its agency has been sent this
    #: version or a later one.
    minutes_version: Mapped[int] = mapped_column(Integer)
    subject_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subject.id", ondelete="RESTRICT"), index=True
    )
    description: Mapped[str] = mapped_column(Text)
    pillar: Mapped[str] = mapped_column(String(24))
    owner_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id", ondelete="RESTRICT"))
    owner_person: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    #: ``Marking.to_json()`` (the minutes' marking when raised).
    marking: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT")
    )
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]


class ActionUpdate(UUIDPrimaryKey, Base):
    """A change of an action's status with the update (or reason) that evidences it."""

    __tablename__ = "mappa_action_update"
    __table_args__ = (
        CheckConstraint(enum_check("status_to", ActionStatus), name="status_to"),
        CheckConstraint("length(note) > 0", name="note"),
    )

    action_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("mappa_action.id", ondelete="RESTRICT"), index=True
    )
    status_from: Mapped[str] = mapped_column(String(16))
    status_to: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    author_agency_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agency.id", ondelete="RESTRICT")
    )
    created_at: Mapped[datetime]


class CarriedAction(Base):
    """An unfinished action carried onto a later review meeting's agenda."""

    __tablename__ = "mappa_carried_action"

    meeting_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("mappa_meeting.id", ondelete="RESTRICT"), primary_key=True
    )
    action_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("mappa_action.id", ondelete="RESTRICT"), primary_key=True
    )
