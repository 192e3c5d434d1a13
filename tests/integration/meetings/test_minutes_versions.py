"""Amending distributed minutes makes a new version; the earlier one stays readable to those
who received it, and the chair sees both."""

from __future__ import annotations

from typing import Any

from tests.integration.meetings.conftest import (
    MeetingWorld,
    acknowledge,
    distributed_meeting,
    post,
)


def _html(response: Any) -> str:
    return str(response.get_data(as_text=True))


def test_amendment_keeps_the_distributed_version_for_its_recipients(
    mw: MeetingWorld, make_client: Any
) -> None:
    subject = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    meeting_id, _ = distributed_meeting(mw, chair, subject)
    officer = mw.browser(mw.people["probation"], make_client)
    acknowledge(officer, subject)
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
    assert response.status_code == 200
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
