"""Who accessed a subject, and who can access it now: agreement with the gate on the demo data."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from portal import create_app
from portal.access import gate
from portal.access.gate import AccessDenied, AcknowledgementRequired, Purpose
from portal.access.permissions import Permission
from portal.audit import events
from portal.audit.recorder import record
from portal.core.actor import Actor
from portal.core.clock import ShiftedClock
from portal.core.identity import Clearance, Role
from portal.core.markings import combine
from portal.db.transaction import transaction
from portal.extensions import db
from portal.governance.reach import reach_now
from portal.records.repository import list_records_for_subject
from portal.subjects.models import Subject
from portal.subjects.service import stored_marking, subject_target
from portal.users.models import User
from tests.integration.governance.conftest import IgWorld, events_of


@pytest.fixture
def demo_app(settings: Any) -> Iterator[Flask]:
    app = create_app(settings.with_changes(demo_data=True))
    app.config["TESTING"] = True
    app.extensions["portal.clock"] = ShiftedClock()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _gate_allows(app: Flask, user_id: Any, subject_id: Any) -> bool:
    """Whether the gate lets the user open the whole subject now (an acknowledgement still to
    give counts as allowed: it delays the opening, it does not refuse it)."""
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        actor = Actor.from_user(user)
        try:
            with transaction():
                subject = db.session.get(Subject, subject_id)
                assert subject is not None
                records = list_records_for_subject(subject.id)
                marking = combine(
                    [stored_marking(subject.marking), *(stored_marking(r.marking) for r in records)]
                )
                gate.authorize(
                    actor,
                    Permission.SUBJECT_READ,
                    subject_target(subject, marking=marking),
                    purpose=Purpose.VIEW,
                )
        except AcknowledgementRequired:
            return True
        except AccessDenied:
            return False
        finally:
            db.session.remove()
        return True


def test_who_can_access_now_agrees_with_the_gate_for_every_demo_user_and_subject(
    demo_app: Flask,
) -> None:
    result = demo_app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    with demo_app.app_context():
        users = list(db.session.execute(select(User.id)).scalars())
        subjects = list(db.session.execute(select(Subject.id)).scalars())
        predicted = {}
        for subject_id in subjects:
            with transaction():
                found = reach_now(subject_id)
            assert found is not None
            predicted[subject_id] = found[1]
        db.session.remove()
    assert len(users) >= 5
    assert len(subjects) >= 3
    pairs = 0
    for subject_id in subjects:
        for user_id in users:
            assert _gate_allows(demo_app, user_id, subject_id) == (
                user_id in predicted[subject_id]
            ), (user_id, subject_id)
            pairs += 1
    assert pairs == len(users) * len(subjects)
    # The demo data is only a meaningful check if both answers occur.
    assert any(predicted.values())
    assert any(len(p) < len(users) for p in predicted.values())


def test_who_can_access_page_lists_owner_staff_and_grant_holders_not_the_excluded(
    ig: IgWorld, make_client: Any
) -> None:
    w = ig.world
    subject_id = w.subject()
    w.grant(subject_id, "csc", profile="SUMMARY")
    w.grant(subject_id, "housing", state="expired")
    w.exclude(subject_id, w.people["probation"])
    w.grant(subject_id, "probation", profile="FULL")
    browser = w.browser(ig.ig, make_client)
    response = browser.get(f"/governance/subjects/{subject_id}/access")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    table = html.split("People who can open it")[1].split("Live grants")[0]
    assert "Olive Officer" in table
    assert "Children&#39;s Social Care Worker" in table
    assert "Housing Options Worker" not in table
    assert "Probation Worker" not in table
    assert "Probation Worker" in html.split("Excluded users")[1]
    assert "Fairweather" not in html
    [read] = events_of(ig.app, "LOG_READ", ig.ig.id)
    assert json.loads(read.body)["with"]["reason"] == "who_can_access"


def test_who_accessed_lists_the_people_the_log_shows(ig: IgWorld, make_client: Any) -> None:
    w = ig.world
    subject_id = w.subject()
    w.grant(subject_id, "csc", acknowledged=True)
    assert w.browser(w.officer, make_client).get(f"/subjects/{subject_id}").status_code == 200
    csc = w.browser(w.people["csc"], make_client)
    assert csc.get(f"/subjects/{subject_id}").status_code == 200
    assert csc.get(f"/subjects/{subject_id}").status_code == 200
    html = w.browser(ig.ig, make_client).get(f"/governance/subjects/{subject_id}/accessed")
    text = html.get_data(as_text=True)
    assert "Olive Officer" in text
    assert "Children&#39;s Social Care Worker" in text
    assert "Housing Options Worker" not in text
    [read] = events_of(ig.app, "LOG_READ", ig.ig.id)
    detail = json.loads(read.body)["with"]
    assert detail["reason"] == "who_accessed"
    assert detail["detail"]["rows"] == "2"


def test_unknown_subject_is_the_uniform_404(ig: IgWorld, make_client: Any) -> None:
    browser = ig.world.browser(ig.ig, make_client)
    response = browser.get("/governance/subjects/00000000-0000-4000-8000-000000000000/access")
    assert response.status_code == 404
    assert events_of(ig.app, "LOG_READ") == []


def _consult(app: Flask, who: Any, subject_id: Any, gateway: str, condition: str) -> None:
    actor = Actor(who.id, who.agency_id, frozenset({Role.PROBATION_OFFICER}), Clearance.SC, "x")
    with app.app_context(), transaction():
        record(
            events.consultation(
                actor,
                subject_id=subject_id,
                marking="OFFICIAL",
                legal_gateway=gateway,
                dp_condition=condition,
            )
        )


def test_who_accessed_shows_every_gateway_and_condition_pair_so_emergency_access_shows(
    ig: IgWorld, make_client: Any
) -> None:
    """'EMERGENCY' sorts before 'GW-...': a max() per person hid a break-glass access by
    someone who also used a grant, and paired codes from different events."""
    w = ig.world
    subject_id = uuid.uuid4()
    who = w.people["csc"]
    _consult(ig.app, who, subject_id, "GW-CJA03-S325", "DP3-SCH8-4")
    _consult(ig.app, who, subject_id, "GW-CJA03-S325", "DP3-SCH8-4")
    _consult(ig.app, who, subject_id, "EMERGENCY", "DP3-SCH8-3")
    html = w.browser(ig.ig, make_client).get(f"/governance/subjects/{subject_id}/accessed")
    assert html.status_code == 200
    body = html.get_data(as_text=True).split("<tbody")[1].split("</tbody>")[0]
    text = " ".join(re.sub(r"<[^>]+>", " ", body).split())
    assert text.count("Children&#39;s Social Care Worker") == 1
    # Each pair as it was recorded, with its count; never one event's gateway with another's.
    assert "EMERGENCY with DP3-SCH8-3 (1 event)" in text
    assert "GW-CJA03-S325 with DP3-SCH8-4 (2 events)" in text
    assert "GW-CJA03-S325 with DP3-SCH8-3" not in text
    assert "EMERGENCY with DP3-SCH8-4" not in text
    # The emergency pair comes first and is labelled as such.
    assert text.index("EMERGENCY") < text.index("GW-CJA03-S325")
    assert "Emergency (break-glass)" in text
