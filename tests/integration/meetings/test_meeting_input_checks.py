"""Input the meeting pages refuse with a GOV.UK error (400, the answers kept, nothing written):
a meeting held after today (the UK day), an unknown agency reported on the row it was typed in
(blank rows in between), and the distribution page of minutes not waiting to be distributed
(refused on the meeting page, as the POST is)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from portal.core.clock import ShiftedClock, db_now
from portal.meetings.models import Meeting
from tests.helpers import summary_link
from tests.integration.meetings.conftest import (
    MeetingWorld,
    date_parts,
    distributed_meeting,
    post,
)

FUTURE = "The date of the meeting must be today or in the past"
NOT_APPROVED = "Only minutes the chair has approved can be distributed"
BLANK_ROW_2 = {f"attendee_2_{k}": None for k in ("agency", "name", "role", "attendance")}


def _html(response: Any) -> str:
    return str(response.get_data(as_text=True))


def test_a_meeting_held_after_today_is_refused_and_nothing_is_saved(
    mw: MeetingWorld, make_client: Any
) -> None:
    subject = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    before = mw.count(Meeting)
    form = mw.meeting_form(held_on=["1", "1", "2099"], next_review_on=["1", "2", "2099"])
    response = post(chair, f"/subjects/{subject}/meetings/new", form)
    html = _html(response)
    assert response.status_code == 400
    assert summary_link(html, FUTURE).startswith("held_on")
    assert 'value="2099"' in html  # what was typed is kept
    assert mw.count(Meeting) == before
    tomorrow = mw.today() + timedelta(days=1)
    form = mw.meeting_form(held_on=date_parts(tomorrow))
    assert post(chair, f"/subjects/{subject}/meetings/new", form).status_code == 400
    assert mw.count(Meeting) == before


def test_editing_a_meeting_to_a_future_date_is_refused(mw: MeetingWorld, make_client: Any) -> None:
    subject = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    meeting_id = mw.create_meeting(chair, subject)
    form = mw.meeting_form(held_on=["1", "1", "2099"], next_review_on=["1", "2", "2099"])
    response = post(chair, f"/meetings/{meeting_id}/edit", form)
    assert response.status_code == 400
    assert summary_link(_html(response), FUTURE).startswith("held_on")
    assert mw.row(Meeting, meeting_id).held_on == mw.today()


def test_a_meeting_held_today_in_the_uk_is_accepted_before_the_utc_day_starts(
    mw: MeetingWorld, make_client: Any, clock: ShiftedClock
) -> None:
    # 23:30 UTC on 10 July is 00:30 BST on 11 July: a meeting held on 11 July is today's.
    with mw.app.app_context():
        now = db_now()
    day = date(now.year + 1, 7, 10)
    clock.advance(datetime.combine(day, time(23, 30), tzinfo=UTC) - now)
    subject = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    meeting_id = mw.create_meeting(chair, subject, held_on=date_parts(day + timedelta(days=1)))
    assert mw.row(Meeting, meeting_id).held_on == day + timedelta(days=1)


def test_an_unknown_agency_is_reported_on_the_row_it_was_entered_in(
    mw: MeetingWorld, make_client: Any
) -> None:
    subject = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    meeting_id = mw.create_meeting(chair, subject)
    form = mw.meeting_form(**BLANK_ROW_2)
    form["attendee_3_agency"] = str(uuid.uuid4())
    response = post(chair, f"/meetings/{meeting_id}/edit", form)
    html = _html(response)
    assert response.status_code == 400
    assert summary_link(html, "Select the agency from the list") == "attendee_3_agency"
    assert 'href="#attendee_2_agency"' not in html
    new = mw.meeting_form(**BLANK_ROW_2)
    new["attendee_3_agency"] = str(uuid.uuid4())
    response = post(chair, f"/subjects/{mw.subject(family_name='Other')}/meetings/new", new)
    assert response.status_code == 400
    assert summary_link(_html(response), "Select the agency from the list") == "attendee_3_agency"


def test_the_distribution_page_of_a_draft_is_refused_like_its_post(
    mw: MeetingWorld, make_client: Any
) -> None:
    subject = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    meeting_id = mw.create_meeting(chair, subject)
    before = mw.last_seq()
    response = chair.get(f"/meetings/{meeting_id}/distribute")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/meetings/{meeting_id}")
    assert mw.event_types(before) == []  # the page was not shown: nothing consulted
    shown = chair.get(f"/meetings/{meeting_id}")
    assert shown.status_code == 200
    assert summary_link(_html(shown), NOT_APPROVED) == "minutes-status"
    # The POST is refused the same way, and distributes nothing.
    probation = f"dp_{mw.partners['probation'].id.hex}"
    path = f"/meetings/{meeting_id}/distribute"
    response = post(chair, path, {probation: "DP3-SCH8-4"}, form_path=f"/meetings/{meeting_id}")
    assert response.status_code == 302
    assert NOT_APPROVED in _html(chair.get(f"/meetings/{meeting_id}"))
    assert [v.status for v in mw.versions(meeting_id)] == ["DRAFT"]


def test_the_distribution_page_of_distributed_minutes_is_refused(
    mw: MeetingWorld, make_client: Any
) -> None:
    subject = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    meeting_id, _ = distributed_meeting(mw, chair, subject)
    response = chair.get(f"/meetings/{meeting_id}/distribute")
    assert response.status_code == 302
    assert NOT_APPROVED in _html(chair.get(f"/meetings/{meeting_id}"))
