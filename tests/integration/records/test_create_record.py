"""Police users add and change records: rich text sanitised on input, plan sections required
for a plan and refused on anything else, the marking lowered only by its owner, COLLECTION and
ALTERATION logged, nothing written on bad input."""

from __future__ import annotations

from typing import Any

import pytest

from portal.core.markings import REFUSED_MESSAGE, Marking
from portal.records.models import SharedRecord
from portal.users.forms import UNEXPECTED_INPUT
from tests.helpers import csrf_token
from tests.integration.subjects.sharing import OFFICIAL, World
from tests.integration.subjects.test_create_subject import error_messages
from tests.leaks import CONTENT_MARKER

SECTIONS = (
    "supervision",
    "monitoring_control",
    "interventions_treatment",
    "victim_safety",
    "contingency",
    "licence_conditions",
)


def answers(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "RISK_SUMMARY",
        "title": "Risk summary after review",
        "body": f"High risk to children.\n\nReview in March. {CONTENT_MARKER}",
        "classification": "OFFICIAL-SENSITIVE",
        "descriptors": ["PERSONAL_DATA"],
        "handling": "RECIPIENTS_ONLY",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def post(client: Any, path: str, data: dict[str, Any]) -> Any:
    return client.post(path, data={**data, "csrf_token": csrf_token(client, path)})


def stored(world: World) -> list[SharedRecord]:
    with world.app.app_context():
        from portal.extensions import db

        rows = db.session.query(SharedRecord).all()
        db.session.expunge_all()
        return rows


def test_add_record_stores_clean_html_and_logs_collection(world, make_client):
    subject_id = world.subject()
    officer = world.browser(world.officer, make_client)

    response = post(officer, f"/subjects/{subject_id}/records/new", answers())

    assert response.status_code == 302
    [record] = stored(world)
    assert response.headers["Location"] == f"/records/{record.id}"
    assert record.body == f"<p>High risk to children.</p><p>Review in March. {CONTENT_MARKER}</p>"
    assert record.owner_agency_id == world.police.id
    marking = Marking.from_json(record.marking)
    assert marking.banner == "OFFICIAL-SENSITIVE - RECIPIENTS ONLY - PERSONAL DATA"
    assert marking.owner == str(world.police.id)
    [event] = [e for e in world.events() if e.event_type == "COLLECTION"]
    assert (event.subject_id, event.record_id) == (subject_id, record.id)
    assert event.marking == "OFFICIAL-SENSITIVE - RECIPIENTS ONLY - PERSONAL DATA"


def test_add_risk_management_plan_needs_every_section(world, make_client):
    subject_id = world.subject()
    officer = world.browser(world.officer, make_client)
    path = f"/subjects/{subject_id}/records/new"

    missing = post(officer, path, answers(kind="RISK_MANAGEMENT_PLAN", body=None))

    messages = error_messages(missing.get_data(as_text=True))
    assert "Enter supervision, or ‘Not applicable’ and why" in messages
    assert "Enter licence conditions, or ‘Not applicable’ and why" in messages
    assert stored(world) == []

    complete = {name: f"<p>{name} {CONTENT_MARKER}</p>" for name in SECTIONS}
    response = post(officer, path, answers(kind="RISK_MANAGEMENT_PLAN", body=None, **complete))
    assert response.status_code == 302
    [record] = stored(world)
    assert record.licence_conditions == f"<p>licence_conditions {CONTENT_MARKER}</p>"
    assert record.body == ""


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"classification": "SECRET"}, "classification", REFUSED_MESSAGE),
        ({"classification": "TOP SECRET"}, "classification", REFUSED_MESSAGE),
        ({"title": ""}, "title", "Enter a title"),
        ({"title": "t" * 201}, "title", "Title must be 200 characters or fewer"),
        ({"body": None}, "body", "Enter the record"),
        ({"kind": "ATTACHMENT"}, "kind", "Select the kind of record from the list"),
        ({"supervision": "<p>x</p>"}, "supervision", "Only a risk management plan has supervision"),
        ({"body": "x" * 100_001}, "body", "The record must be 100,000 characters or fewer"),
        (
            {"body": "<p>" * 2001},
            "body",
            "The text has too much formatting (more than 2,000 tags). Simplify it or split it.",
        ),
        (
            {"owner_agency_id": "x"},
            "submit",
            UNEXPECTED_INPUT,
        ),
    ],
)
def test_add_record_with_bad_answer_shows_field_error_and_writes_nothing(
    world, make_client, changes, field, message
):
    subject_id = world.subject()
    officer = world.browser(world.officer, make_client)
    events_before = len(world.events())

    response = post(officer, f"/subjects/{subject_id}/records/new", answers(**changes))

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in error_messages(html)
    assert f'href="#{field}' in html
    assert stored(world) == []
    # Re-showing the form consulted the subject (its name is on the page); nothing else.
    assert {e.event_type for e in world.events()[events_before:]} <= {"CONSULTATION"}


def test_partner_cannot_add_a_record(world, make_client):
    subject_id = world.subject()
    world.grant(subject_id, "probation", profile="FULL", acknowledged=True)
    probation = world.browser(world.people["probation"], make_client)

    response = probation.post(f"/subjects/{subject_id}/records/new", data=answers())

    assert response.status_code in (400, 403, 404)
    assert stored(world) == []


def test_edit_record_logs_alteration_and_keeps_the_owner(world, make_client):
    subject_id = world.subject()
    record_id = world.record(subject_id, marking=OFFICIAL)
    officer = world.browser(world.officer, make_client)
    path = f"/records/{record_id}/edit"

    form = officer.get(path)
    assert form.status_code == 200
    assert "Risk summary" in form.get_data(as_text=True)
    response = post(officer, path, answers(title="Updated summary"))

    assert response.status_code == 302
    [record] = stored(world)
    assert record.title == "Updated summary"
    assert record.updated_by_id == world.officer.id
    assert Marking.from_json(record.marking).owner == str(world.police.id)
    assert [e.event_type for e in world.events() if e.record_id == record_id].count(
        "ALTERATION"
    ) == 1


def test_owner_may_lower_a_record_marking(world, make_client):
    subject_id = world.subject()
    record_id = world.record(subject_id)
    officer = world.browser(world.officer, make_client)

    response = post(
        officer,
        f"/records/{record_id}/edit",
        answers(classification="OFFICIAL", descriptors=[], handling="NONE"),
    )

    assert response.status_code == 302
    assert Marking.from_json(stored(world)[0].marking).banner == "OFFICIAL"
