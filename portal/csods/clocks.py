"""Stage clocks: how long an application has been in its timed phase and overall, against the
configured targets, net of recorded pauses. Pure: the caller passes the database time.

A phase's clock starts when the application enters the phase (receipt for the initial checks,
the scope decision for the interview, the interview for the risk assessment). A target is
breached once more than the target has elapsed (exactly the target is still within it). Time
inside a recorded pause (exceptional circumstances) does not count, for the phase or overall.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

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
    target: timedelta

    @property
    def breached(self) -> bool:
        return self.elapsed > self.target

    @property
    def remaining(self) -> timedelta:
        return self.target - self.elapsed


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
        stage_measure = Measure(
            running_time(phase_started_at, end, pauses), targets.for_phase(phase)
        )
    overall = Measure(running_time(received_at, end, pauses), targets.overall(outcome))
    paused = any(p.ended_at is None or p.ended_at > end for p in pauses if p.started_at <= end)
    return Clocks(phase=phase, stage=stage_measure, overall=overall, paused=paused)


def describe(span: timedelta) -> str:
    """A span as the case list shows it: hours under two days, otherwise days (one decimal)."""
    seconds = span.total_seconds()
    if abs(seconds) < 2 * 86400:
        hours = seconds / 3600
        return f"{hours:.1f} hours"
    return f"{seconds / 86400:.1f} days"
