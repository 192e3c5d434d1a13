"""`flask demo seed` loads CSODS applications at every stage, one breaching its target, one
closed with a disclosure (with its DISCLOSURE event), one closed with no disclosure, one with
an immediate-risk referral; running it again changes nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from portal import create_app
from portal.audit.models import AuditEventRow
from portal.config import Settings
from portal.core.actor import Actor
from portal.core.clock import ShiftedClock
from portal.csods import cases
from portal.csods.models import CsodsApplication, CsodsDelivery, CsodsReferral
from portal.csods.stages import Stage
from portal.db.transaction import transaction
from portal.extensions import db
from portal.users.models import User


@pytest.fixture
def demo_app(settings: Settings) -> Iterator[Flask]:
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


def test_demo_seed_loads_csods_applications_once(demo_app: Flask) -> None:
    _seed(demo_app)
    assert "Demo data: 0 new rows" in _seed(demo_app)
    with demo_app.app_context():
        apps = db.session.query(CsodsApplication).all()
        assert {a.stage for a in apps} == {s.value for s in Stage}
        closed = [a for a in apps if a.stage == Stage.CLOSED.value]
        assert {a.outcome for a in closed} >= {"DISCLOSE", "NO_DISCLOSURE"}
        assert db.session.query(CsodsReferral).count() >= 1
        disclosure = db.session.query(CsodsDelivery).filter_by(kind="DISCLOSURE").first()
        assert disclosure is not None
        event = db.session.get(AuditEventRow, disclosure.audit_seq)
        assert event is not None
        assert event.event_type == "DISCLOSURE"
        assert event.legal_gateway == "GW-CJA03-S327A"
        officer = db.session.query(User).filter_by(email="mosovo@police.demo").one()
        actor = Actor.from_user(officer)
        supervisor = db.session.query(User).filter_by(email="csods.supervisor@police.demo").one()
        assert supervisor.id != officer.id
    with demo_app.app_context(), transaction():
        listing = cases.case_list(
            actor,
            stage=None,
            officer_id=None,
            include_closed=False,
            period=(apps[0].received_on.replace(year=2000), apps[0].received_on.replace(year=2100)),
        )
        breached = [r for r in listing.rows if r.clocks.breached]
        assert breached
        assert listing.rows[0].clocks.breached  # breaches first
        assert "BARROW" in {r.urn.split("/")[0] for r in breached}
