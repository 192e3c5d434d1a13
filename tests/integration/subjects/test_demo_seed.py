"""`flask demo seed` loads subjects, records at OFFICIAL and OFFICIAL-SENSITIVE, and live,
expiring-within-7-days, expired and revoked grants to every partner agency; running it again
changes nothing."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from flask import Flask

from portal import create_app
from portal.access.models import AccessGrant
from portal.agencies.models import Agency
from portal.core.clock import ShiftedClock, db_now
from portal.core.markings import Marking
from portal.extensions import db
from portal.records.models import SharedRecord
from portal.subjects.models import Subject


@pytest.fixture
def demo_app(settings):
    app = create_app(settings.with_changes(demo_data=True))
    app.config["TESTING"] = True
    app.extensions["portal.clock"] = ShiftedClock()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _seed(app: Flask) -> str:
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    return result.output


def test_demo_seed_loads_sharing_data_once(demo_app):
    first = _seed(demo_app)
    second = _seed(demo_app)

    assert "Demo data: 0 new rows" in second
    assert "Demo data: 0 new rows" not in first
    with demo_app.app_context():
        now = db_now()
        agencies = {a.id: a.code for a in db.session.query(Agency)}
        assert db.session.query(Subject).count() == 4
        markings = {Marking.from_json(r.marking).banner for r in db.session.query(SharedRecord)}
        assert markings == {"OFFICIAL", "OFFICIAL-SENSITIVE - PERSONAL DATA"}
        states: dict[str, set[str]] = {}
        for grant in db.session.query(AccessGrant):
            ends = (
                grant.expires_at.replace(tzinfo=UTC)
                if grant.expires_at.tzinfo is None
                else grant.expires_at
            )
            if grant.status == "REVOKED":
                state = "revoked"
            elif grant.status == "REQUESTED":
                state = "requested"
            elif ends <= now:
                state = "expired"
            elif ends - now <= timedelta(days=7):
                state = "expiring"
            else:
                state = "live"
            states.setdefault(agencies[grant.grantee_agency_id], set()).add(state)
        for partner in ("NPROB", "NCSC", "NHOUS"):
            assert states[partner] - {"requested"} == {"live", "expiring", "expired", "revoked"}
        assert "requested" in states["NPROB"]  # a request waiting for the owner's decision
