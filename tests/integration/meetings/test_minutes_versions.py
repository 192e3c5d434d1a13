"""Amending distributed minutes makes a new version; the earlier one stays readable to those
who received it, and the chair sees both. Partners follow an action only once the version that
raised it has been sent to their agency."""

from __future__ import annotations

import json
from typing import Any

from portal.meetings.models import ActionUpdate
from tests.integration.meetings.conftest import (
    MeetingWorld,
    acknowledge,
    post,
    read_by_probation,
)


def _html(response: Any) -> str:
    return str(response.get_data(as_text=True))


def test_amendment_keeps_the_distributed_version_for_its_recipients(
    mw: MeetingWorld, make_client: Any
) -> None:
    chair, officer, subject, meeting_id, _ = read_by_probation(mw, make_client)
    assert "Remain at level 2" in _html(officer.get(f"/meetings/{meeting_id}"))

    response = post(
        chair, f"/meetings/{meeting_id}/amend", {"reason": "The level decision was misrecorded"}
    )
    assert response.status_code == 302
    form = mw.meeting_form(decision_1="Move to level 3", rationale_1="New intelligence")
    assert post(chair, f"/meetings/{meeting_id}/edit", form).status_code == 302
    assert [v.status for v in mw.versions(meeting_id)] == ["DISTRIBUTED", "DRAFT"]

    # Until version 2 is distributed the recipient still reads version 1, unchanged.
    page = _html(officer.get(f"/meetings/{meeting_id}"))
    assert "Remain at level 2" in page
    assert "Move to level 3" not in page
    assert "holds version 1" in page
    assert officer.get(f"/meetings/{meeting_id}/versions/2").status_code == 404

    assert mw.approve(chair, meeting_id).status_code == 302
    assert mw.distribute(chair, meeting_id).status_code == 302
    versions = mw.versions(meeting_id)
    assert [v.status for v in versions] == ["DISTRIBUTED", "DISTRIBUTED"]
    assert "Remain at level 2" in (versions[0].snapshot or "")
    assert "Move to level 3" in (versions[1].snapshot or "")

    # Version 2 came with a grant of its own: the recipient agrees to the statement under it
    # (when the gate picks it; agreeing again is harmless).
    acknowledge(officer, subject)
    latest = _html(officer.get(f"/meetings/{meeting_id}"))
    assert "Move to level 3" in latest
    assert "holds versions 1, 2" in latest
    first = _html(officer.get(f"/meetings/{meeting_id}/versions/1"))
    assert "Remain at level 2" in first
    assert "Move to level 3" not in first

    chair_page = _html(chair.get(f"/meetings/{meeting_id}"))
    assert "Version 1" in chair_page
    assert "Version 2" in chair_page
    assert "The level decision was misrecorded" in chair_page
    assert "Remain at level 2" in _html(chair.get(f"/meetings/{meeting_id}/versions/1"))


def test_amending_a_draft_is_refused_on_the_reason_field(
    mw: MeetingWorld, make_client: Any
) -> None:
    subject = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    meeting_id = mw.create_meeting(chair, subject)
    response = post(chair, f"/meetings/{meeting_id}/amend", {"reason": "Typo"})
    assert response.status_code == 400
    assert "Only distributed minutes are amended" in _html(response)
    assert len(mw.versions(meeting_id)) == 1


def test_agency_not_on_the_distribution_list_cannot_read_the_minutes(
    mw: MeetingWorld, make_client: Any
) -> None:
    subject = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    meeting_id = mw.create_meeting(
        chair, subject, attendee_3_agency=None, attendee_3_name=None, attendee_3_role=None
    )
    assert mw.approve(chair, meeting_id).status_code == 302
    housing = f"dp_{mw.partners['housing'].id.hex}"
    assert mw.distribute(chair, meeting_id, **{housing: None}).status_code == 302
    # Housing holds a live grant for the subject, but was not sent these minutes.
    mw.grant(subject, "housing", profile="SUMMARY_AND_ACTIONS", acknowledged=True)
    worker = mw.browser(mw.people["housing"], make_client)
    assert worker.get(f"/meetings/{meeting_id}").status_code == 404


def test_action_raised_in_an_unsent_amendment_stays_with_the_chair_until_it_is_sent(
    mw: MeetingWorld, make_client: Any
) -> None:
    chair, officer, subject, meeting_id, owned = read_by_probation(mw, make_client)
    amend = post(chair, f"/meetings/{meeting_id}/amend", {"reason": "New intelligence"})
    assert amend.status_code == 302
    late = "Draft-only action: check the new address"
    action_id = mw.add_action(chair, meeting_id, "probation", description=late)
    assert [v.status for v in mw.versions(meeting_id)] == ["DISTRIBUTED", "DRAFT"]

    # The partner reads version 1 with its own action, and nothing of the draft's.
    before = mw.last_seq()
    page = _html(officer.get(f"/meetings/{meeting_id}"))
    assert "probation action" in page
    assert late not in page
    actions = _html(officer.get("/actions"))
    assert "probation action" in actions
    assert late not in actions
    assert officer.get(f"/actions/{action_id}").status_code == 404
    progress = {"status": "IN_PROGRESS", "note": "Visited"}
    response = post(
        officer, f"/actions/{action_id}", progress, form_path=f"/actions/{owned['probation']}"
    )
    assert response.status_code == 404
    assert mw.count(ActionUpdate) == 0
    assert "ALTERATION" not in mw.event_types(before)
    refusals = [
        json.loads(e.body)["with"]["reason"]
        for e in mw.events()
        if e.seq > before and e.event_type == "AUTHZ_FAIL"
    ]
    assert refusals == ["minutes_not_distributed", "minutes_not_distributed"]
    # The chair follows it in the draft; version 1 shows the actions as they were sent.
    assert late in _html(chair.get(f"/meetings/{meeting_id}"))
    assert late in _html(chair.get("/actions"))
    assert late not in _html(chair.get(f"/meetings/{meeting_id}/versions/1"))

    # Once version 2 reaches probation, the action is theirs to follow.
    assert mw.approve(chair, meeting_id).status_code == 302
    assert mw.distribute(chair, meeting_id).status_code == 302
    acknowledge(officer, subject)
    assert late in _html(officer.get(f"/meetings/{meeting_id}"))
    assert late not in _html(officer.get(f"/meetings/{meeting_id}/versions/1"))
    assert late in _html(officer.get("/actions"))
    assert post(officer, f"/actions/{action_id}", progress).status_code == 302
    assert mw.count(ActionUpdate) == 1


def test_action_in_minutes_not_sent_to_the_agency_stays_hidden_under_another_grant(
    mw: MeetingWorld, make_client: Any
) -> None:
    subject = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    meeting_id = mw.create_meeting(chair, subject)
    action_id = mw.add_action(chair, meeting_id, "housing", description="housing action")
    # Cancelled before the minutes go out, so housing may be left off them.
    cancelled = post(chair, f"/actions/{action_id}", {"status": "CANCELLED", "note": "Not needed"})
    assert cancelled.status_code == 302
    assert mw.approve(chair, meeting_id).status_code == 302
    housing = f"dp_{mw.partners['housing'].id.hex}"
    left_off = {housing: "NOT_SENT", "withheld_reason": "No role in this plan"}
    assert mw.distribute(chair, meeting_id, **left_off).status_code == 302
    # Housing can read the subject's actions under a grant of its own, but these minutes (and
    # so the action they raised) were never sent to it.
    mw.grant(subject, "housing", profile="SUMMARY_AND_ACTIONS", acknowledged=True)
    worker = mw.browser(mw.people["housing"], make_client)
    assert worker.get(f"/subjects/{subject}").status_code == 200
    assert "housing action" not in _html(worker.get("/actions"))
    assert worker.get(f"/actions/{action_id}").status_code == 404
