"""Roles and clearances: the vocabulary the access kernel and every feature share."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    MOSOVO_OFFICER = "mosovo_officer"
    MAPPA_COORDINATOR = "mappa_coordinator"
    PROBATION_OFFICER = "probation_officer"
    SOCIAL_WORKER = "social_worker"
    HOUSING_OFFICER = "housing_officer"
    IG_OFFICER = "ig_officer"
    AGENCY_ADMIN = "agency_admin"
    CSODS_OFFICER = "csods_officer"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.MOSOVO_OFFICER: "MOSOVO officer",
    Role.MAPPA_COORDINATOR: "MAPPA co-ordinator",
    Role.PROBATION_OFFICER: "Probation officer",
    Role.SOCIAL_WORKER: "Social worker",
    Role.HOUSING_OFFICER: "Housing officer",
    Role.IG_OFFICER: "Information governance officer",
    Role.AGENCY_ADMIN: "Agency administrator",
    Role.CSODS_OFFICER: "Child sex offender disclosure officer",
}


class Clearance(StrEnum):
    """National security vetting levels, lowest first."""

    BPSS = "BPSS"
    SC = "SC"
    DV = "DV"

    @property
    def rank(self) -> int:
        return CLEARANCE_RANK[self]


CLEARANCE_RANK = {Clearance.BPSS: 1, Clearance.SC: 2, Clearance.DV: 3}


class UserStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"


class SessionEndReason(StrEnum):
    SIGNED_OUT = "signed_out"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - a reason, not a password
    ACCOUNT_DISABLED = "account_disabled"
    ENDED_BY_ADMIN = "ended_by_admin"
    ROTATED = "rotated"
    MFA_RESET = "mfa_reset"
