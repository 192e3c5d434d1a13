"""The demo seed gives the IG pages a history: months of events, after-hours access, a
break-glass and the alerts they raise; seeding again adds nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal import create_app
from portal.audit.models import AuditEventRow
from portal.core.clock import ShiftedClock
from portal.extensions import db
from portal.governance.models import Alert


@pytest.fixture
def demo_app(settings: Any) -> Iterator[Flask]:
    app = create_app(settings.with_changes(demo_data=True))
    app.config["TESTING"] = True
    app.extensions["portal.clock"] = ShiftedClock()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_demo_history_spans_months_with_after_hours_and_break_glass(demo_app: Flask) -> None:
    runner = demo_app.test_cli_runner()
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    with demo_app.app_context():
        count, first, last = db.session.execute(
            select(
                func.count(),
                func.min(AuditEventRow.recorded_at),
                func.max(AuditEventRow.recorded_at),
            )
        ).one()
        codes = set(db.session.execute(select(AuditEventRow.legal_gateway).distinct()).scalars())
        rules = set(db.session.execute(select(Alert.rule).distinct()).scalars())
        glass = db.session.execute(
            select(func.count()).where(AuditEventRow.event_type == "BREAK_GLASS")
        ).scalar_one()
        db.session.remove()
    assert count >= 2_000  # a tenth of the development history, under test
    assert (last - first).days >= 150
    assert {"GW-CL-POLICING", "EMERGENCY"} <= codes
    assert len(codes) >= 4
    assert {"AFTER_HOURS", "BREAK_GLASS"} <= rules
    assert glass == 1
    again = runner.invoke(args=["demo", "seed"])
    assert "Demo data: 0 new rows" in again.output
