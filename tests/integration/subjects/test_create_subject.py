"""Police users create and edit subjects: every answer checked, nothing written on bad input,
creation logged as COLLECTION and edits as ALTERATION."""

from __future__ import annotations

import re
from typing import Any

import pytest

from portal.core.markings import REFUSED_MESSAGE, Marking
from portal.subjects.models import Subject
from portal.users.forms import UNEXPECTED_INPUT
from tests.helpers import csrf_token
from tests.integration.subjects.sharing import World

NEW = "/subjects/new"


def answers(world: World, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "family_name": "Ashworth",
        "given_names": "Peter James",
        "aliases": "PJ\nPete Ash",
        "date_of_birth": ["14", "6", "1979"],
        "pnc_id": "08/123456x",
        "ndelius_crn": "x123456",
        "visor_ref": "",
        "subject_type": "RSO",
        "mappa_category": "1",
        "mappa_level": "2",
        "lead_agency_id": str(world.police.id),
        "classification": "OFFICIAL-SENSITIVE",
        "descriptors": ["PERSONAL_DATA"],
        "handling": "NONE",
        "handling_org": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def post(client: Any, path: str, data: dict[str, Any]) -> Any:
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


def test_create_subject_with_valid_answers_stores_it_and_logs_collection(world, make_client):
    officer = world.browser(world.officer, make_client)

    response = post(officer, NEW, answers(world))

    assert response.status_code == 302
    subject_id = response.headers["Location"].rsplit("/", 1)[-1]
    with world.app.app_context():
        from portal.extensions import db

        subject = db.session.get(Subject, __import__("uuid").UUID(subject_id))
        assert subject is not None
        assert (subject.family_name, subject.given_names) == ("Ashworth", "Peter James")
        assert subject.pnc_id == "08/123456X"
        assert subject.ndelius_crn == "X123456"
        assert subject.visor_ref is None
        assert subject.date_of_birth.isoformat() == "1979-06-14"
        assert sorted(alias.name for alias in subject.aliases) == ["PJ", "Pete Ash"]
        assert subject.owning_agency_id == world.police.id
        marking = Marking.from_json(subject.marking)
        assert marking.banner == "OFFICIAL-SENSITIVE - PERSONAL DATA"
        assert marking.owner == str(world.police.id)
    collections = [e for e in world.events() if e.event_type == "COLLECTION"]
    assert len(collections) == 1
    assert str(collections[0].subject_id).replace("-", "") == subject_id.replace("-", "")
    assert collections[0].actor_id == world.officer.id

    page = officer.get(response.headers["Location"])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "ASHWORTH, Peter James" in html
    assert html.count("OFFICIAL-SENSITIVE - PERSONAL DATA") >= 2  # banner top and bottom


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"classification": "SECRET"}, "classification", REFUSED_MESSAGE),
        ({"classification": "TOP SECRET"}, "classification", REFUSED_MESSAGE),
        ({"family_name": ""}, "family_name", "Enter the family name"),
        ({"family_name": "x" * 101}, "family_name", "Family name must be 100 characters or fewer"),
        ({"mappa_category": "5"}, "mappa_category", "Select the MAPPA category from the list"),
        ({"mappa_category": None}, "mappa_category", "Select the MAPPA category"),
        ({"mappa_level": "0"}, "mappa_level", "Select the MAPPA level from the list"),
        (
            {"date_of_birth": ["31", "2", "1980"]},
            "date_of_birth",
            "Date of birth must be a real date",
        ),
        ({"date_of_birth": ["", "2", "1980"]}, "date_of_birth", "Date of birth must include a day"),
        (
            {"pnc_id": "not a pnc"},
            "pnc_id",
            "Enter a PNC ID in the correct format, like 12/345678A",
        ),
        (
            {"lead_agency_id": "not-a-uuid"},
            "lead_agency_id",
            "Select the lead agency from the list",
        ),
        (
            {"handling": "ORG_USE_ONLY"},
            "handling_org",
            "Enter the organisation the information is for",
        ),
        ({"subject_type": "NOPE"}, "subject_type", "Select the subject type from the list"),
        (
            {"owning_agency_id": "x"},
            "submit",
            UNEXPECTED_INPUT,
        ),
    ],
)
def test_create_subject_with_bad_answer_shows_field_error_and_writes_nothing(
    world, make_client, changes, field, message
):
    officer = world.browser(world.officer, make_client)
    events_before = len(world.events())

    response = post(officer, NEW, answers(world, **changes))

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in error_messages(html)
    assert f'href="#{field}' in html
    assert world.count(Subject) == 0
    assert len(world.events()) == events_before


def test_create_subject_with_unknown_lead_agency_is_refused(world, make_client):
    officer = world.browser(world.officer, make_client)
    response = post(officer, NEW, answers(world, lead_agency_id=str(__import__("uuid").uuid4())))
    assert response.status_code == 400
    assert "Select the lead agency from the list" in error_messages(response.get_data(as_text=True))
    assert world.count(Subject) == 0
    assert not [e for e in world.events() if e.event_type == "COLLECTION"]


def test_create_subject_with_identifier_in_use_is_refused(world, make_client):
    world.subject(pnc_id="08/123456X", ndelius_crn=None, visor_ref=None)
    officer = world.browser(world.officer, make_client)

    response = post(officer, NEW, answers(world))

    assert response.status_code == 400
    messages = error_messages(response.get_data(as_text=True))
    assert any(m.startswith("This PNC ID is already recorded") for m in messages)
    assert world.count(Subject) == 1
    assert not [e for e in world.events() if e.event_type == "COLLECTION"]


def test_partner_user_cannot_create_a_subject(world, make_client):
    social = world.browser(world.people["csc"], make_client)
    assert social.get(NEW).status_code == 403
    response = social.post(NEW, data=answers(world))
    assert response.status_code in (400, 403)
    assert world.count(Subject) == 0


def test_edit_subject_changes_it_and_logs_alteration(world, make_client):
    subject_id = world.subject()
    officer = world.browser(world.officer, make_client)
    path = f"/subjects/{subject_id}/edit"

    form = officer.get(path)
    assert form.status_code == 200
    assert 'value="Fairweather"' in form.get_data(as_text=True)
    response = post(officer, path, answers(world, family_name="Fairweather-Smith", pnc_id=None))

    assert response.status_code == 302
    subject = world.row(Subject, subject_id)
    assert subject.family_name == "Fairweather-Smith"
    types = [e.event_type for e in world.events() if e.subject_id == subject_id]
    assert types.count("ALTERATION") == 1


def test_edit_subject_by_another_agency_is_not_found_and_unchanged(world, make_client):
    subject_id = world.subject()
    world.grant(subject_id, "csc", profile="FULL", acknowledged=True)
    social = world.browser(world.people["csc"], make_client)
    path = f"/subjects/{subject_id}/edit"

    assert social.get(path).status_code in (403, 404)
    response = social.post(path, data=answers(world, family_name="Changed"))

    assert response.status_code in (400, 403, 404)
    assert world.row(Subject, subject_id).family_name == "Fairweather"
    assert not [e for e in world.events() if e.event_type == "ALTERATION"]
