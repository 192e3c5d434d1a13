"""Stage clocks run on the database time: with a controlled clock the 24-hour target breaches
just after 24 hours (exactly 24 hours is still within it) and the 10-day and 28-day targets at
the end of their last UK calendar day, a recorded pause stops the clock, and the case list
puts breaches first, then the nearest to breach, with filters and the outcome counts."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from portal.core.actor import Actor
from portal.core.clock import ShiftedClock, db_now
from portal.core.uk_time import uk_day
from portal.csods import cases, service, steps
from portal.csods.application_schemas import ApplicationCommand, ChildCommand
from portal.csods.clocks import end_of_uk_day
from portal.csods.schemas import (
    DecisionCommand,
    DeliveryCommand,
    InterviewCommand,
    NoteCommand,
    PauseCommand,
    RiskAssessmentCommand,
    ScopeCommand,
)
from portal.csods.stages import Outcome, Stage
from portal.db.transaction import transaction
from tests.integration.access.world import actor_of
from tests.integration.csods.support import CsodsWorld

SECOND = timedelta(seconds=1)
NOTE = NoteCommand(None)


def _command(urn: str, received_on: date) -> ApplicationCommand:
    return ApplicationCommand(
        urn=urn,
        channel="ONLINE",
        received_on=received_on,
        applicant_family_name="Lark",
        applicant_given_names="Edwina",
        applicant_other_names=None,
        applicant_date_of_birth=None,
        applicant_address="1 High St",
        contact_method="Email",
        safe_contact="None",
        subject_id=None,
        subject_family_name="Moss",
        subject_given_names="Gideon",
        subject_date_of_birth=None,
        subject_address=None,
        subject_relationship_to_applicant="Neighbour",
        child=ChildCommand("Ada Lark", None, 6, "Mother", "Aunt", "Neighbour", "YES", "NO"),
    )


class Desk:
    """Drives the service as an officer would, under the test's clock."""

    def __init__(self, app: Flask, clock: ShiftedClock, actor: Actor) -> None:
        self.app, self.clock, self.actor = app, clock, actor

    def run(self, use_case: Any, **kwargs: Any) -> Any:
        with self.app.app_context(), transaction():
            return use_case(self.actor, **kwargs)

    def record(self, urn: str) -> uuid.UUID:
        """Record an application received today (UK date on the test's clock)."""
        with self.app.app_context():
            today = uk_day(db_now())
        result: uuid.UUID = self.run(service.record_application, command=_command(urn, today))
        return result

    def view(self, application_id: uuid.UUID) -> service.ApplicationView:
        result: service.ApplicationView = self.run(
            service.view_application, application_id=application_id
        )
        return result

    def move_to(self, moment: datetime) -> None:
        with self.app.app_context():
            self.clock.advance(moment - db_now())


@pytest.fixture
def desk(app: Flask, clock: ShiftedClock, world: CsodsWorld) -> Desk:
    return Desk(app, clock, actor_of(app, world.csods))


def _breach_instant(desk: Desk, application_id: uuid.UUID, target: timedelta) -> None:
    start = desk.view(application_id).application.phase_started_at
    limit = target
    if target >= timedelta(days=2):  # a day target: the end of the last UK calendar day
        limit = end_of_uk_day(uk_day(start) + target) - start
    desk.move_to(start + limit - SECOND)
    before = desk.view(application_id).clocks
    assert before.stage is not None
    assert not before.stage.breached
    assert before.stage.target == target
    desk.move_to(start + limit + SECOND)
    after = desk.view(application_id).clocks
    assert after.stage is not None
    assert after.stage.breached


def test_each_stage_target_breaches_at_the_right_instant(desk: Desk) -> None:
    application_id = desk.record("LARK/1")
    _breach_instant(desk, application_id, timedelta(hours=24))

    desk.run(steps.begin_checks, application_id=application_id, command=NOTE)
    _breach_instant(desk, application_id, timedelta(hours=24))  # still the initial checks
    desk.run(
        steps.decide_scope,
        application_id=application_id,
        command=ScopeCommand(True, "PNC", None),
    )
    assert desk.view(application_id).application.stage == Stage.SCOPE_DECIDED
    _breach_instant(desk, application_id, timedelta(days=10))

    desk.run(
        steps.record_interview,
        application_id=application_id,
        command=InterviewCommand(True, "Passport", "Bill", "Birth certificate", "Seen"),
    )
    _breach_instant(desk, application_id, timedelta(days=28))
    desk.run(steps.begin_risk_assessment, application_id=application_id, command=NOTE)
    _breach_instant(desk, application_id, timedelta(days=28))  # the phase clock keeps running


def test_a_recorded_pause_stops_the_clock_and_a_restart_resumes_it(desk: Desk) -> None:
    application_id = desk.record("LARK/3")
    start = desk.view(application_id).application.received_at
    desk.move_to(start + timedelta(hours=10))
    desk.run(
        service.pause_clock,
        application_id=application_id,
        command=PauseCommand("Applicant in hospital"),
    )
    desk.move_to(start + timedelta(hours=200))
    paused = desk.view(application_id).clocks
    assert paused.paused
    assert paused.stage is not None
    assert timedelta(hours=10) <= paused.stage.elapsed < timedelta(hours=10, seconds=5)
    assert not paused.breached

    desk.run(service.resume_clock, application_id=application_id, command=NOTE)
    desk.move_to(start + timedelta(hours=213))
    resumed = desk.view(application_id).clocks
    assert resumed.stage is not None
    assert not resumed.stage.breached  # 23 hours counted
    desk.move_to(start + timedelta(hours=215))
    late = desk.view(application_id).clocks
    assert late.stage is not None
    assert late.stage.breached  # 25 hours counted
    assert late.overall.elapsed < timedelta(hours=25, seconds=5)


def test_a_pause_needs_a_reason(desk: Desk) -> None:
    from portal.csods.schemas import PauseSchema

    with pytest.raises(Exception, match="exceptional circumstances"):
        PauseSchema().load({"reason": "  "})


def test_a_second_pause_while_paused_is_refused(desk: Desk) -> None:
    application_id = desk.record("LARK/4")
    desk.run(service.pause_clock, application_id=application_id, command=PauseCommand("Ill"))
    with pytest.raises(service.Refused, match="already paused"):
        desk.run(service.pause_clock, application_id=application_id, command=PauseCommand("x"))


def test_legacy_totals_are_an_option(app: Flask, desk: Desk) -> None:
    application_id = desk.record("LARK/5")
    assert desk.view(application_id).clocks.overall.target == timedelta(days=39)
    settings = app.extensions["portal.settings"]
    app.extensions["portal.settings"] = settings.with_changes(csods_legacy_totals=True)
    assert desk.view(application_id).clocks.overall.target == timedelta(days=45)


def _listing(desk: Desk, **kwargs: Any) -> cases.CaseList:
    options: dict[str, Any] = {
        "stage": None,
        "officer_id": None,
        "include_closed": False,
        "period": (date(2026, 1, 1), date(2026, 12, 31)),
    }
    options.update(kwargs)
    result: cases.CaseList = desk.run(cases.case_list, **options)
    return result


def test_case_list_puts_breaches_first_then_nearest_to_breach(desk: Desk) -> None:
    old = desk.record("OLD/1")  # will breach its 24 hours
    desk.move_to(datetime.now(UTC) + timedelta(hours=20))
    middle = desk.record("MIDDLE/1")
    desk.move_to(datetime.now(UTC) + timedelta(hours=26))
    fresh = desk.record("FRESH/1")
    desk.move_to(datetime.now(UTC) + timedelta(hours=30))
    # old: 30 h (breached); middle: 10 h; fresh: 4 h.

    rows = _listing(desk).rows

    assert [r.application_id for r in rows] == [old, middle, fresh]
    assert [r.clocks.breached for r in rows] == [True, False, False]
    staged = _listing(desk, stage=Stage.RECEIVED).rows
    assert len(staged) == 3
    assert _listing(desk, stage=Stage.SCOPE_DECIDED).rows == []
    assert _listing(desk, officer_id=uuid.uuid4()).rows == []
    assert len(_listing(desk, officer_id=desk.actor.user_id).rows) == 3


def test_outcome_counts_for_a_date_range(desk: Desk, world: CsodsWorld, app: Flask) -> None:
    supervisor = actor_of(app, world.supervisor)
    ids = [desk.record(f"COUNT/{n}") for n in range(3)]
    for application_id in ids[:2]:
        desk.run(steps.begin_checks, application_id=application_id, command=NOTE)
    desk.run(
        steps.decide_scope, application_id=ids[0], command=ScopeCommand(False, "PNC", "No child")
    )
    second = ids[1]
    desk.run(steps.decide_scope, application_id=second, command=ScopeCommand(True, "PNC", None))
    desk.run(
        steps.record_interview,
        application_id=second,
        command=InterviewCommand(True, "Passport", "Bill", "Birth certificate", "Seen"),
    )
    desk.run(steps.begin_risk_assessment, application_id=second, command=NOTE)
    desk.run(
        steps.complete_risk_assessment,
        application_id=second,
        command=RiskAssessmentCommand((("School", "No concerns"),), "Low"),
    )
    desk.run(
        steps.record_decision,
        application_id=second,
        command=DecisionCommand(
            Outcome.NO_DISCLOSURE,
            "Panel",
            "DI Reed",
            "Lawful",
            "None",
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            "No convictions",
        ),
    )
    with app.app_context(), transaction():
        steps.approve_decision(supervisor, application_id=second, command=NOTE)
    with app.app_context():
        today = uk_day(db_now())
    told = DeliveryCommand(today, "LETTER", False, None, None)
    desk.run(steps.inform_applicant, application_id=second, command=told)
    desk.run(steps.close_application, application_id=second, command=NOTE)

    counts = _listing(desk).counts
    assert counts["open"] == 1
    assert counts["NOT_IN_SCOPE"] == 1
    assert counts["NO_DISCLOSURE"] == 1
    assert counts["DISCLOSE"] == 0
    assert sum(_listing(desk, period=(date(2025, 1, 1), date(2025, 12, 31))).counts.values()) == 0
    assert [r.application_id for r in _listing(desk).rows] == [ids[2]]  # closed ones hidden
    assert len(_listing(desk, include_closed=True).rows) == 3
