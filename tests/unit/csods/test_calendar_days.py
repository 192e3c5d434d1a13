"""Day targets count UK calendar days (domain §2.2: "max 10 calendar days"): a step taken at
any time on the last day is within the target, whatever the hour the clock started; the day
is the UK day (across the clock changes too), and leap days count like any other day. The
24-hour initial checks stay an exact 24 hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from portal.csods.clocks import Targets, measure
from portal.csods.stages import Stage

SECOND = timedelta(seconds=1)


def _breached(stage: Stage, start: datetime, now: datetime, *, overall: bool = False) -> bool:
    clocks = measure(
        stage=stage,
        received_at=start,
        phase_started_at=start,
        outcome=None,
        pauses=(),
        now=now,
        targets=Targets(),
    )
    if overall:
        return clocks.overall.breached
    assert clocks.stage is not None
    return clocks.stage.breached


def test_an_interview_late_on_the_tenth_day_is_within_the_target() -> None:
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # GMT: the UK day is 2 November
    assert not _breached(Stage.SCOPE_DECIDED, start, datetime(2026, 11, 12, 17, 0, tzinfo=UTC))
    assert not _breached(
        Stage.SCOPE_DECIDED, start, datetime(2026, 11, 13, 0, 0, tzinfo=UTC) - SECOND
    )
    assert _breached(Stage.SCOPE_DECIDED, start, datetime(2026, 11, 13, 0, 0, tzinfo=UTC))


def test_the_last_day_is_the_uk_day_in_summer_time() -> None:
    # 23:30 UTC on 10 June is 00:30 on 11 June in the UK: day 1 is 11 June, day 10 is 21 June,
    # which ends at 23:00 UTC.
    start = datetime(2026, 6, 10, 23, 30, tzinfo=UTC)
    assert not _breached(Stage.SCOPE_DECIDED, start, datetime(2026, 6, 21, 12, 0, tzinfo=UTC))
    assert not _breached(
        Stage.SCOPE_DECIDED, start, datetime(2026, 6, 21, 23, 0, tzinfo=UTC) - SECOND
    )
    assert _breached(Stage.SCOPE_DECIDED, start, datetime(2026, 6, 21, 23, 0, tzinfo=UTC))


def test_the_clocks_going_forward_do_not_move_the_last_day() -> None:
    # Started at 23:30 on 25 March 2026 (GMT); the clocks go forward on 29 March, so the tenth
    # day, 4 April, ends at 23:00 UTC, not 24 hours after some multiple of the start time.
    start = datetime(2026, 3, 25, 23, 30, tzinfo=UTC)
    assert not _breached(Stage.SCOPE_DECIDED, start, datetime(2026, 4, 4, 22, 59, tzinfo=UTC))
    assert _breached(Stage.SCOPE_DECIDED, start, datetime(2026, 4, 4, 23, 0, tzinfo=UTC))


def test_a_leap_day_is_one_of_the_28_days() -> None:
    # Interview on 5 February 2028: the 28th day is 4 March (29 February counted).
    start = datetime(2028, 2, 5, 15, 0, tzinfo=UTC)
    assert not _breached(Stage.INTERVIEW_DONE, start, datetime(2028, 3, 4, 23, 59, tzinfo=UTC))
    assert _breached(Stage.INTERVIEW_DONE, start, datetime(2028, 3, 5, 0, 0, tzinfo=UTC))


def test_the_overall_target_counts_calendar_days_too() -> None:
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    last = date(2026, 11, 2) + timedelta(days=39)
    end_of_last = datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1)
    assert not _breached(Stage.DECISION_FORUM, start, end_of_last - SECOND, overall=True)
    assert _breached(Stage.DECISION_FORUM, start, end_of_last, overall=True)


def test_the_initial_checks_stay_an_exact_24_hours() -> None:
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    assert not _breached(Stage.RECEIVED, start, start + timedelta(hours=24))
    assert _breached(Stage.RECEIVED, start, start + timedelta(hours=24) + SECOND)


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (date(2008, 2, 29), date(2026, 2, 28), 17),
        (date(2008, 2, 29), date(2026, 3, 1), 18),
        (date(2008, 2, 29), date(2028, 2, 29), 20),
        (date(2008, 11, 24), date(2026, 11, 23), 17),
        (date(2008, 11, 24), date(2026, 11, 24), 18),
    ],
)
def test_age_on_a_day_counts_a_leap_day_birthday_from_1_march(
    born: date, on: date, age: int
) -> None:
    from portal.csods.clocks import age_on

    assert age_on(born, on) == age
