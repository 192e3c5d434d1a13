"""The demo agencies and users. Passwords and TOTP secrets are public: demo machines only."""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass
from datetime import date

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


# --- Sharing: subjects, records and grants (fictional people) ------------------------------

#: Demo rows have fixed ids derived from a name, so `demo seed` can tell what it already loaded.
DEMO_NAMESPACE = uuid.UUID("6f0f7f3e-3b1c-4c56-9d0e-5a1f3c2b7d11")


def demo_id(name: str) -> uuid.UUID:
    return uuid.uuid5(DEMO_NAMESPACE, name)


OS_PERSONAL = {"sensitive": True, "descriptors": ["PERSONAL_DATA"]}
OFFICIAL_ONLY: dict[str, object] = {"sensitive": False}


@dataclass(frozen=True)
class DemoSubject:
    key: str
    family_name: str
    given_names: str
    aliases: tuple[str, ...]
    born: date | None
    pnc_id: str | None
    ndelius_crn: str | None
    visor_ref: str | None
    subject_type: str
    mappa_category: int
    mappa_level: int
    lead_agency: str
    marking: dict[str, object]


@dataclass(frozen=True)
class DemoRecord:
    key: str
    subject: str
    kind: str
    title: str
    body: str
    marking: dict[str, object]
    health: bool = False
    plan: tuple[str, str, str, str, str, str] | None = None


@dataclass(frozen=True)
class DemoGrant:
    """A grant from Northshire Police; times are relative to the moment of the first seed."""

    key: str
    subject: str
    grantee: str
    state: str  # live | expiring | expired | revoked | requested (by the grantee, pending)
    view_profile: str | None = "SUMMARY_AND_ACTIONS"
    record: str | None = None


SUBJECTS = (
    DemoSubject(
        "hargreaves",
        "Hargreaves",
        "Daniel Mark",
        ("Danny Harris",),
        date(1979, 6, 14),
        "08/123456X",
        "N123456",
        "VR-10001",
        "RSO",
        1,
        2,
        "NPROB",
        OS_PERSONAL,
    ),
    DemoSubject(
        "kelly",
        "Kelly",
        "Shaun Patrick",
        (),
        date(1988, 11, 2),
        "12/654321K",
        "N654321",
        None,
        "VO",
        2,
        2,
        "NPROB",
        OS_PERSONAL,
    ),
    DemoSubject(
        "okafor",
        "Okafor",
        "Grace",
        ("G. Okafor",),
        date(1991, 3, 27),
        "15/246810G",
        None,
        None,
        "PDP",
        3,
        3,
        "NPOL",
        OFFICIAL_ONLY,
    ),
    DemoSubject(
        "price",
        "Price",
        "Liam",
        (),
        date(1969, 1, 9),
        "02/135791P",
        "N135791",
        "VR-10004",
        "RSO",
        1,
        1,
        "NPOL",
        OS_PERSONAL,
    ),
)

_PLAN = (
    "<p>Weekly home visits by the offender manager; monthly joint visit with MOSOVO.</p>",
    "<ul><li>Exclusion zone around Northshire Primary School</li><li>No unsupervised contact "
    "with children under 18</li></ul>",
    "<p>Accredited programme starting next quarter.</p>",
    "<p>Victim liaison officer informed of release; safety plan agreed.</p>",
    "<p>Any breach of the exclusion zone: immediate recall request and police attendance.</p>",
    "<ol><li>Reside at the approved address</li><li>Notify any new relationship</li></ol>",
)

RECORDS = (
    DemoRecord(
        "hargreaves-risk",
        "hargreaves",
        "RISK_SUMMARY",
        "Risk of serious harm summary",
        "<p>High risk of serious harm to children. Known to target single-parent families "
        "through social media.</p>",
        OS_PERSONAL,
    ),
    DemoRecord(
        "hargreaves-rmp",
        "hargreaves",
        "RISK_MANAGEMENT_PLAN",
        "Risk management plan after the Level 2 meeting",
        "<p>Agreed at the Level 2 MAPPA meeting.</p>",
        OS_PERSONAL,
        plan=_PLAN,
    ),
    DemoRecord(
        "hargreaves-health",
        "hargreaves",
        "NOTE",
        "Medication and mental health assessment",
        "<p>Prescribed medication; assessment by the community mental health team.</p>",
        OS_PERSONAL,
        health=True,
    ),
    DemoRecord(
        "kelly-risk",
        "kelly",
        "RISK_SUMMARY",
        "Risk summary",
        "<p>High risk to known adults (former partner). Alcohol a trigger.</p>",
        OS_PERSONAL,
    ),
    DemoRecord(
        "okafor-risk",
        "okafor",
        "RISK_SUMMARY",
        "Risk summary",
        "<p>Medium risk to the public; threats made to housing staff.</p>",
        OFFICIAL_ONLY,
    ),
    DemoRecord(
        "okafor-note",
        "okafor",
        "NOTE",
        "Change of address",
        "<p>Moved to temporary accommodation; housing officer informed.</p>",
        OFFICIAL_ONLY,
    ),
    DemoRecord(
        "price-risk",
        "price",
        "RISK_SUMMARY",
        "Risk summary",
        "<p>Low risk at present; compliant with notification requirements.</p>",
        OS_PERSONAL,
    ),
)

#: Each partner agency gets a live, an expiring (within 7 days), an expired and a revoked grant.
GRANTS = (
    *(
        DemoGrant(f"{agency}-{state}", subject, agency, state, profile)
        for agency, profile in (
            ("NPROB", "FULL"),
            ("NCSC", "SUMMARY_AND_ACTIONS"),
            ("NHOUS", "SUMMARY"),
        )
        for state, subject in (
            ("live", "hargreaves"),
            ("expiring", "kelly"),
            ("expired", "price"),
            ("revoked", "okafor"),
        )
    ),
    DemoGrant("NHOUS-record", "okafor", "NHOUS", "live", None, record="okafor-risk"),
    # Probation's access to Price has expired; its officer has asked for it again.
    DemoGrant("NPROB-requested", "price", "NPROB", "requested", "FULL"),
)

#: Who asked for each requested grant, and why.
REQUESTERS = {"NPROB": "probation@probation.demo"}
REQUEST_JUSTIFICATION = (
    "Released on licence to an address in Northshire; supervision starts this week and the "
    "licence conditions need the current risk picture."
)

#: The lawful basis each partner's grants record (gateway, DP condition; domain.md §3.6).
GRANT_BASIS = {
    "NPROB": ("GW-CJA03-S325", "DP3-S35-LE"),
    "NCSC": ("GW-CJA03-S325", "DP3-SCH8-4"),
    "NHOUS": ("GW-CJA03-S325", "DP3-SCH8-1"),
}
ISA_REFERENCE = "Northshire MAPPA information sharing agreement 2025"
