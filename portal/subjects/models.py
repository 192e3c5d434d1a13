"""Subject (nominal) and aliases (domain.md §8.1)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db.base import Base, UUIDPrimaryKey
from portal.db.types import enum_check


class SubjectType(StrEnum):
    RSO = "RSO"
    VO = "VO"
    PDP = "PDP"
    TERRORIST_RISK = "TERRORIST_RISK"

    @property
    def label(self) -> str:
        return SUBJECT_TYPE_LABELS[self]


SUBJECT_TYPE_LABELS = {
    SubjectType.RSO: "Registered sex offender",
    SubjectType.VO: "Violent offender",
    SubjectType.PDP: "Potentially dangerous person",
    SubjectType.TERRORIST_RISK: "Terrorist risk",
}


class Subject(UUIDPrimaryKey, Base):
    __tablename__ = "subject"
    __table_args__ = (
        CheckConstraint(enum_check("subject_type", SubjectType), name="subject_type"),
        CheckConstraint("mappa_category BETWEEN 1 AND 4", name="mappa_category"),
        CheckConstraint("mappa_level BETWEEN 1 AND 3", name="mappa_level"),
    )

    owning_agency_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agency.id", ondelete="RESTRICT"), index=True
    )
    lead_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id", ondelete="RESTRICT"))
    family_name: Mapped[str] = mapped_column(String(100))
    given_names: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    pnc_id: Mapped[str | None] = mapped_column(String(20), unique=True)
    ndelius_crn: Mapped[str | None] = mapped_column(String(20), unique=True)
    visor_ref: Mapped[str | None] = mapped_column(String(30), unique=True)
    subject_type: Mapped[str] = mapped_column(String(16))
    mappa_category: Mapped[int]
    mappa_level: Mapped[int]
    #: The subject summary's marking, as ``Marking.to_json()`` (portal.core.markings).
    marking: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT")
    )
    created_at: Mapped[datetime] = mapped_column(server_default=func.current_timestamp())
    updated_at: Mapped[datetime | None]

    aliases: Mapped[list[SubjectAlias]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="SubjectAlias.name"
    )

    @property
    def display_name(self) -> str:
        return f"{self.family_name.upper()}, {self.given_names}"


class SubjectAlias(UUIDPrimaryKey, Base):
    __tablename__ = "subject_alias"

    subject_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subject.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
