"""Meeting days are UK days: in summer (BST) an action is overdue from the first minute of the
UK day after it was due, an update is dated by the UK day it was recorded on, and access from
distributed minutes ends at the start of the UK day after the review date plus grace."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from portal.access.models import AccessGrant
from portal.core.clock import ShiftedClock, db_now
from portal.extensions import db
from tests.integration.meetings.conftest import MeetingWorld, acknowledge, date_parts, post

UK = ZoneInfo("Europe/London")


def _at(mw: MeetingWorld, clock: ShiftedClock, moment: datetime) -> None:
    with mw.app.app_context():
        now = db_now()
    clock.advance(moment - now)


def _july(mw: MeetingWorld) -> date:
    with mw.app.app_context():
        return date(db_now().year + 1, 7, 10)


def _html(response: Any) -> str:
    assert response.status_code == 200
    return str(response.get_data(as_text=True))


def _overdue_setup(mw: MeetingWorld, make_client: Any, clock: ShiftedClock) -> tuple[Any, ...]:
    """At 23:30 UTC on 10 July (00:30 BST on 11 July): minutes held on 10 July with a
    probation action due on 10 July, distributed."""
    day = _july(mw)
    _at(mw, clock, datetime.combine(day, time(23, 30), tzinfo=UTC))
    subject = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    meeting_id = mw.create_meeting(chair, subject, held_on=date_parts(day))
    action = mw.add_action(chair, meeting_id, "probation", due=day, description="due today")
    assert mw.approve(chair, meeting_id).status_code == 302
    assert mw.distribute(chair, meeting_id).status_code == 302
    officer = mw.browser(mw.people["probation"], make_client)
    acknowledge(officer, subject)
    return chair, officer, meeting_id, action, day


def test_an_action_due_yesterday_in_the_uk_is_overdue_in_summer(
    mw: MeetingWorld, make_client: Any, clock: ShiftedClock
) -> None:
    chair, officer, meeting_id, action, _ = _overdue_setup(mw, make_client, clock)
    assert "Overdue" in _html(chair.get(f"/meetings/{meeting_id}"))
    assert "Overdue" in _html(officer.get(f"/meetings/{meeting_id}"))
    assert "Overdue" in _html(officer.get(f"/actions/{action}"))
    assert "Overdue" in _html(officer.get("/actions"))
    assert "Overdue" in _html(chair.get("/actions"))


def test_an_update_is_dated_by_the_uk_day_it_was_recorded(
    mw: MeetingWorld, make_client: Any, clock: ShiftedClock
) -> None:
    _, officer, _, action, day = _overdue_setup(mw, make_client, clock)
    response = post(officer, f"/actions/{action}", {"status": "IN_PROGRESS", "note": "Visited"})
    assert response.status_code == 302
    html = _html(officer.get(f"/actions/{action}"))
    uk_day = day + timedelta(days=1)
    assert f"{uk_day.day} {uk_day:%B %Y}: " in html
    assert f"{day.day} {day:%B %Y}: " not in html


def test_distribution_access_ends_at_the_start_of_the_uk_day_after_review_and_grace(
    mw: MeetingWorld, make_client: Any, clock: ShiftedClock
) -> None:
    day = _july(mw)
    _at(mw, clock, datetime.combine(day, time(12, 0), tzinfo=UTC))
    subject = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    review = day + timedelta(days=21)  # 31 July, in BST
    meeting_id = mw.create_meeting(
        chair,
        subject,
        held_on=date_parts(day),
        next_review_on=date_parts(review),
        grace_days="0",
    )
    assert mw.approve(chair, meeting_id).status_code == 302
    assert mw.distribute(chair, meeting_id).status_code == 302
    with mw.app.app_context():
        ends = set(
            db.session.execute(
                select(AccessGrant.expires_at).where(AccessGrant.subject_id == subject)
            ).scalars()
        )
    assert len(ends) == 1
    (end,) = ends
    end = end if end.tzinfo else end.replace(tzinfo=UTC)
    # Midnight BST at the start of 1 August is 23:00 UTC on 31 July.
    assert end == datetime.combine(review + timedelta(days=1), time.min, tzinfo=UK)
    assert end.astimezone(UTC) == datetime.combine(review, time(23, 0), tzinfo=UTC)
