"""A world for the CSODS tests: a police force with disclosure-scheme officers and a supervisor,
a police officer without the CSODS role, another force, and partner agencies (one of whose
users was wrongly given the CSODS role). Helpers drive the pages as a browser would."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient
from sqlalchemy import select

from portal.agencies.models import AgencyType
from portal.audit.models import AuditEventRow
from portal.core.identity import Role
from portal.csods.models import CsodsApplication, CsodsChild, CsodsDelivery, CsodsStageChange
from portal.extensions import db
from tests.helpers import csrf_token
from tests.integration.subjects.sharing import World

BASE = "/csods/applications"
UK = ZoneInfo("Europe/London")


def boxes(day: date) -> list[str]:
    """A date as the three GOV.UK date boxes."""
    return [str(day.day), str(day.month), str(day.year)]


def uk_today() -> date:
    return datetime.now(UTC).astimezone(UK).date()


def today() -> list[str]:
    """Today's UK date as the three boxes, read when the answer is sent (not when this module
    is imported: a run that crosses UK midnight would date deliveries before their approval).
    Deliveries are dated on or after the day the decision was approved: today in these tests."""
    return boxes(uk_today())


#: Personal details planted in every application: none may reach the log or another user.
APPLICANT = "Wilhelmina Oakenshaw"
CHILD_ONE = "Tobias Oakenshaw"
CHILD_TWO = "Matilda Oakenshaw"


class CsodsWorld(World):
    def __post_init__(self) -> None:
        super().__post_init__()
        self.csods = self.factories.user(
            agency=self.police,
            roles=(Role.MOSOVO_OFFICER, Role.CSODS_OFFICER),
            full_name="Cara Csods",
        )
        self.supervisor = self.factories.user(
            agency=self.police, roles=(Role.CSODS_OFFICER,), full_name="Sam Supervisor"
        )
        self.other_force = self.factories.agency(
            name="Southshire Police", type=AgencyType.POLICE.value
        )
        self.other_csods = self.factories.user(
            agency=self.other_force, roles=(Role.CSODS_OFFICER,), full_name="Otto Other"
        )
        self.partner_csods = self.factories.user(
            agency=self.partners["probation"],
            roles=(Role.PROBATION_OFFICER, Role.CSODS_OFFICER),
            full_name="Pat Partner",
        )

    def events_of(self, kind: str) -> list[AuditEventRow]:
        return [e for e in self.events() if e.event_type == kind]

    def application(self, application_id: uuid.UUID) -> CsodsApplication:
        with self.app.app_context():
            found = db.session.execute(
                select(CsodsApplication).where(CsodsApplication.id == application_id)
            ).scalar_one()
            _ = found.children, found.agency_checks
            db.session.expunge_all()
            return found


def post(client: FlaskClient, path: str, data: dict[str, Any]) -> Any:
    return client.post(path, data={**data, "csrf_token": csrf_token(client, path)})


def error_messages(html: str) -> list[str]:
    summary = html.split('govuk-error-summary__list"', 1)
    if len(summary) < 2:
        return []
    listed = summary[1].split("</ul>", 1)[0]
    return [
        re.sub(r"<[^>]+>", "", item).strip()
        for item in re.findall(r"<a[^>]*>.*?</a>", listed, re.S)
    ]


def application_answers(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "urn": "oakenshaw/2026-11-20",
        "channel": "PHONE",
        "received_on": ["20", "11", "2026"],
        "applicant_family_name": "Oakenshaw",
        "applicant_given_names": "Wilhelmina",
        "applicant_other_names": "",
        "applicant_date_of_birth": ["3", "4", "1961"],
        "applicant_address": "12 Orchard Row\nNorthtown",
        "contact_method": "Mobile, weekday mornings",
        "safe_contact": "Do not leave voicemail",
        "subject_id": "",
        "subject_family_name": "Brackley",
        "subject_given_names": "Dorian",
        "subject_date_of_birth": ["", "", ""],
        "subject_address": "",
        "subject_relationship_to_applicant": "Daughter's new partner",
        "child_name": CHILD_ONE,
        "child_date_of_birth": ["1", "2", "2018"],
        "child_age": "",
        "lives_with": "Mother and her partner",
        "applicant_relationship": "Grandmother",
        "subject_relationship": "Mother's partner",
        "mother_knows": "YES",
        "father_knows": "NOT_KNOWN",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def child_answers(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "child_name": CHILD_TWO,
        "child_date_of_birth": ["", "", ""],
        "child_age": "4",
        "lives_with": "Mother and her partner",
        "applicant_relationship": "Grandmother",
        "subject_relationship": "Mother's partner",
        "mother_knows": "YES",
        "father_knows": "NO",
    }
    data.update(changes)
    return data


def record(client: FlaskClient, **changes: Any) -> uuid.UUID:
    response = post(client, f"{BASE}/new", application_answers(**changes))
    assert response.status_code == 302, error_messages(response.get_data(as_text=True))
    return uuid.UUID(response.headers["Location"].rsplit("/", 1)[1])


def step(client: FlaskClient, application_id: uuid.UUID, slug: str, data: dict[str, Any]) -> Any:
    return post(client, f"{BASE}/{application_id}/{slug}", data)


DISCLOSE = {
    "outcome": "DISCLOSE",
    "forum": "CSODS decision panel",
    "attendees": "DI Reed (chair), Social care, Probation",
    "rationale": "Lawful under s.327A; necessary and proportionate to protect the children",
    "pressing_need": "The subject lives with the children",
    "recipient_name": "Rosalind Oakenshaw",
    "recipient_relationship": "Mother",
    "recipient_why": "She has parental responsibility and can act to protect them",
    "wording": "The subject has convictions for sexual offences against children",
    "dp_condition": "DP3-SCH8-4",
    "safety_plan": "Subject to move out; social care visit weekly",
    "referrals": "Children's social care",
    "non_disclosure_reasons": "",
}


#: Who told the recipient: two officers, neither of them the one who records it.
DISCLOSERS = "DC Priya Marsh and PC Tom Shah"


def delivery(**changes: Any) -> dict[str, Any]:
    """A disclosure delivered in person today, the undertaking signed today."""
    return {
        "delivered_on": today(),
        "method": "IN_PERSON",
        "disclosed_by": DISCLOSERS,
        "undertaking_signed": "YES",
        "undertaking_signed_on": today(),
        "note": "Delivered at the mother's home",
        **changes,
    }


#: Each step up to the decision forum, with answers that pass.
TO_FORUM = (
    ("begin-checks", {}),
    ("scope", {"checks_made": "PNC and ViSOR checked", "in_scope": "YES", "explanation": ""}),
    (
        "interview",
        {
            "verified": "YES",
            "evidence_identity": "Passport",
            "evidence_address": "Utility bill",
            "evidence_relationship": "Birth certificate",
            "notes": "Face to face at the station",
        },
    ),
    ("begin-risk-assessment", {}),
    (
        "risk-assessment",
        {
            "agencies": "Children's social care: known family\nSchool: no concerns",
            "summary": "Risk of sexual harm to the children",
        },
    ),
)


def walk_to_forum(client: FlaskClient, application_id: uuid.UUID) -> None:
    for slug, data in TO_FORUM:
        response = step(client, application_id, slug, data)
        assert response.status_code == 302, (slug, error_messages(response.get_data(as_text=True)))


def decided(officer: FlaskClient, decision: dict[str, Any] = DISCLOSE, **changes: Any) -> uuid.UUID:
    """An application recorded (with ``changes``) and taken to a decision awaiting approval."""
    application_id = record(officer, **changes)
    walk_to_forum(officer, application_id)
    assert step(officer, application_id, "decision", decision).status_code == 302
    return application_id


def approved(
    officer: FlaskClient,
    supervisor: FlaskClient,
    decision: dict[str, Any] = DISCLOSE,
    **changes: Any,
) -> uuid.UUID:
    """An application taken to a decision the supervisor has approved."""
    application_id = decided(officer, decision, **changes)
    assert step(supervisor, application_id, "approve", {}).status_code == 302
    return application_id


# --- Dates as a UK officer types them, and refusals that write nothing -----------------------


def written(world: CsodsWorld) -> tuple[int, ...]:
    """What a refused answer must leave unchanged (opening a page is a consultation)."""
    return (
        world.count(CsodsApplication),
        world.count(CsodsChild),
        world.count(CsodsStageChange),
        world.count(CsodsDelivery),
        len([e for e in world.events() if e.event_type not in ("AUTHZ_FAIL", "CONSULTATION")]),
    )


def refused(
    world: CsodsWorld, client: FlaskClient, path: str, data: dict[str, Any], message: str
) -> None:
    """Posting ``data`` answers the page again with ``message`` in the GOV.UK error summary,
    and writes nothing."""
    before = written(world)
    response = post(client, path, data)
    assert response.status_code == 400, response.status_code
    html = response.get_data(as_text=True)
    assert "govuk-error-summary" in html
    messages = error_messages(html)
    assert any(message in m for m in messages), messages
    assert written(world) == before
