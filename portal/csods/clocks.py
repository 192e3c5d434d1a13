"""Stage clocks: how long an application has been in its timed phase and overall, against the
configured targets, net of recorded pauses. Pure: the caller passes the database time.

A phase's clock starts when the application enters the phase (receipt for the initial checks,
the scope decision for the interview, the interview for the risk assessment). The 24-hour
initial checks are an exact 24 hours: breached once more than that has elapsed. A target in
days counts UK calendar days (domain §2.2, "max 10 calendar days"): the day the clock starts
is day 0, and the target is met by anything done before the end of the last day, UK time
(the clock changes and leap days are counted as the calendar counts them). Time inside a
recorded pause (exceptional circumstances) does not count, for the phase or overall, so a
pause moves the last moment on by its length.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Final

from portal.core.uk_time import UK, uk_day
from portal.csods.stages import Outcome, Stage


class Phase(StrEnum):
    CHECKS = "CHECKS"
    INTERVIEW = "INTERVIEW"
    RISK_ASSESSMENT = "RISK_ASSESSMENT"

    @property
    def label(self) -> str:
        return PHASE_LABELS[self]


PHASE_LABELS: Final = {
    Phase.CHECKS: "Initial checks",
    Phase.INTERVIEW: "Interview and verification",
    Phase.RISK_ASSESSMENT: "Risk assessment",
}

#: Which timed phase each stage belongs to (later stages count against the overall target only).
PHASE_OF: Final = {
    Stage.RECEIVED: Phase.CHECKS,
    Stage.INITIAL_CHECKS: Phase.CHECKS,
    Stage.SCOPE_DECIDED: Phase.INTERVIEW,
    Stage.INTERVIEW_DONE: Phase.RISK_ASSESSMENT,
    Stage.RISK_ASSESSMENT: Phase.RISK_ASSESSMENT,
}

DAY: Final = timedelta(days=1)
#: The last representable instant before midnight (times are kept to the microsecond).
_TICK: Final = timedelta(microseconds=1)

LEGACY_NON_DISCLOSURE: Final = timedelta(days=35)
LEGACY_DISCLOSURE: Final = timedelta(days=45)


@dataclass(frozen=True)
class Targets:
    """The configured targets (``portal.config.Settings``)."""

    checks: timedelta = timedelta(hours=24)
    interview: timedelta = timedelta(days=10)
    risk_assessment: timedelta = timedelta(days=28)
    #: The 35-day (no disclosure) / 45-day (disclosure) legacy totals instead of the sum.
    legacy_totals: bool = False

    def for_phase(self, phase: Phase) -> timedelta:
        return {
            Phase.CHECKS: self.checks,
            Phase.INTERVIEW: self.interview,
            Phase.RISK_ASSESSMENT: self.risk_assessment,
        }[phase]

    def overall(self, outcome: Outcome | None) -> timedelta:
        if not self.legacy_totals:
            return self.checks + self.interview + self.risk_assessment
        if outcome in (Outcome.NO_DISCLOSURE, Outcome.OTHER_ACTION):
            return LEGACY_NON_DISCLOSURE
        return LEGACY_DISCLOSURE


@dataclass(frozen=True)
class Pause:
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class Measure:
    elapsed: timedelta
    #: The target as configured (shown on the page: "3.0 days of 10.0 days").
    target: timedelta
    #: The running time allowed before a breach: the target itself, or for a target in days
    #: the time from the start to the end of the last UK calendar day.
    allowance: timedelta | None = None

    @property
    def limit(self) -> timedelta:
        return self.target if self.allowance is None else self.allowance

    @property
    def breached(self) -> bool:
        return self.elapsed > self.limit

    @property
    def remaining(self) -> timedelta:
        return self.limit - self.elapsed


def end_of_uk_day(day: date) -> datetime:
    """The last instant of ``day`` in the UK (23:59:59.999999 local), in UTC."""
    midnight = datetime.combine(day + DAY, time(0), tzinfo=UK)
    return midnight.astimezone(UTC) - _TICK


def calendar_allowance(start: datetime, target: timedelta) -> timedelta:
    """From ``start`` to the end of the UK day ``target`` days after ``start``'s UK date (a
    part day counts as a whole one)."""
    days = math.ceil(target / DAY)
    return end_of_uk_day(uk_day(start) + timedelta(days=days)) - start


def age_on(born: date, day: date) -> int:
    """Whole years from ``born`` to ``day``: someone born on 29 February has a birthday on
    1 March in a common year (compared as (month, day), never by building a 29 February)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@dataclass(frozen=True)
class Clocks:
    phase: Phase | None
    stage: Measure | None
    overall: Measure
    paused: bool

    @property
    def breached(self) -> bool:
        return self.overall.breached or (self.stage is not None and self.stage.breached)

    @property
    def remaining(self) -> timedelta:
        """The nearer of the two targets: negative when breached (most overdue lowest)."""
        if self.stage is None:
            return self.overall.remaining
        return min(self.stage.remaining, self.overall.remaining)


def running_time(start: datetime, end: datetime, pauses: Iterable[Pause]) -> timedelta:
    """Time from ``start`` to ``end`` less every pause's overlap with it (never negative)."""
    if end <= start:
        return timedelta(0)
    total = end - start
    for pause in pauses:
        stop = pause.ended_at if pause.ended_at is not None else end
        overlap = min(stop, end) - max(pause.started_at, start)
        if overlap > timedelta(0):
            total -= overlap
    return max(total, timedelta(0))


def measure(
    *,
    stage: Stage,
    received_at: datetime,
    phase_started_at: datetime,
    outcome: Outcome | None,
    pauses: Iterable[Pause],
    now: datetime,
    targets: Targets,
    closed_at: datetime | None = None,
) -> Clocks:
    """The clocks of one application at ``now`` (a closed one stops at ``closed_at``)."""
    pauses = tuple(pauses)
    end = closed_at if closed_at is not None else now
    phase = PHASE_OF.get(stage)
    stage_measure = None
    if phase is not None:
        target = targets.for_phase(phase)
        stage_measure = Measure(
            running_time(phase_started_at, end, pauses),
            target,
            None if phase is Phase.CHECKS else calendar_allowance(phase_started_at, target),
        )
    overall_target = targets.overall(outcome)
    overall = Measure(
        running_time(received_at, end, pauses),
        overall_target,
        calendar_allowance(received_at, overall_target),
    )
    paused = any(p.ended_at is None or p.ended_at > end for p in pauses if p.started_at <= end)
    return Clocks(phase=phase, stage=stage_measure, overall=overall, paused=paused)


def describe(span: timedelta) -> str:
    """A span as the case list shows it: hours under two days, otherwise days (one decimal)."""
    seconds = span.total_seconds()
    if abs(seconds) < 2 * 86400:
        hours = seconds / 3600
        return f"{hours:.1f} hours"
    return f"{seconds / 86400:.1f} days"
