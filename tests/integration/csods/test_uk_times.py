"""Officers read times and dates in UK time: in July (British Summer Time) a step taken at
12:10 UTC shows as 13:10 BST on the application's page, in every table that shows a time
(history, clock pauses, immediate-risk referrals, decisions sent back, the access log's
disclosures); and the case list's default count period ends on today's UK date on the
database clock, not the machine's UTC date (between 00:00 and 01:00 BST they differ)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from portal.core.clock import ShiftedClock, db_now
from tests.integration.csods.support import (
    BASE,
    DISCLOSE,
    UK,
    CsodsWorld,
    boxes,
    delivery,
    error_messages,
    record,
    step,
    walk_to_forum,
)

#: A time as the page shows it (the project's ``uk_time`` filter).
SHOWN = re.compile(r"\d{1,2} [A-Z][a-z]{2} \d{4} (\d\d):\d\d:\d\d ([A-Z]{3,4})")
#: The old way: a UTC time with no zone.
BARE = re.compile(r"\d{1,2} [A-Z][a-z]+ \d{4} \d\d:\d\d(?![:\d])")


def _move_to(world: CsodsWorld, clock: ShiftedClock, moment: datetime) -> None:
    with world.app.app_context():
        clock.advance(moment - db_now())


def _next_july(world: CsodsWorld, day: int, hour: int, minute: int) -> datetime:
    with world.app.app_context():
        year = db_now().year + 1
    return datetime(year, 7, day, hour, minute, tzinfo=UTC)


def _ok(response: Any) -> None:
    assert response.status_code == 302, error_messages(response.get_data(as_text=True))


def _section(page: str, marker: str) -> str:
    """The page from ``marker`` to the next second-level heading."""
    return page.split(marker, 1)[1].split('<h2 class="govuk-heading-m">', 1)[0]


def _hours(html: str) -> list[tuple[str, str]]:
    return SHOWN.findall(html)


def test_in_summer_the_application_page_shows_every_time_in_bst(
    world: CsodsWorld, clock: ShiftedClock, make_client: Any
) -> None:
    start = _next_july(world, 10, 12, 10)  # 13:10 BST
    _move_to(world, clock, start)
    officer = world.browser(world.csods, make_client)
    supervisor = world.browser(world.supervisor, make_client)
    day = boxes(start.astimezone(UK).date())
    application_id: uuid.UUID = record(officer, received_on=day)
    _ok(step(officer, application_id, "pause", {"reason": "Applicant in hospital"}))
    _ok(step(officer, application_id, "resume", {}))
    risk = {"referred_to": "Northshire MASH", "risk": "Child alone with the subject tonight"}
    _ok(step(officer, application_id, "immediate-risk", risk))
    walk_to_forum(officer, application_id)
    _ok(step(officer, application_id, "decision", DISCLOSE))
    _ok(step(supervisor, application_id, "send-back", {"reason": "Name the second parent"}))
    _ok(step(officer, application_id, "decision", DISCLOSE))
    _ok(step(supervisor, application_id, "approve", {}))
    done = delivery(delivered_on=day, undertaking_signed_on=day)
    _ok(step(officer, application_id, "deliver-disclosure", done))

    page = officer.get(f"{BASE}/{application_id}").get_data(as_text=True)

    assert BARE.findall(page) == []
    sections = {
        "history": _section(page, 'id="history"'),
        "pauses": _section(page, "Clock pauses"),
        "referrals": _section(page, "Immediate-risk referrals"),
        "sent back": _section(page, 'id="sent-back"'),
        "access log": _section(page, 'id="access-log"'),
    }
    for name, html in sections.items():
        shown = _hours(html)
        assert shown, name
        # 12:10 UTC and a few seconds (or minutes, on a slow machine) after: 13:xx BST.
        assert {zone for _, zone in shown} == {"BST"}, (name, shown)
        assert {hour for hour, _ in shown} == {"13"}, (name, shown)
    assert len(_hours(sections["pauses"])) == 2  # from and to
    assert len(_hours(sections["access log"])) == 2  # the referral and the disclosure


def test_in_winter_times_are_shown_in_gmt(
    world: CsodsWorld, clock: ShiftedClock, make_client: Any
) -> None:
    with world.app.app_context():
        year = db_now().year + 1
    moment = datetime(year, 1, 15, 12, 10, tzinfo=UTC)
    _move_to(world, clock, moment)
    officer = world.browser(world.csods, make_client)
    application_id = record(officer, received_on=boxes(moment.date()))
    _ok(step(officer, application_id, "begin-checks", {}))
    history = _section(
        officer.get(f"{BASE}/{application_id}").get_data(as_text=True), 'id="history"'
    )
    assert {(hour, zone) for hour, zone in _hours(history)} == {("12", "GMT")}


def test_just_after_midnight_bst_the_default_count_period_ends_today_in_the_uk(
    world: CsodsWorld, clock: ShiftedClock, make_client: Any
) -> None:
    moment = _next_july(world, 10, 23, 30)  # 00:30 BST on 11 July
    _move_to(world, clock, moment)
    officer = world.browser(world.csods, make_client)

    response = officer.get("/csods/")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    uk_day = moment.astimezone(UK).date()
    assert uk_day.day == 11
    assert f'value="{uk_day.isoformat()}"' in html
    assert f"to {uk_day.day} July {uk_day.year}" in html
    start = uk_day - timedelta(days=365)
    assert f'value="{start.isoformat()}"' in html
