"""A creation form sent twice saves once: a double click without JavaScript (GOV.UK's
``preventDoubleClick`` needs it) or a browser sending the page again posts the same page, with
the same key, twice (:mod:`portal.db.submissions`).

Each test opens the form as a browser does (its hidden inputs, the key among them), sends the
same answers twice, and checks: one row, one audit event, and both answers going to the page
that shows what was saved, the second saying it was saved once. Before the keys, each of these
made two subjects, records, grants, meetings, actions, children or referrals, each with its
own event.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal.access.models import AccessGrant
from portal.core.clock import ShiftedClock
from portal.core.identity import Role
from portal.core.once import SAVED_ONCE
from portal.csods.models import CsodsApplication, CsodsChild, CsodsReferral
from portal.db.submissions import FormSubmission
from portal.extensions import db
from portal.meetings.models import Meeting, MeetingAction
from portal.records.models import SharedRecord
from portal.subjects import service as subjects_service
from portal.subjects.models import Subject
from tests.concurrency.races import opened_form, run_together, wait_after
from tests.integration.access.world import Sharing, events_after
from tests.integration.csods.support import (
    BASE,
    CsodsWorld,
    application_answers,
    child_answers,
    error_messages,
    record,
)
from tests.integration.grants.test_grant_pages import browser as grants_browser
from tests.integration.grants.test_grant_pages import grant_answers
from tests.integration.meetings.conftest import MeetingWorld, date_parts
from tests.integration.records.test_create_record import answers as record_answers
from tests.integration.subjects.sharing import World
from tests.integration.subjects.test_create_subject import answers as subject_answers
from tests.security.conftest import NEXT_STEP


def _count(app: Flask, model: Any) -> int:
    with app.app_context():
        found = int(db.session.execute(select(func.count()).select_from(model)).scalar_one())
        db.session.remove()
        return found


def _events(app: Flask, kind: str) -> int:
    return len([e for e in events_after(app, 0) if e.event_type == kind])


def _sent_twice(client: Any, path: str, answers: dict[str, Any]) -> tuple[Any, Any]:
    """Open the page once, then send it twice with the same hidden inputs (the same key)."""
    data = {**answers, **opened_form(client, path)}
    assert "submission" in data, "the page carries no key"
    return client.post(path, data=data), client.post(path, data=data)


def _saved_once(client: Any, first: Any, second: Any) -> None:
    """Both sendings answer with the page of what the first one saved; the second says so."""
    assert (first.status_code, second.status_code) == (302, 302), error_messages(
        second.get_data(as_text=True)
    )
    assert second.headers["Location"] == first.headers["Location"]
    page = client.get(second.headers["Location"])
    assert page.status_code == 200
    assert SAVED_ONCE in page.get_data(as_text=True)


def test_subject_form_sent_twice_adds_one_subject(
    app: Flask, factories: Any, make_client: Any
) -> None:
    world = World(app, factories)
    officer = world.browser(world.officer, make_client)
    before = _events(app, "COLLECTION")

    first, second = _sent_twice(officer, "/subjects/new", subject_answers(world))

    _saved_once(officer, first, second)
    assert _count(app, Subject) == 1
    assert _events(app, "COLLECTION") == before + 1


def test_subject_without_identifiers_sent_twice_adds_one_subject(
    app: Flask, factories: Any, make_client: Any
) -> None:
    """No PNC ID, CRN or ViSOR reference: nothing else could tell the two sendings apart."""
    world = World(app, factories)
    officer = world.browser(world.officer, make_client)
    answers = subject_answers(world, pnc_id="", ndelius_crn="", visor_ref="")

    first, second = _sent_twice(officer, "/subjects/new", answers)

    _saved_once(officer, first, second)
    assert _count(app, Subject) == 1


def test_record_form_sent_twice_adds_one_record(
    app: Flask, factories: Any, make_client: Any
) -> None:
    world = World(app, factories)
    subject_id = world.subject()
    officer = world.browser(world.officer, make_client)
    before = _events(app, "COLLECTION")

    first, second = _sent_twice(officer, f"/subjects/{subject_id}/records/new", record_answers())

    _saved_once(officer, first, second)
    assert _count(app, SharedRecord) == 1
    assert _events(app, "COLLECTION") == before + 1


def test_give_access_sent_twice_gives_access_once(
    app: Flask, factories: Any, make_client: Any
) -> None:
    world = Sharing(app, factories)
    subject_id = world.subject()
    officer = grants_browser(world, world.officer, make_client)
    before = _count(app, AccessGrant)
    changes = _events(app, "GRANT_CHANGED")

    first, second = _sent_twice(officer, f"/subjects/{subject_id}/grants/new", grant_answers(world))

    _saved_once(officer, first, second)
    assert _count(app, AccessGrant) == before + 1
    assert _events(app, "GRANT_CHANGED") == changes + 1


@pytest.fixture
def csods(app: Flask, factories: Any, make_client: Any) -> tuple[CsodsWorld, Any]:
    world = CsodsWorld(app, factories)
    return world, world.browser(world.csods, make_client)


def test_application_sent_twice_is_recorded_once_without_a_urn_refusal(
    csods: tuple[CsodsWorld, Any],
) -> None:
    """The second sending used to be refused as "URN already exists", for the officer's own
    application."""
    world, officer = csods

    first, second = _sent_twice(officer, f"{BASE}/new", application_answers())

    _saved_once(officer, first, second)
    assert world.count(CsodsApplication) == 1
    assert len(world.events_of("COLLECTION")) == 1


def test_child_sent_twice_is_added_once(csods: tuple[CsodsWorld, Any]) -> None:
    world, officer = csods
    application_id = record(officer)

    first, second = _sent_twice(officer, f"{BASE}/{application_id}/children/new", child_answers())

    _saved_once(officer, first, second)
    assert world.count(CsodsChild) == 2  # the one recorded with the application, and this one


def test_immediate_risk_referral_sent_twice_is_one_referral_and_one_disclosure(
    csods: tuple[CsodsWorld, Any],
) -> None:
    world, officer = csods
    application_id = record(officer)
    answers = {"referred_to": "Children's social care", "risk": "Subject seen at the school"}

    first, second = _sent_twice(officer, f"{BASE}/{application_id}/immediate-risk", answers)

    _saved_once(officer, first, second)
    assert world.count(CsodsReferral) == 1
    assert len(world.events_of("DISCLOSURE")) == 1


def test_a_refused_sending_keeps_nothing_so_the_corrected_page_is_saved(
    csods: tuple[CsodsWorld, Any],
) -> None:
    """The key is claimed in the unit of work that saves: a refusal (here the service's: the
    URN is in use) rolls the claim back with everything else, so the same page, corrected, is
    saved and not taken for a second sending."""
    world, officer = csods
    record(officer, urn="OAK/1")
    path = f"{BASE}/new"
    page = opened_form(officer, path)

    refused = officer.post(path, data={**application_answers(urn="OAK/1"), **page})
    saved = officer.post(path, data={**application_answers(urn="OAK/2"), **page})

    assert refused.status_code == 400
    assert "An application with this URN already exists" in error_messages(
        refused.get_data(as_text=True)
    )
    assert saved.status_code == 302
    assert world.count(CsodsApplication) == 2
    assert _count(world.app, FormSubmission) == 2


def test_another_persons_key_saves_nothing_and_shows_nothing_of_theirs(
    app: Flask, factories: Any, make_client: Any
) -> None:
    """Someone who sends a key another person's page used (they would have to have seen it)
    saves nothing and is not sent to the other person's result."""
    world = World(app, factories)
    officer = world.browser(world.officer, make_client)
    colleague = world.browser(
        factories.user(agency=world.police, roles=(Role.MOSOVO_OFFICER,)), make_client
    )
    page = opened_form(officer, "/subjects/new")
    assert officer.post("/subjects/new", data={**subject_answers(world), **page}).status_code == 302
    theirs = opened_form(colleague, "/subjects/new")

    again = colleague.post(
        "/subjects/new",
        data={**subject_answers(world), **theirs, "submission": page["submission"]},
    )

    assert again.status_code == 302
    assert again.headers["Location"] == "/subjects/"
    assert _count(app, Subject) == 1


def test_a_page_without_a_key_is_saved_as_before(
    app: Flask, factories: Any, make_client: Any
) -> None:
    """A page drawn before the keys (or any client that sends none) is saved each time; the
    services' own rules still apply."""
    world = World(app, factories)
    officer = world.browser(world.officer, make_client)
    page = {k: v for k, v in opened_form(officer, "/subjects/new").items() if k != "submission"}
    answers = subject_answers(world, pnc_id="", ndelius_crn="", visor_ref="")

    for _ in range(2):
        assert officer.post("/subjects/new", data={**answers, **page}).status_code == 302

    assert _count(app, Subject) == 2


def test_subject_form_sent_twice_at_once_adds_one_subject(
    app: Flask,
    factories: Any,
    make_client: Any,
    clock: ShiftedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Both sendings in flight together, each held after creating the subject until the other
    has gone as far as it can (on PostgreSQL the second waits on the first's key and then finds
    it taken; SQLite runs the two one after the other). Two browsers of the same person, as a
    double click that the browser sends on two connections."""
    world = World(app, factories)
    browsers = []
    for _ in range(2):
        clock.advance(NEXT_STEP)
        browsers.append(world.browser(world.officer, make_client))
    data = {**subject_answers(world), **opened_form(browsers[0], "/subjects/new")}
    sendings = [
        {**data, "csrf_token": opened_form(b, "/subjects/new")["csrf_token"]} for b in browsers
    ]
    wait_after(monkeypatch, subjects_service, "create_subject")

    responses = run_together(
        [
            lambda b=b, d=d: b.post("/subjects/new", data=d)
            for b, d in zip(browsers, sendings, strict=True)
        ]
    )

    assert [r.status_code for r in responses] == [302, 302]
    assert responses[0].headers["Location"] == responses[1].headers["Location"]
    assert _count(app, Subject) == 1
    with app.app_context():
        [key] = db.session.execute(select(FormSubmission.key)).scalars().all()
        db.session.remove()
    assert key == uuid.UUID(data["submission"])


def test_meeting_form_sent_twice_records_one_meeting(
    app: Flask, factories: Any, make_client: Any
) -> None:
    """The second sending used to record the subject's next meeting, a copy of the first."""
    world = MeetingWorld(app, factories)
    subject_id = world.subject()
    chair = world.browser(world.coordinator, make_client)

    first, second = _sent_twice(chair, f"/subjects/{subject_id}/meetings/new", world.meeting_form())

    _saved_once(chair, first, second)
    assert _count(app, Meeting) == 1


def test_action_form_sent_twice_adds_one_action(
    app: Flask, factories: Any, make_client: Any
) -> None:
    world = MeetingWorld(app, factories)
    subject_id = world.subject()
    chair = world.browser(world.coordinator, make_client)
    meeting_id = world.create_meeting(chair, subject_id)
    answers = {
        "description": "Home visit",
        "pillar": "SUPERVISION",
        "owner_agency_id": str(world.partners["probation"].id),
        "owner_person": "Probation officer",
        "due_on": date_parts(world.today() + timedelta(days=14)),
    }

    first, second = _sent_twice(chair, f"/meetings/{meeting_id}/actions/new", answers)

    _saved_once(chair, first, second)
    assert _count(app, MeetingAction) == 1
