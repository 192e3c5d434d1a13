"""A supervisor who does not approve a decision sends it back to the forum, with the reason.

Before this the only way on from "Decision awaiting approval" was to approve it: a supervisor
who disagreed had nothing to do, and the application stood still. Sending back keeps what the
decision said and why it went back, returns the application to the forum, and lets a new
decision be recorded and approved. The two-person rule holds for sending back as for approving.
"""

from __future__ import annotations

from flask.testing import FlaskClient

from portal.csods.models import CsodsDecision, CsodsReturnedDecision, CsodsStageChange
from portal.extensions import db
from tests.integration.csods.support import (
    BASE,
    DISCLOSE,
    CsodsWorld,
    decided,
    error_messages,
    refused,
    step,
)

REASON = "The pressing need is not set out; ask social care for the latest visit notes"


def _returned(world: CsodsWorld) -> list[CsodsReturnedDecision]:
    with world.app.app_context():
        rows = db.session.query(CsodsReturnedDecision).all()
        db.session.expunge_all()
        return rows


def test_a_decision_sent_back_returns_to_the_forum_and_a_new_one_can_be_approved(
    world: CsodsWorld, officer: FlaskClient, supervisor: FlaskClient
) -> None:
    application_id = decided(officer)
    changes_before = len(world.events_of("ALTERATION"))

    response = step(supervisor, application_id, "send-back", {"reason": REASON})

    assert response.status_code == 302, error_messages(response.get_data(as_text=True))
    app = world.application(application_id)
    assert (app.stage, app.outcome) == ("DECISION_FORUM", None)
    assert world.count(CsodsDecision) == 0
    [returned] = _returned(world)
    assert (returned.outcome, returned.reason) == ("DISCLOSE", REASON)
    assert (returned.decided_by_id, returned.returned_by_id) == (
        world.csods.id,
        world.supervisor.id,
    )
    [event] = world.events_of("ALTERATION")[changes_before:]
    assert (event.actor_id, event.record_id) == (world.supervisor.id, application_id)
    page = officer.get(f"{BASE}/{application_id}").get_data(as_text=True)
    assert "Decisions sent back" in page
    assert REASON in page

    # The forum decides again; the supervisor approves the new decision.
    no = {**DISCLOSE, "outcome": "NO_DISCLOSURE", "non_disclosure_reasons": "No convictions"}
    assert step(officer, application_id, "decision", no).status_code == 302
    assert step(supervisor, application_id, "approve", {}).status_code == 302
    app = world.application(application_id)
    assert (app.stage, app.outcome) == ("APPROVED", "NO_DISCLOSURE")
    with world.app.app_context():
        moves = [
            c.transition
            for c in db.session.query(CsodsStageChange).order_by(CsodsStageChange.at).all()
        ]
        db.session.remove()
    assert moves[-4:] == ["RECORD_DECISION", "SEND_BACK", "RECORD_DECISION", "APPROVE"]


def test_the_person_who_recorded_the_decision_cannot_send_it_back(
    world: CsodsWorld, officer: FlaskClient
) -> None:
    application_id = decided(officer)

    refused(
        world,
        officer,
        f"{BASE}/{application_id}/send-back",
        {"reason": REASON},
        "A decision must be sent back by a supervisor, not the person who recorded it",
    )

    assert world.application(application_id).stage == "DECIDED"
    assert world.count(CsodsDecision) == 1
    assert _returned(world) == []


def test_sending_back_needs_a_reason(
    world: CsodsWorld, officer: FlaskClient, supervisor: FlaskClient
) -> None:
    application_id = decided(officer)

    refused(
        world,
        supervisor,
        f"{BASE}/{application_id}/send-back",
        {"reason": "  "},
        "Enter why the decision is sent back",
    )

    assert world.application(application_id).stage == "DECIDED"


def test_an_approved_decision_cannot_be_sent_back(
    world: CsodsWorld, officer: FlaskClient, supervisor: FlaskClient
) -> None:
    application_id = decided(officer)
    assert step(supervisor, application_id, "approve", {}).status_code == 302

    refused(
        world,
        supervisor,
        f"{BASE}/{application_id}/send-back",
        {"reason": REASON},
        "There is no decision awaiting approval",
    )

    assert world.count(CsodsDecision) == 1
