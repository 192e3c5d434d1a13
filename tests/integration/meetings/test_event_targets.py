"""Every minutes and action event names what it concerns (the access log's ``record_id``): the
meeting for minutes, the action for an action, so IG can tell which minutes a partner read and
which action was changed. Naming them changes no decision: a record-scope grant opens no
minutes, and a subject-wide grant still does."""

from __future__ import annotations

import json
from typing import Any

from tests.integration.meetings.conftest import (
    MeetingWorld,
    acknowledge,
    post,
    read_by_probation,
)


def _since(mw: MeetingWorld, seq: int) -> list[Any]:
    return [e for e in mw.events() if e.seq > seq]


def test_a_partner_reading_minutes_is_logged_against_the_meeting(
    mw: MeetingWorld, make_client: Any
) -> None:
    _, officer, _, meeting_id, _ = read_by_probation(mw, make_client)
    before = mw.last_seq()
    assert officer.get(f"/meetings/{meeting_id}").status_code == 200
    (event,) = _since(mw, before)
    assert event.event_type == "CONSULTATION"
    assert event.record_id == meeting_id
    assert event.grant_id is not None  # still decided under the distribution grant
    # ... and says which version of the minutes was read.
    assert json.loads(event.body)["with"]["detail"]["minutes_version"] == "1"
    before = mw.last_seq()
    assert officer.get(f"/meetings/{meeting_id}/versions/1").status_code == 200
    (again,) = _since(mw, before)
    assert json.loads(again.body)["with"]["detail"]["minutes_version"] == "1"


def test_opening_and_progressing_an_action_are_logged_against_the_action(
    mw: MeetingWorld, make_client: Any
) -> None:
    _, officer, _, _, owned = read_by_probation(mw, make_client)
    action = owned["probation"]
    before = mw.last_seq()
    assert officer.get(f"/actions/{action}").status_code == 200
    response = post(officer, f"/actions/{action}", {"status": "IN_PROGRESS", "note": "Visited"})
    assert response.status_code == 302
    events = _since(mw, before)
    assert [e.event_type for e in events] == ["CONSULTATION", "CONSULTATION", "ALTERATION"]
    assert {e.record_id for e in events} == {action}


def test_a_refused_action_is_logged_against_the_action(mw: MeetingWorld, make_client: Any) -> None:
    _, officer, _, _, owned = read_by_probation(mw, make_client)
    action = owned["csc"]  # not probation's
    before = mw.last_seq()
    assert officer.get(f"/actions/{action}").status_code == 404
    response = officer.post(f"/actions/{action}", data={"status": "CANCELLED"})
    assert response.status_code in (400, 404)
    fails = [e for e in _since(mw, before) if e.event_type == "AUTHZ_FAIL"]
    assert fails
    assert {e.record_id for e in fails} == {action}


def test_the_chairs_events_name_the_meeting_and_the_new_action(
    mw: MeetingWorld, make_client: Any
) -> None:
    subject = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    before = mw.last_seq()
    meeting_id = mw.create_meeting(chair, subject)
    created = [e for e in _since(mw, before) if e.event_type == "COLLECTION"]
    assert [e.record_id for e in created] == [meeting_id]
    before = mw.last_seq()
    action = mw.add_action(chair, meeting_id, "probation")
    created = [e for e in _since(mw, before) if e.event_type == "COLLECTION"]
    assert [e.record_id for e in created] == [action]
    before = mw.last_seq()
    assert mw.approve(chair, meeting_id).status_code == 302
    assert chair.get(f"/meetings/{meeting_id}").status_code == 200
    events = _since(mw, before)
    assert events
    assert {e.record_id for e in events} == {meeting_id}


def test_a_record_scope_grant_opens_no_minutes_and_a_subject_grant_still_does(
    mw: MeetingWorld, make_client: Any
) -> None:
    subject = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    no_housing = {f"attendee_3_{k}": None for k in ("agency", "name", "role", "attendance")}
    meeting_id = mw.create_meeting(chair, subject, **no_housing)
    action = mw.add_action(chair, meeting_id, "probation")
    assert mw.approve(chair, meeting_id).status_code == 302
    housing_field = f"dp_{mw.partners['housing'].id.hex}"
    assert mw.distribute(chair, meeting_id, **{housing_field: None}).status_code == 302
    # Housing holds a grant of one record of the subject, acknowledged: not the minutes.
    record = mw.record(subject, title="Risk summary")
    mw.grant(subject, "housing", record_id=record, acknowledged=True)
    housing = mw.browser(mw.people["housing"], make_client)
    assert housing.get(f"/records/{record}").status_code == 200
    assert housing.get(f"/meetings/{meeting_id}").status_code == 404
    assert housing.get(f"/actions/{action}").status_code == 404
    # Probation's subject-wide distribution grant still opens both.
    officer = mw.browser(mw.people["probation"], make_client)
    acknowledge(officer, subject)
    assert officer.get(f"/meetings/{meeting_id}").status_code == 200
    assert officer.get(f"/actions/{action}").status_code == 200
