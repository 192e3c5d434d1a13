"""Alerts: raised by the scan at the edges of their thresholds, reviewed, never edited."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from portal.audit import events
from portal.audit.recorder import record
from portal.core.actor import Actor
from portal.core.clock import ShiftedClock, db_now
from portal.core.identity import Clearance, Role
from portal.core.uk_time import UK
from portal.db.transaction import transaction
from portal.extensions import db
from portal.governance import alerts
from portal.governance.models import Alert, AlertDisposition
from tests.helpers import csrf_token
from tests.integration.governance.conftest import IgWorld, events_of


def _actor(user: Any) -> Actor:
    return Actor(user.id, user.agency_id, frozenset({Role.SOCIAL_WORKER}), Clearance.SC, "x")


def _move_to(app: Flask, clock: ShiftedClock, local: datetime) -> None:
    """Shift the database clock so that now is ``local`` (UK time)."""
    with app.app_context():
        real = clock.base.now()
        db.session.remove()
    clock.offset = local.replace(tzinfo=UK) - real


def _next(weekday: int, hour: int, minute: int = 0) -> datetime:
    today = datetime.now(UK).date() + timedelta(days=7)
    day = today + timedelta(days=(weekday - today.weekday()) % 7)
    return datetime(day.year, day.month, day.day, hour, minute)


def _scan(app: Flask) -> list[Alert]:
    with app.app_context():
        with transaction():
            alerts.scan()
        rows = list(db.session.execute(select(Alert).order_by(Alert.raised_at)).scalars())
        db.session.expunge_all()
        return rows


def _consult(app: Flask, who: Any, subject_id: uuid.UUID) -> int:
    with app.app_context(), transaction():
        return record(events.consultation(_actor(who), subject_id=subject_id))


def test_access_at_one_minute_to_seven_is_flagged_and_at_seven_is_not(
    ig: IgWorld, clock: ShiftedClock
) -> None:
    w = ig.world
    _move_to(ig.app, clock, _next(0, 7) - timedelta(seconds=1))  # Monday 06:59:59
    early = _consult(ig.app, w.people["csc"], uuid.uuid4())
    _move_to(ig.app, clock, _next(0, 7))  # Monday 07:00:00
    _consult(ig.app, w.people["housing"], uuid.uuid4())
    found = [a for a in _scan(ig.app) if a.rule == "AFTER_HOURS"]
    assert [(a.actor_id, a.event_seq) for a in found] == [(w.people["csc"].id, early)]


def test_n_subjects_in_an_hour_is_quiet_and_n_plus_one_raises(
    ig: IgWorld, clock: ShiftedClock
) -> None:
    ig.app.config["PORTAL_IG_SUBJECTS_PER_HOUR"] = 3
    w = ig.world
    _move_to(ig.app, clock, _next(1, 10))
    same = uuid.uuid4()
    for subject in (same, same, uuid.uuid4(), uuid.uuid4()):  # 3 distinct subjects
        _consult(ig.app, w.people["csc"], subject)
        clock.advance(timedelta(minutes=10))
    assert [a for a in _scan(ig.app) if a.rule == "MANY_SUBJECTS"] == []
    fourth = _consult(ig.app, w.people["csc"], uuid.uuid4())
    [alert] = [a for a in _scan(ig.app) if a.rule == "MANY_SUBJECTS"]
    assert alert.event_seq == fourth
    assert alert.actor_id == w.people["csc"].id
    # All four within the hour (the first at +0, the fourth at +40 minutes).
    assert "4 different subjects" in alert.summary


def test_repeated_refusals_for_ended_grants(ig: IgWorld) -> None:
    w = ig.world
    who = _actor(w.people["housing"])

    def refuse(reason: str) -> None:
        with ig.app.app_context(), transaction():
            record(events.authz_fail(who, reason=reason, subject_id=uuid.uuid4()))

    refuse("grant_expired")
    refuse("grant_revoked")
    refuse("no_grant")  # not an ended grant: does not count
    assert [a for a in _scan(ig.app) if a.rule == "REPEATED_REFUSALS"] == []
    refuse("grant_expired")
    [alert] = [a for a in _scan(ig.app) if a.rule == "REPEATED_REFUSALS"]
    assert alert.actor_id == w.people["housing"].id


def test_grant_ending_within_seven_days_without_renewal(ig: IgWorld) -> None:
    w = ig.world
    subject_id = w.subject()
    soon = w.grant(subject_id, "csc", days=6.9)
    w.grant(subject_id, "housing", days=7.1)
    found = [a for a in _scan(ig.app) if a.rule == "GRANT_EXPIRING"]
    assert [a.grant_id for a in found] == [soon]
    assert len([a for a in _scan(ig.app) if a.rule == "GRANT_EXPIRING"]) == 1  # raised once


def test_queue_disposal_and_supersession(
    ig: IgWorld, clock: ShiftedClock, make_client: Any, factories: Any
) -> None:
    w = ig.world
    _move_to(ig.app, clock, _next(5, 23))  # Saturday night
    _consult(ig.app, w.people["csc"], uuid.uuid4())
    reviewer = w.browser(ig.ig, make_client)
    html = reviewer.get("/governance/alerts").get_data(as_text=True)
    assert "Access outside working hours" in html
    [alert] = _scan(ig.app)
    path = f"/governance/alerts/{alert.id}"
    token = csrf_token(reviewer, path)
    bad = reviewer.post(path, data={"csrf_token": token, "outcome": "JUSTIFIED", "notes": "ok"})
    assert bad.status_code == 400
    assert "Enter notes of between" in bad.get_data(as_text=True)
    done = reviewer.post(
        path,
        data={"csrf_token": token, "outcome": "JUSTIFIED", "notes": "Duty rota confirms call-out"},
    )
    assert done.status_code == 302
    later = reviewer.post(
        path,
        data={"csrf_token": token, "outcome": "BREACH", "notes": "Call-out log shows no call-out"},
    )
    assert later.status_code == 302
    with ig.app.app_context():
        rows = list(
            db.session.execute(
                select(AlertDisposition).order_by(AlertDisposition.decided_at)
            ).scalars()
        )
        assert [r.outcome for r in rows] == ["JUSTIFIED", "BREACH"]
        assert rows[1].supersedes_id == rows[0].id
        with pytest.raises(DBAPIError), db.engine.begin() as connection:
            connection.execute(text("UPDATE ig_alert_disposition SET outcome = 'JUSTIFIED'"))
        with pytest.raises(DBAPIError), db.engine.begin() as connection:
            connection.execute(text("DELETE FROM ig_alert_disposition"))
        db.session.remove()
    disposed = [
        json.loads(e.body)["with"]
        for e in events_of(ig.app, "LOG_READ", ig.ig.id)
        if json.loads(e.body)["with"]["reason"] == "alert_disposed"
    ]
    assert [d["detail"]["decision"] for d in disposed] == ["JUSTIFIED", "BREACH"]
    page = reviewer.get("/governance/alerts").get_data(as_text=True)
    assert "There are no open alerts" in page
    assert "Breach" in page.split("Recent decisions")[1]


def test_a_reviewer_cannot_dispose_of_their_own_alert(
    ig: IgWorld, clock: ShiftedClock, make_client: Any, factories: Any
) -> None:
    w = ig.world
    both = factories.user(
        agency=w.police, roles=(Role.IG_OFFICER, Role.MOSOVO_OFFICER), full_name="Dual Role"
    )
    _move_to(ig.app, clock, _next(6, 2))  # Sunday 02:00
    with ig.app.app_context(), transaction():
        record(
            events.consultation(
                Actor(both.id, both.agency_id, frozenset({Role.MOSOVO_OFFICER}), Clearance.SC, "d"),
                subject_id=uuid.uuid4(),
            )
        )
    [alert] = _scan(ig.app)
    browser = w.browser(both, make_client)
    assert "Your own access" in browser.get("/governance/alerts").get_data(as_text=True)
    path = f"/governance/alerts/{alert.id}"
    token = csrf_token(browser, path)
    refused = browser.post(
        path, data={"csrf_token": token, "outcome": "JUSTIFIED", "notes": "It was me, honestly"}
    )
    assert refused.status_code == 400
    assert "You cannot review an alert about your own access" in refused.get_data(as_text=True)
    with ig.app.app_context():
        assert db.session.execute(select(AlertDisposition)).first() is None
        db.session.remove()
    # Another reviewer can.
    other = w.browser(ig.ig, make_client)
    token = csrf_token(other, path)
    ok = other.post(
        path, data={"csrf_token": token, "outcome": "FOLLOW_UP", "notes": "Ask the duty inspector"}
    )
    assert ok.status_code == 302


def test_opening_one_alert_is_itself_recorded_as_a_log_read(
    ig: IgWorld, clock: ShiftedClock, make_client: Any
) -> None:
    """The alert page shows metadata derived from the log (who, when, which subject): opening
    it is a read of the log, recorded as every other IG page's is."""
    w = ig.world
    _move_to(ig.app, clock, _next(5, 23))  # Saturday night
    subject = uuid.uuid4()
    _consult(ig.app, w.people["csc"], subject)
    [alert] = _scan(ig.app)
    reviewer = w.browser(ig.ig, make_client)
    before = len(events_of(ig.app, "LOG_READ", ig.ig.id))
    response = reviewer.get(f"/governance/alerts/{alert.id}")
    assert response.status_code == 200
    [read] = events_of(ig.app, "LOG_READ", ig.ig.id)[before:]
    body = json.loads(read.body)["with"]
    assert body["reason"] == "alert"
    assert body["detail"] == {"alert_id": alert.id.hex}
    assert read.subject_id == subject
    # An unknown alert is the uniform 404 and reads nothing.
    missing = reviewer.get(f"/governance/alerts/{uuid.uuid4()}")
    assert missing.status_code == 404
    assert len(events_of(ig.app, "LOG_READ", ig.ig.id)) == before + 1


def test_the_clock_helper_really_moves_now(ig: IgWorld, clock: ShiftedClock) -> None:
    target = _next(2, 13, 30)
    _move_to(ig.app, clock, target)
    with ig.app.app_context():
        now = db_now().astimezone(UK)
        db.session.remove()
    assert abs((now.replace(tzinfo=None) - target).total_seconds()) < 5


def test_scheduled_scan_command_raises_after_hours_alert_once(
    ig: IgWorld, clock: ShiftedClock
) -> None:
    w = ig.world
    _move_to(ig.app, clock, _next(2, 22))  # Wednesday 22:00
    late = _consult(ig.app, w.people["csc"], uuid.uuid4())
    runner = ig.app.test_cli_runner()
    first = runner.invoke(args=["governance", "scan"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(args=["governance", "scan"])
    assert again.exit_code == 0, again.output
    assert "Alerts raised: 0" in again.output
    with ig.app.app_context():
        found = list(db.session.execute(select(Alert).where(Alert.rule == "AFTER_HOURS")).scalars())
        assert [(a.actor_id, a.event_seq) for a in found] == [(w.people["csc"].id, late)]
