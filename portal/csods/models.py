"""CSODS applications, their children, stage history, pauses, referrals, decision and delivery
(domain §2.3, §8.1 CsodsApplication and DisclosureDecision).

Applicants' and children's details are OFFICIAL-SENSITIVE PERSONAL DATA; only the owning police
force's CSODS officers open them (``portal.access.policy.csods_refusal`` and the gate).
Verification records evidence *types* only: no copies are stored (domain §8.3).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.csods.stages import Outcome, Stage, Transition
from portal.db.base import Base, UUIDPrimaryKey
from portal.db.types import enum_check


def _user_fk(nullable: bool = False) -> Any:
    return mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"), nullable=nullable)


class CsodsApplication(UUIDPrimaryKey, Base):
    __tablename__ = "csods_application"
    __table_args__ = (
        UniqueConstraint("agency_id", "urn", name="agency_urn"),
        CheckConstraint(enum_check("stage", Stage), name="stage"),
        CheckConstraint(
            "outcome IS NULL OR outcome IN ('DISCLOSE', 'NO_DISCLOSURE', 'OTHER_ACTION')",
            name="outcome",
        ),
        CheckConstraint("channel IN ('ONLINE', 'PHONE', 'IN_PERSON')", name="channel"),
    )

    agency_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agency.id", ondelete="RESTRICT"), index=True
    )
    urn: Mapped[str] = mapped_column(String(60))
    channel: Mapped[str] = mapped_column(String(16))
    received_on: Mapped[date] = mapped_column(Date)
    officer_id: Mapped[uuid.UUID] = _user_fk()
    # Applicant
    applicant_family_name: Mapped[str] = mapped_column(String(100))
    applicant_given_names: Mapped[str] = mapped_column(String(200))
    applicant_other_names: Mapped[str | None] = mapped_column(String(200))
    applicant_date_of_birth: Mapped[date | None] = mapped_column(Date)
    applicant_address: Mapped[str] = mapped_column(String(500))
    contact_method: Mapped[str] = mapped_column(String(200))
    safe_contact: Mapped[str] = mapped_column(String(1000))
    # Subject: an existing subject, or a new person recorded here
    subject_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("subject.id", ondelete="RESTRICT"), index=True
    )
    subject_family_name: Mapped[str | None] = mapped_column(String(100))
    subject_given_names: Mapped[str | None] = mapped_column(String(200))
    subject_date_of_birth: Mapped[date | None] = mapped_column(Date)
    subject_address: Mapped[str | None] = mapped_column(String(500))
    subject_relationship_to_applicant: Mapped[str] = mapped_column(String(200))
    # Stage
    stage: Mapped[str] = mapped_column(String(40), index=True)
    received_at: Mapped[datetime]
    stage_entered_at: Mapped[datetime]
    phase_started_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(16))
    # What each stage recorded
    checks_made: Mapped[str | None] = mapped_column(Text)
    scope_explanation: Mapped[str | None] = mapped_column(Text)
    evidence_identity: Mapped[str | None] = mapped_column(String(200))
    evidence_address: Mapped[str | None] = mapped_column(String(200))
    evidence_relationship: Mapped[str | None] = mapped_column(String(200))
    interview_notes: Mapped[str | None] = mapped_column(Text)
    risk_assessment: Mapped[str | None] = mapped_column(Text)
    closing_note: Mapped[str | None] = mapped_column(Text)

    children: Mapped[list[CsodsChild]] = relationship(
        lazy="selectin", order_by="CsodsChild.position", cascade="all, delete-orphan"
    )
    agency_checks: Mapped[list[CsodsAgencyCheck]] = relationship(
        lazy="selectin", order_by="CsodsAgencyCheck.position", cascade="all, delete-orphan"
    )

    @property
    def stage_enum(self) -> Stage:
        return Stage(self.stage)

    @property
    def outcome_enum(self) -> Outcome | None:
        return Outcome(self.outcome) if self.outcome else None

    @property
    def applicant_name(self) -> str:
        return f"{self.applicant_given_names} {self.applicant_family_name}"

    @property
    def subject_name(self) -> str:
        return f"{self.subject_given_names or ''} {self.subject_family_name or ''}".strip()


class CsodsChild(UUIDPrimaryKey, Base):
    __tablename__ = "csods_child"
    __table_args__ = (
        CheckConstraint("mother_knows IN ('YES', 'NO', 'NOT_KNOWN')", name="mother_knows"),
        CheckConstraint("father_knows IN ('YES', 'NO', 'NOT_KNOWN')", name="father_knows"),
        CheckConstraint("age IS NULL OR (age >= 0 AND age < 18)", name="age"),
        CheckConstraint("date_of_birth IS NOT NULL OR age IS NOT NULL", name="dob_or_age"),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("csods_application.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    age: Mapped[int | None]
    lives_with: Mapped[str] = mapped_column(String(200))
    applicant_relationship: Mapped[str] = mapped_column(String(100))
    subject_relationship: Mapped[str] = mapped_column(String(100))
    mother_knows: Mapped[str] = mapped_column(String(10))
    father_knows: Mapped[str] = mapped_column(String(10))


class CsodsAgencyCheck(UUIDPrimaryKey, Base):
    """One agency consulted in the multi-agency risk assessment, and its answer."""

    __tablename__ = "csods_agency_check"

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("csods_application.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    agency: Mapped[str] = mapped_column(String(200))
    answer: Mapped[str] = mapped_column(String(1000))


class CsodsStageChange(UUIDPrimaryKey, Base):
    """Every transition: who and when (append-only history)."""

    __tablename__ = "csods_stage_change"
    __table_args__ = (
        CheckConstraint(enum_check("transition", Transition), name="transition"),
        CheckConstraint(enum_check("from_stage", Stage), name="from_stage"),
        CheckConstraint(enum_check("to_stage", Stage), name="to_stage"),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("csods_application.id", ondelete="RESTRICT"), index=True
    )
    transition: Mapped[str] = mapped_column(String(40))
    from_stage: Mapped[str] = mapped_column(String(40))
    to_stage: Mapped[str] = mapped_column(String(40))
    by_id: Mapped[uuid.UUID] = _user_fk()
    at: Mapped[datetime]


class CsodsPause(UUIDPrimaryKey, Base):
    """The target clock stopped for recorded exceptional circumstances."""

    __tablename__ = "csods_pause"

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("csods_application.id", ondelete="RESTRICT"), index=True
    )
    reason: Mapped[str] = mapped_column(String(1000))
    started_at: Mapped[datetime]
    started_by_id: Mapped[uuid.UUID] = _user_fk()
    ended_at: Mapped[datetime | None]
    ended_by_id: Mapped[uuid.UUID | None] = _user_fk(nullable=True)


class CsodsReferral(UUIDPrimaryKey, Base):
    """An immediate-risk safeguarding referral, opened at once at whatever stage."""

    __tablename__ = "csods_referral"

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("csods_application.id", ondelete="RESTRICT"), index=True
    )
    stage: Mapped[str] = mapped_column(String(40))
    referred_to: Mapped[str] = mapped_column(String(200))
    risk: Mapped[str] = mapped_column(String(1000))
    raised_by_id: Mapped[uuid.UUID] = _user_fk()
    raised_at: Mapped[datetime]


class CsodsDecision(UUIDPrimaryKey, Base):
    """The decision record (domain §2.3, §8.1 DisclosureDecision); approved by a supervisor."""

    __tablename__ = "csods_decision"
    __table_args__ = (
        CheckConstraint(enum_check("outcome", Outcome), name="outcome"),
        CheckConstraint(
            "approved_by_id IS NULL OR approved_by_id <> decided_by_id", name="two_people"
        ),
        CheckConstraint(
            "outcome <> 'DISCLOSE' OR (recipient_name IS NOT NULL AND wording IS NOT NULL"
            " AND legal_gateway IS NOT NULL AND dp_condition IS NOT NULL)",
            name="disclosure_complete",
        ),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("csods_application.id", ondelete="RESTRICT"), unique=True
    )
    outcome: Mapped[str] = mapped_column(String(16))
    forum: Mapped[str] = mapped_column(String(200))
    attendees: Mapped[str] = mapped_column(String(1000))
    rationale: Mapped[str] = mapped_column(Text)
    pressing_need: Mapped[str] = mapped_column(Text)
    recipient_name: Mapped[str | None] = mapped_column(String(200))
    recipient_relationship: Mapped[str | None] = mapped_column(String(100))
    recipient_why: Mapped[str | None] = mapped_column(Text)
    wording: Mapped[str | None] = mapped_column(Text)
    legal_gateway: Mapped[str | None] = mapped_column(String(48))
    dp_condition: Mapped[str | None] = mapped_column(String(48))
    safety_plan: Mapped[str | None] = mapped_column(Text)
    referrals: Mapped[str | None] = mapped_column(Text)
    non_disclosure_reasons: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[uuid.UUID] = _user_fk()
    decided_at: Mapped[datetime]
    approved_by_id: Mapped[uuid.UUID | None] = _user_fk(nullable=True)
    approved_at: Mapped[datetime | None]

    @property
    def outcome_enum(self) -> Outcome:
        return Outcome(self.outcome)


class CsodsReturnedDecision(UUIDPrimaryKey, Base):
    """A decision a supervisor sent back to the forum instead of approving it, and why.

    The decision row itself goes (an application has one current decision); what it said, who
    recorded it and who sent it back stay here, shown on the application page."""

    __tablename__ = "csods_returned_decision"
    __table_args__ = (
        CheckConstraint(enum_check("outcome", Outcome), name="outcome"),
        CheckConstraint("returned_by_id <> decided_by_id", name="two_people"),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("csods_application.id", ondelete="RESTRICT"), index=True
    )
    outcome: Mapped[str] = mapped_column(String(16))
    forum: Mapped[str] = mapped_column(String(200))
    rationale: Mapped[str] = mapped_column(Text)
    decided_by_id: Mapped[uuid.UUID] = _user_fk()
    decided_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    returned_by_id: Mapped[uuid.UUID] = _user_fk()
    returned_at: Mapped[datetime]

    @property
    def outcome_enum(self) -> Outcome:
        return Outcome(self.outcome)


class CsodsDelivery(UUIDPrimaryKey, Base):
    """How the outcome reached its recipient: the disclosure (with the signed undertaking), the
    applicant told of no disclosure, or the referral made."""

    __tablename__ = "csods_delivery"
    __table_args__ = (
        CheckConstraint(
            "kind <> 'DISCLOSURE' OR (undertaking_signed AND undertaking_signed_on IS NOT NULL"
            " AND audit_seq IS NOT NULL)",
            name="undertaking",
        ),
        CheckConstraint("kind IN ('DISCLOSURE', 'INFORMED', 'REFERRED')", name="kind"),
    )

    decision_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("csods_decision.id", ondelete="RESTRICT"), unique=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    delivered_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(200))
    delivered_by_id: Mapped[uuid.UUID] = _user_fk()
    undertaking_signed: Mapped[bool] = mapped_column(Boolean, default=False)
    undertaking_signed_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    #: Who told the recipient (a disclosure; none recorded before migration 0013).
    disclosed_by: Mapped[str | None] = mapped_column(String(300))
    recorded_at: Mapped[datetime]
    #: The DISCLOSURE audit event written in the same transaction.
    audit_seq: Mapped[int | None]
