"""Shared record: one agency's information about one subject, with its own marking."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from portal.db.base import Base, UUIDPrimaryKey
from portal.db.types import enum_check


class RecordKind(StrEnum):
    RISK_SUMMARY = "RISK_SUMMARY"
    RISK_MANAGEMENT_PLAN = "RISK_MANAGEMENT_PLAN"
    NOTE = "NOTE"
    ATTACHMENT = "ATTACHMENT"

    @property
    def label(self) -> str:
        return RECORD_KIND_LABELS[self]


RECORD_KIND_LABELS = {
    RecordKind.RISK_SUMMARY: "Risk summary",
    RecordKind.RISK_MANAGEMENT_PLAN: "Risk management plan",
    RecordKind.NOTE: "Note",
    RecordKind.ATTACHMENT: "Attachment",
}


class SharedRecord(UUIDPrimaryKey, Base):
    """Rich-text fields hold only ``portal.core.sanitise.clean_rich_text`` output."""

    __tablename__ = "shared_record"
    __table_args__ = (CheckConstraint(enum_check("kind", RecordKind), name="kind"),)

    subject_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subject.id", ondelete="RESTRICT"), index=True
    )
    owner_agency_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agency.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    #: Health and medical details: never part of a SUMMARY view (domain.md §8.3).
    contains_health_details: Mapped[bool] = mapped_column(default=False)
    # Risk management plan: the four pillars, contingency and licence conditions (§1.7).
    supervision: Mapped[str | None] = mapped_column(Text)
    monitoring_control: Mapped[str | None] = mapped_column(Text)
    interventions_treatment: Mapped[str | None] = mapped_column(Text)
    victim_safety: Mapped[str | None] = mapped_column(Text)
    contingency: Mapped[str | None] = mapped_column(Text)
    licence_conditions: Mapped[str | None] = mapped_column(Text)
    #: ``Marking.to_json()``; only the owning agency may lower it.
    marking: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT")
    )
    created_at: Mapped[datetime] = mapped_column(server_default=func.current_timestamp())
    updated_at: Mapped[datetime | None]
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT")
    )
