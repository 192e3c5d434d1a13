"""Agency: an organisation taking part in public-protection sharing (domain.md §8.1)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, String, func
from sqlalchemy.orm import Mapped, mapped_column

from portal.db.base import Base, UUIDPrimaryKey
from portal.db.types import enum_check


class AgencyType(StrEnum):
    POLICE = "police"
    PROBATION = "probation"
    PRISON = "prison"
    YOT = "yot"
    CHILDRENS_SOCIAL_CARE = "childrens_social_care"
    ADULT_SOCIAL_CARE = "adult_social_care"
    EDUCATION = "education"
    HEALTH = "health"
    HOUSING_AUTHORITY = "housing_authority"
    REGISTERED_PROVIDER = "registered_provider"
    DWP = "dwp"
    IMMIGRATION = "immigration"
    ELECTRONIC_MONITORING = "electronic_monitoring"
    ASSOCIATE = "associate"

    @property
    def label(self) -> str:
        return AGENCY_TYPE_LABELS[self]


AGENCY_TYPE_LABELS = {
    AgencyType.POLICE: "Police",
    AgencyType.PROBATION: "Probation",
    AgencyType.PRISON: "Prison",
    AgencyType.YOT: "Youth offending team",
    AgencyType.CHILDRENS_SOCIAL_CARE: "Children's social care",
    AgencyType.ADULT_SOCIAL_CARE: "Adult social care",
    AgencyType.EDUCATION: "Education",
    AgencyType.HEALTH: "Health",
    AgencyType.HOUSING_AUTHORITY: "Local housing authority",
    AgencyType.REGISTERED_PROVIDER: "Registered housing provider",
    AgencyType.DWP: "Department for Work and Pensions",
    AgencyType.IMMIGRATION: "Immigration enforcement",
    AgencyType.ELECTRONIC_MONITORING: "Electronic monitoring provider",
    AgencyType.ASSOCIATE: "Associate agency",
}


class Agency(UUIDPrimaryKey, Base):
    __tablename__ = "agency"
    __table_args__ = (CheckConstraint(enum_check("type", AgencyType), name="type"),)

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(32))
    #: A competent authority under DPA 2018 Part 3 (law-enforcement processing).
    is_competent_authority: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(server_default=func.current_timestamp())

    @property
    def type_label(self) -> str:
        return AgencyType(self.type).label
