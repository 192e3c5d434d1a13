"""The demo agencies and users. Passwords and TOTP secrets are public: demo machines only."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from portal.agencies.models import AgencyType
from portal.core.identity import Clearance, Role


@dataclass(frozen=True)
class DemoAgency:
    code: str
    name: str
    type: AgencyType
    competent: bool


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    agency: str
    roles: tuple[Role, ...]
    clearance: Clearance

    @property
    def totp_secret(self) -> str:
        """Fixed per account so the README can list it; derived, not random, on purpose."""
        digest = hashlib.sha256(b"portal-demo-totp:" + self.email.encode()).digest()
        return base64.b32encode(digest[:20]).decode("ascii")


AGENCIES = (
    DemoAgency("NPOL", "Northshire Police", AgencyType.POLICE, True),
    DemoAgency("NPROB", "Northshire Probation Delivery Unit", AgencyType.PROBATION, True),
    DemoAgency(
        "NCSC", "Northshire Children's Social Care", AgencyType.CHILDRENS_SOCIAL_CARE, False
    ),
    DemoAgency("NHOUS", "Northshire Housing Options", AgencyType.HOUSING_AUTHORITY, False),
)

#: Shared by every demo account; it passes the password rules and appears nowhere else.
DEMO_PASSWORD = "demo-portal-harbour-lantern"

USERS = (
    DemoUser(
        "mosovo@police.demo",
        "Morgan Officer",
        "NPOL",
        (Role.MOSOVO_OFFICER, Role.CSODS_OFFICER),
        Clearance.SC,
    ),
    DemoUser(
        "mappa@police.demo", "Casey Coordinator", "NPOL", (Role.MAPPA_COORDINATOR,), Clearance.SC
    ),
    DemoUser("ig@police.demo", "Indira Governance", "NPOL", (Role.IG_OFFICER,), Clearance.SC),
    DemoUser("admin@police.demo", "Alex Administrator", "NPOL", (Role.AGENCY_ADMIN,), Clearance.SC),
    DemoUser(
        "probation@probation.demo",
        "Priya Probation",
        "NPROB",
        (Role.PROBATION_OFFICER,),
        Clearance.BPSS,
    ),
    DemoUser(
        "admin@probation.demo", "Pat Administrator", "NPROB", (Role.AGENCY_ADMIN,), Clearance.BPSS
    ),
    DemoUser("social@childrens.demo", "Sam Social", "NCSC", (Role.SOCIAL_WORKER,), Clearance.BPSS),
    DemoUser(
        "housing@housing.demo", "Harper Housing", "NHOUS", (Role.HOUSING_OFFICER,), Clearance.BPSS
    ),
)
