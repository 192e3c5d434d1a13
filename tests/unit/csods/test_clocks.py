"""The pure clock arithmetic: the 24-hour instant and the end of a day target's last day,
pauses, legacy totals, closed clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.csods.clocks import Clocks, Pause, Phase, Targets, describe, measure, running_time
from portal.csods.stages import Outcome, Stage

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
TARGETS = Targets()


def _at(stage: Stage, after: timedelta, pauses: tuple[Pause, ...] = (), **kw: Any) -> Clocks:
    return measure(
        stage=stage,
        received_at=T0,
        phase_started_at=T0,
        outcome=None,
        pauses=pauses,
        now=T0 + after,
        targets=TARGETS,
        **kw,
    )


@pytest.mark.parametrize("stage", [Stage.RECEIVED, Stage.INITIAL_CHECKS])
def test_the_initial_checks_breach_just_after_24_hours_and_not_at_them(stage: Stage) -> None:
    tick = timedelta(microseconds=1)
    target = timedelta(hours=24)
    for after, breached in ((target - tick, False), (target, False), (target + tick, True)):
        clocks = _at(stage, after)
        assert clocks.stage is not None
        assert clocks.stage.breached is breached


@pytest.mark.parametrize(
    ("stage", "days"),
    [(Stage.SCOPE_DECIDED, 10), (Stage.INTERVIEW_DONE, 28), (Stage.RISK_ASSESSMENT, 28)],
)
def test_a_day_target_breaches_at_the_end_of_its_last_calendar_day(stage: Stage, days: int) -> None:
    # T0 is 09:00 on 1 November (GMT): the last day ends at midnight starting day ``days + 1``.
    midnight = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(days=days + 1) - T0
    tick = timedelta(microseconds=1)
    for after, breached in (
        (timedelta(days=days), False),
        (midnight - tick, False),
        (midnight, True),
    ):
        clocks = _at(stage, after)
        assert clocks.stage is not None
        assert clocks.stage.target == timedelta(days=days)
        assert clocks.stage.breached is breached, after


def test_later_stages_count_against_the_overall_target_only() -> None:
    clocks = _at(Stage.DECISION_FORUM, timedelta(days=40))
    assert clocks.stage is None
    assert clocks.phase is None
    assert clocks.overall.breached


def test_a_closed_application_stops_at_its_closing_time() -> None:
    clocks = _at(Stage.CLOSED, timedelta(days=400), closed_at=T0 + timedelta(days=3))
    assert clocks.overall.elapsed == timedelta(days=3)


def test_legacy_totals() -> None:
    legacy = Targets(legacy_totals=True)
    assert legacy.overall(Outcome.NO_DISCLOSURE) == timedelta(days=35)
    assert legacy.overall(Outcome.OTHER_ACTION) == timedelta(days=35)
    assert legacy.overall(Outcome.DISCLOSE) == timedelta(days=45)
    assert legacy.overall(None) == timedelta(days=45)
    assert TARGETS.overall(None) == timedelta(days=39)
    assert Targets(checks=timedelta(hours=48)).for_phase(Phase.CHECKS) == timedelta(hours=48)


def test_an_open_pause_stops_the_clock_until_now() -> None:
    pause = Pause(T0 + timedelta(hours=2), None)
    assert running_time(T0, T0 + timedelta(hours=50), [pause]) == timedelta(hours=2)
    assert _at(Stage.RECEIVED, timedelta(hours=50), (pause,)).paused


@settings(max_examples=60, deadline=None)
@given(
    start=st.integers(min_value=-100, max_value=100),
    length=st.integers(min_value=0, max_value=100),
    end=st.integers(min_value=0, max_value=200),
)
def test_running_time_never_counts_a_paused_hour(start: int, length: int, end: int) -> None:
    pause = Pause(T0 + timedelta(hours=start), T0 + timedelta(hours=start + length))
    counted = running_time(T0, T0 + timedelta(hours=end), [pause])
    overlap = max(0, min(start + length, end) - max(start, 0))
    assert counted == timedelta(hours=end - overlap)


def test_describe() -> None:
    assert describe(timedelta(hours=5)) == "5.0 hours"
    assert describe(timedelta(days=3, hours=12)) == "3.5 days"
