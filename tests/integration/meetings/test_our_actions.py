""" "Our actions": only the agency's own actions on subjects shared with it now, through the
gate; expiry at the database clock and revocation take actions off the page at once, and
opening one directly is refused and logged; progress is an ALTERATION by the owning agency."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from portal.access.models import AccessGrant
from portal.core.clock import ShiftedClock, db_now
from portal.db.transaction import transaction
from portal.extensions import db
from portal.meetings.models import ActionUpdate, MeetingAction
from tests.helpers import summary_link
from tests.integration.meetings.conftest import (
    MeetingWorld,
    acknowledge,
    distributed_meeting,
    post,
)
from tests.leaks import CONTENT_MARKER


def _html(response: Any) -> str:
    return str(response.get_data(as_text=True))


def _grant_of(mw: MeetingWorld, subject_id: uuid.UUID, partner: str) -> uuid.UUID:
    with mw.app.app_context():
        return db.session.execute(
            select(AccessGrant.id).where(
                AccessGrant.subject_id == subject_id,
                AccessGrant.grantee_agency_id == mw.partners[partner].id,
            )
        ).scalar_one()


def _setup(mw: MeetingWorld, make_client: Any) -> tuple[Any, Any, uuid.UUID, dict[str, Any]]:
    shared = mw.subject()
    unshared = mw.subject(family_name="Unshared")
    chair = mw.browser(mw.coordinator, make_client)
    _, owned = distributed_meeting(mw, chair, shared)
    # A meeting about another subject whose minutes were never distributed to anyone.
    other = mw.create_meeting(chair, unshared)
    owned["unshared"] = mw.add_action(chair, other, "probation", description="hidden action")
    officer = mw.browser(mw.people["probation"], make_client)
    acknowledge(officer, shared)
    return chair, officer, shared, owned


def test_probation_sees_only_its_actions_on_subjects_shared_with_it(
    mw: MeetingWorld, make_client: Any
) -> None:
    _, officer, shared, owned = _setup(mw, make_client)
    before = mw.last_seq()
    html = _html(officer.get("/actions"))
    assert "probation action" in html
    assert "csc action" not in html
    assert "housing action" not in html
    assert "hidden action" not in html
    assert "OFFICIAL-SENSITIVE" in html.split("<main")[0] + html.split("</main>")[1]
    events = [e for e in mw.events() if e.seq > before]
    assert [e.event_type for e in events] == ["CONSULTATION"]
    body = json.loads(events[0].body)
    assert body["subject_id"] == shared.hex
    assert str(owned["probation"]) in json.dumps(body["with"]["detail"])
    assert body["legal_gateway"] == "GW-CJA03-S325"
    assert body["dp_condition"] == "DP3-SCH8-4"


def test_coordinator_sees_every_action_of_their_meetings(
    mw: MeetingWorld, make_client: Any
) -> None:
    chair, _, _, _ = _setup(mw, make_client)
    html = _html(chair.get("/actions"))
    for text in ("probation action", "csc action", "housing action", "hidden action"):
        assert text in html


def test_filters_by_subject_status_and_owner_person(mw: MeetingWorld, make_client: Any) -> None:
    chair, _, shared, owned = _setup(mw, make_client)
    response = chair.get(f"/actions?subject={shared}")
    assert response.status_code == 200
    html = _html(response)
    assert f'<option value="{shared}" selected>' in html
    assert "probation action" in html
    assert "hidden action" not in html
    html = _html(chair.get("/actions?person=csc+officer"))
    assert "csc action" in html
    assert "probation action" not in html
    post(chair, f"/actions/{owned['housing']}", {"status": "CANCELLED", "note": "Not needed"})
    html = _html(chair.get("/actions?status=CANCELLED"))
    assert "housing action" in html
    assert "csc action" not in html


def test_overdue_is_derived_from_the_database_date(
    mw: MeetingWorld, make_client: Any, clock: ShiftedClock
) -> None:
    _, officer, _, _ = _setup(mw, make_client)
    assert "Overdue" not in _html(officer.get("/actions"))
    clock.advance(timedelta(days=15))
    officer = mw.browser(mw.people["probation"], make_client)  # the old session timed out
    assert "Overdue" in _html(officer.get("/actions"))


def _refusals(mw: MeetingWorld, since: int) -> list[dict[str, Any]]:
    bodies = [json.loads(e.body) for e in mw.events() if e.seq > since]
    return [
        {"reason": b["with"]["reason"], "subject_id": b["subject_id"]}
        for b in bodies
        if b["type"] == "AUTHZ_FAIL"
    ]


def test_after_expiry_by_the_database_clock_actions_vanish_and_opening_one_is_refused(
    mw: MeetingWorld, make_client: Any, clock: ShiftedClock
) -> None:
    _, officer, shared, owned = _setup(mw, make_client)
    assert officer.get(f"/actions/{owned['probation']}").status_code == 200
    # Bring the end of the distribution grant close, then step the clock across it.
    grant_id = _grant_of(mw, shared, "probation")
    with mw.app.app_context(), transaction():
        grant = db.session.get(AccessGrant, grant_id)
        assert grant is not None
        grant.expires_at = db_now() + timedelta(seconds=60)
    clock.advance(timedelta(seconds=55))
    assert "probation action" in _html(officer.get("/actions"))
    clock.advance(timedelta(seconds=10))
    before = mw.last_seq()
    html = _html(officer.get("/actions"))
    assert "probation action" not in html
    assert mw.event_types(before) == []
    response = officer.get(f"/actions/{owned['probation']}")
    assert response.status_code == 404
    (refusal,) = _refusals(mw, before)
    assert refusal["reason"] == "grant_expired"
    assert refusal["subject_id"] == shared.hex


def test_after_revocation_actions_vanish_at_once_and_opening_one_is_refused(
    mw: MeetingWorld, make_client: Any
) -> None:
    _, officer, shared, owned = _setup(mw, make_client)
    assert "probation action" in _html(officer.get("/actions"))
    mw.revoke(_grant_of(mw, shared, "probation"))
    before = mw.last_seq()
    assert "probation action" not in _html(officer.get("/actions"))
    assert officer.get(f"/actions/{owned['probation']}").status_code == 404
    response = post(
        officer,
        f"/actions/{owned['probation']}",
        {"status": "IN_PROGRESS", "note": "Visit booked"},
        form_path="/actions",
    )
    assert response.status_code == 404
    assert [r["reason"] for r in _refusals(mw, before)] == ["grant_revoked", "grant_revoked"]
    assert mw.count(ActionUpdate) == 0


def test_partner_records_progress_on_its_action_as_one_alteration(
    mw: MeetingWorld, make_client: Any
) -> None:
    _, officer, _, owned = _setup(mw, make_client)
    before = mw.last_seq()
    path = f"/actions/{owned['probation']}"
    response = post(
        officer, path, {"status": "IN_PROGRESS", "note": f"Home visit booked {CONTENT_MARKER}"}
    )
    assert response.status_code == 302
    assert mw.event_types(before) == ["CONSULTATION", "ALTERATION"]
    assert mw.row(MeetingAction, owned["probation"]).status == "IN_PROGRESS"
    assert "Home visit booked" in _html(officer.get(path))


def test_completed_needs_an_update_and_not_achieved_a_reason_nothing_written(
    mw: MeetingWorld, make_client: Any
) -> None:
    _, officer, _, owned = _setup(mw, make_client)
    path = f"/actions/{owned['probation']}"
    before = mw.last_seq()
    response = post(officer, path, {"status": "COMPLETED", "note": ""})
    assert response.status_code == 400
    assert "Enter the update that shows the action is completed" in _html(response)
    assert 'href="#note"' in _html(response)
    response = post(officer, path, {"status": "NOT_ACHIEVED"})
    assert "Enter the reason the action was not achieved" in _html(response)
    assert mw.count(ActionUpdate) == 0
    assert mw.row(MeetingAction, owned["probation"]).status == "OPEN"
    assert "ALTERATION" not in mw.event_types(before)


def test_partner_cannot_progress_or_open_another_agencys_action(
    mw: MeetingWorld, make_client: Any
) -> None:
    _, officer, _, owned = _setup(mw, make_client)
    before = mw.last_seq()
    path = f"/actions/{owned['csc']}"
    assert officer.get(path).status_code == 404
    response = post(
        officer,
        path,
        {"status": "COMPLETED", "note": "Done"},
        form_path=f"/actions/{owned['probation']}",
    )
    assert response.status_code == 404
    assert [r["reason"] for r in _refusals(mw, before)] == ["not_action_owner"] * 2
    assert mw.row(MeetingAction, owned["csc"]).status == "OPEN"


def test_only_the_chair_cancels_an_action(mw: MeetingWorld, make_client: Any) -> None:
    chair, officer, _, owned = _setup(mw, make_client)
    path = f"/actions/{owned['probation']}"
    response = post(officer, path, {"status": "CANCELLED", "note": "We would rather not"})
    assert response.status_code == 404
    assert mw.row(MeetingAction, owned["probation"]).status == "OPEN"
    response = post(chair, path, {"status": "CANCELLED", "note": "Superseded by new plan"})
    assert response.status_code == 302
    assert mw.row(MeetingAction, owned["probation"]).status == "CANCELLED"
    response = post(officer, path, {"status": "IN_PROGRESS", "note": "Too late"})
    assert "Select a status this action can move to" in _html(response)


def test_hostile_rich_text_in_an_update_is_stored_clean(mw: MeetingWorld, make_client: Any) -> None:
    _, officer, _, owned = _setup(mw, make_client)
    path = f"/actions/{owned['probation']}"
    note = '<p>Seen</p><script>alert(1)</script><img src=x onerror="alert(1)">'
    assert post(officer, path, {"status": "IN_PROGRESS", "note": note}).status_code == 302
    with mw.app.app_context():
        stored = db.session.execute(select(ActionUpdate.note)).scalar_one()
    assert "<script" not in stored
    assert "onerror" not in stored
    assert "<img" not in stored
    assert "<p>Seen</p>" in stored


def test_a_user_on_the_exclusion_list_sees_none_of_the_subjects_actions(
    mw: MeetingWorld, make_client: Any
) -> None:
    _, officer, shared, owned = _setup(mw, make_client)
    assert "probation action" in _html(officer.get("/actions"))
    mw.exclude(shared, mw.people["probation"])
    assert "probation action" not in _html(officer.get("/actions"))
    assert officer.get(f"/actions/{owned['probation']}").status_code == 404


def test_a_summary_only_grant_does_not_show_actions(mw: MeetingWorld, make_client: Any) -> None:
    subject = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    meeting_id = mw.create_meeting(chair, subject)
    action_id = mw.add_action(chair, meeting_id, "housing")
    mw.grant(subject, "housing", profile="SUMMARY", acknowledged=True)
    worker = mw.browser(mw.people["housing"], make_client)
    assert "Home visit" not in _html(worker.get("/actions"))
    assert worker.get(f"/actions/{action_id}").status_code == 404


def test_actions_reach_partners_with_the_distributed_minutes(
    mw: MeetingWorld, make_client: Any
) -> None:
    chair, officer, shared, _ = _setup(mw, make_client)
    review = mw.create_meeting(chair, shared, kind="REVIEW")
    action_id = mw.add_action(chair, review, "probation", description="draft meeting action")
    assert "draft meeting action" not in _html(officer.get("/actions"))
    assert officer.get(f"/actions/{action_id}").status_code == 404
    assert mw.approve(chair, review).status_code == 302
    assert mw.distribute(chair, review).status_code == 302
    acknowledge(officer, shared)  # the new distribution's grant may ask again
    assert "draft meeting action" in _html(officer.get("/actions"))
    assert officer.get(f"/actions/{action_id}").status_code == 200


@pytest.mark.parametrize(
    ("args", "field", "message"),
    [
        # A subject this user may not filter by (a bookmark from before access ended looks
        # the same): the empty list must not look like an unfiltered one.
        ({"subject": str(uuid.UUID(int=7))}, "subject", "Choose a subject from the list"),
        ({"subject": "not-an-id"}, "subject", "Choose a subject from the list"),
        ({"status": "DONE"}, "status", "Choose a status from the list"),
        ({"person": "nobody here"}, "person", "Choose an owner from the list"),
        ({"person": "x" * 201}, "person", "Choose an owner from the list"),
    ],
)
def test_a_filter_the_page_does_not_offer_is_an_error_on_the_page(
    mw: MeetingWorld, make_client: Any, args: dict[str, str], field: str, message: str
) -> None:
    chair, _, _, _ = _setup(mw, make_client)
    response = chair.get("/actions", query_string=args)
    assert response.status_code == 400
    assert summary_link(_html(response), message) == field
