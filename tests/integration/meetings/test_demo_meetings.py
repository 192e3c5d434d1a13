"""`flask demo seed` loads two subjects with an initial and a review meeting each, minutes in
every state, and actions owned by every partner agency in every status, some overdue."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from portal import create_app
from portal.agencies.models import Agency
from portal.config import Settings
from portal.core.clock import ShiftedClock, db_now
from portal.extensions import db
from portal.meetings.models import Meeting, MeetingAction, MinutesVersion
from portal.meetings.rules import is_overdue


@pytest.fixture
def demo_app(settings: Settings) -> Iterator[Flask]:
    app = create_app(settings.with_changes(demo_data=True))
    app.config["TESTING"] = True
    app.extensions["portal.clock"] = ShiftedClock()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_demo_seed_loads_meetings_minutes_and_actions_once(demo_app: Flask) -> None:
    runner = demo_app.test_cli_runner()
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    again = runner.invoke(args=["demo", "seed"])
    assert "Demo data: 0 new rows" in again.output
    with demo_app.app_context():
        today = db_now().date()
        meetings = db.session.query(Meeting).all()
        by_subject: dict[object, set[str]] = {}
        for meeting in meetings:
            by_subject.setdefault(meeting.subject_id, set()).add(meeting.kind)
        assert len(by_subject) >= 2
        assert all(kinds == {"INITIAL", "REVIEW"} for kinds in by_subject.values())
        statuses = {v.status for v in db.session.query(MinutesVersion)}
        assert statuses == {"DRAFT", "CHAIR_APPROVED", "DISTRIBUTED"}
        assert db.session.query(MinutesVersion).filter(MinutesVersion.number == 2).count() >= 1
        codes = {a.id: a.code for a in db.session.query(Agency)}
        owned: dict[str, set[str]] = {}
        overdue = 0
        for action in db.session.query(MeetingAction):
            owned.setdefault(codes[action.owner_agency_id], set()).add(action.status)
            overdue += is_overdue(action.status, action.due_on, today)
        every = {"OPEN", "IN_PROGRESS", "COMPLETED", "NOT_ACHIEVED", "SUPERSEDED", "CANCELLED"}
        assert owned == {"NPROB": every, "NCSC": every, "NHOUS": every}
        assert overdue > 0
