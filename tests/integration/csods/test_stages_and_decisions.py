"""Moving an application through its stages by the pages: every step records who and when;
refused transitions (decision before the risk assessment, approval by the decider, delivery
without an undertaking, closing without an outcome) show a clear message and change nothing;
delivering a disclosure writes one DISCLOSURE event naming the recipient with the codes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient

from portal.csods.models import (
    CsodsApplication,
    CsodsDecision,
    CsodsDelivery,
    CsodsReferral,
    CsodsStageChange,
)
from portal.users.forms import UNEXPECTED_INPUT
from tests.integration.csods.support import (
    BASE,
    DISCLOSE,
    DISCLOSERS,
    CsodsWorld,
    approved,
    decided,
    delivery,
    error_messages,
    record,
    step,
    today,
    walk_to_forum,
)


def _state(world: CsodsWorld, application_id: uuid.UUID) -> tuple[Any, ...]:
    app = world.application(application_id)
    return (
        app.stage,
        app.outcome,
        app.closed_at,
        world.count(CsodsStageChange),
        world.count(CsodsDecision),
        world.count(CsodsDelivery),
        # Opening the form page is a consultation; anything else would be a change.
        len([e for e in world.events() if e.event_type not in ("AUTHZ_FAIL", "CONSULTATION")]),
    )


def _refused(
    world: CsodsWorld,
    client: FlaskClient,
    application_id: uuid.UUID,
    slug: str,
    data: dict[str, Any],
    message: str,
) -> None:
    before = _state(world, application_id)
    response = step(client, application_id, slug, data)
    assert response.status_code == 400
    messages = error_messages(response.get_data(as_text=True))
    assert any(message in m for m in messages), messages
    assert _state(world, application_id) == before


@pytest.fixture
def officer(world: CsodsWorld, make_client: Any) -> FlaskClient:
    return world.browser(world.csods, make_client)


@pytest.fixture
def supervisor(world: CsodsWorld, make_client: Any) -> FlaskClient:
    return world.browser(world.supervisor, make_client)


def test_full_walk_to_a_disclosure_records_every_step_and_one_disclosure_event(
    world: CsodsWorld, officer: FlaskClient, supervisor: FlaskClient
) -> None:
    application_id = approved(officer, supervisor)
    disclosures_before = len(world.events_of("DISCLOSURE"))

    assert step(officer, application_id, "deliver-disclosure", delivery()).status_code == 302
    assert step(officer, application_id, "close", {"note": ""}).status_code == 302

    app = world.application(application_id)
    assert app.stage == "CLOSED"
    assert app.outcome == "DISCLOSE"
    assert app.closed_at is not None
    assert [c.agency for c in app.agency_checks] == ["Children's social care", "School"]
    assert app.evidence_identity == "Passport"
    with world.app.app_context():
        from portal.extensions import db

        changes = db.session.query(CsodsStageChange).order_by(CsodsStageChange.at).all()
        transitions = [c.transition for c in changes]
        by = {c.transition: c.by_id for c in changes}
        delivered = db.session.query(CsodsDelivery).one()
        decision = db.session.query(CsodsDecision).one()
        db.session.expunge_all()
    assert transitions == [
        "BEGIN_CHECKS",
        "IN_SCOPE",
        "VERIFIED",
        "BEGIN_RISK_ASSESSMENT",
        "COMPLETE_RISK_ASSESSMENT",
        "RECORD_DECISION",
        "APPROVE",
        "DELIVER_DISCLOSURE",
        "CLOSE",
    ]
    assert by["APPROVE"] == world.supervisor.id
    assert by["RECORD_DECISION"] == world.csods.id
    assert decision.approved_by_id == world.supervisor.id
    disclosures = world.events_of("DISCLOSURE")
    assert len(disclosures) == disclosures_before + 1
    event = disclosures[-1]
    assert event.legal_gateway == "GW-CJA03-S327A"
    assert event.dp_condition == "DP3-SCH8-4"
    assert "OFFICIAL-SENSITIVE" in (event.marking or "")
    assert "Rosalind Oakenshaw (Mother), outside the portal" in event.body
    assert event.record_id == application_id
    assert event.actor_id == world.csods.id
    # The delivery record names the event written in its own transaction.
    assert delivered.audit_seq == event.seq
    assert delivered.undertaking_signed
    assert delivered.undertaking_signed_on is not None
    # Who told the recipient is kept apart from who recorded it, and shown on the page.
    assert delivered.disclosed_by == DISCLOSERS
    assert delivered.delivered_by_id == world.csods.id
    page = officer.get(f"/csods/applications/{application_id}").get_data(as_text=True)
    assert "Disclosed by" in page
    assert DISCLOSERS in page


def test_decision_before_the_risk_assessment_is_refused_and_changes_nothing(
    world: CsodsWorld, officer: FlaskClient
) -> None:
    application_id = record(officer)
    step(officer, application_id, "begin-checks", {})
    _refused(
        world,
        officer,
        application_id,
        "decision",
        DISCLOSE,
        "A decision can only be recorded after the risk assessment is complete",
    )


def test_approval_by_the_person_who_recorded_the_decision_is_refused(
    world: CsodsWorld, officer: FlaskClient
) -> None:
    application_id = decided(officer)
    _refused(
        world,
        officer,
        application_id,
        "approve",
        {},
        "A decision must be approved by a supervisor, not the person who recorded it",
    )


def test_delivery_without_an_undertaking_is_refused_and_logs_no_disclosure(
    world: CsodsWorld, officer: FlaskClient, supervisor: FlaskClient
) -> None:
    application_id = approved(officer, supervisor)
    unsigned = delivery(undertaking_signed="NO", undertaking_signed_on=["", "", ""])
    _refused(
        world,
        officer,
        application_id,
        "deliver-disclosure",
        unsigned,
        "cannot be marked delivered until the recipient has signed the undertaking",
    )
    assert world.events_of("DISCLOSURE") == []


def test_disclosure_without_who_made_it_is_refused_and_logs_no_disclosure(
    world: CsodsWorld, officer: FlaskClient, supervisor: FlaskClient
) -> None:
    """Domain §8.1: the decision record names the discloser(s)."""
    application_id = approved(officer, supervisor)
    _refused(
        world,
        officer,
        application_id,
        "deliver-disclosure",
        delivery(disclosed_by="   "),
        "Enter who made the disclosure",
    )
    assert world.events_of("DISCLOSURE") == []


def test_a_letter_to_the_applicant_does_not_take_a_discloser(
    world: CsodsWorld, officer: FlaskClient, supervisor: FlaskClient
) -> None:
    """Only a disclosure asks who made it; sent with a letter it is an unexpected answer."""
    no = {**DISCLOSE, "outcome": "NO_DISCLOSURE", "non_disclosure_reasons": "No convictions"}
    application_id = approved(officer, supervisor, no)
    told = {"delivered_on": today(), "method": "LETTER", "note": "Letter sent"}
    _refused(
        world,
        officer,
        application_id,
        "inform-applicant",
        {**told, "disclosed_by": DISCLOSERS},
        UNEXPECTED_INPUT,
    )
    assert step(officer, application_id, "inform-applicant", told).status_code == 302


def test_delivery_before_approval_is_refused(world: CsodsWorld, officer: FlaskClient) -> None:
    application_id = decided(officer)
    _refused(
        world,
        officer,
        application_id,
        "deliver-disclosure",
        delivery(),
        "once the decision has been approved",
    )


def test_closing_without_an_outcome_is_refused(world: CsodsWorld, officer: FlaskClient) -> None:
    application_id = record(officer)
    walk_to_forum(officer, application_id)
    _refused(
        world,
        officer,
        application_id,
        "close",
        {"note": ""},
        "An application can only be closed once its outcome has been recorded",
    )


def test_not_in_scope_closes_with_the_explanation(world: CsodsWorld, officer: FlaskClient) -> None:
    application_id = record(officer)
    step(officer, application_id, "begin-checks", {})
    response = step(
        officer,
        application_id,
        "scope",
        {"checks_made": "PNC", "in_scope": "NO", "explanation": ""},
    )
    assert "Enter the explanation given to the applicant" in " ".join(
        error_messages(response.get_data(as_text=True))
    )
    assert world.application(application_id).stage == "INITIAL_CHECKS"
    step(
        officer,
        application_id,
        "scope",
        {"checks_made": "PNC", "in_scope": "NO", "explanation": "No specific child named"},
    )
    app = world.application(application_id)
    assert app.stage == "CLOSED_NOT_PROGRESSED"
    assert app.closed_at is not None
    assert app.scope_explanation == "No specific child named"


def test_an_unverified_applicant_closes_with_no_disclosure_possible(
    world: CsodsWorld, officer: FlaskClient
) -> None:
    application_id = record(officer)
    step(officer, application_id, "begin-checks", {})
    step(officer, application_id, "scope", {"checks_made": "PNC", "in_scope": "YES"})
    step(
        officer,
        application_id,
        "interview",
        {"verified": "NO", "notes": "Would not give their name"},
    )
    assert world.application(application_id).stage == "CLOSED_NO_DISCLOSURE_POSSIBLE"


def test_no_disclosure_informs_the_applicant_then_closes(
    world: CsodsWorld, officer: FlaskClient, supervisor: FlaskClient
) -> None:
    application_id = record(officer)
    walk_to_forum(officer, application_id)
    no = {**DISCLOSE, "outcome": "NO_DISCLOSURE", "non_disclosure_reasons": ""}
    response = step(officer, application_id, "decision", no)
    assert "Enter the reasons for not disclosing" in error_messages(response.get_data(as_text=True))
    step(officer, application_id, "decision", {**no, "non_disclosure_reasons": "No convictions"})
    step(supervisor, application_id, "approve", {})
    _refused(world, officer, application_id, "deliver-disclosure", delivery(), "not the way")
    told = {"delivered_on": today(), "method": "LETTER", "note": "Letter sent"}
    assert step(officer, application_id, "inform-applicant", told).status_code == 302
    assert step(officer, application_id, "close", {}).status_code == 302
    assert world.application(application_id).stage == "CLOSED"
    assert world.events_of("DISCLOSURE") == []


def test_an_immediate_risk_opens_a_referral_at_once_without_moving_the_stage(
    world: CsodsWorld, officer: FlaskClient
) -> None:
    application_id = record(officer)
    response = step(
        officer,
        application_id,
        "immediate-risk",
        {"referred_to": "Children's social care MASH", "risk": "Child alone with the subject"},
    )
    assert response.status_code == 302
    assert world.application(application_id).stage == "RECEIVED"
    assert world.count(CsodsReferral) == 1
    page = officer.get(f"{BASE}/{application_id}").get_data(as_text=True)
    assert "Children&#39;s social care MASH" in page or "Children's social care MASH" in page


def test_a_closed_application_takes_no_more_steps(world: CsodsWorld, officer: FlaskClient) -> None:
    application_id = record(officer)
    step(officer, application_id, "begin-checks", {})
    closing = {"checks_made": "x", "in_scope": "NO", "explanation": "y"}
    step(officer, application_id, "scope", closing)
    _refused(world, officer, application_id, "begin-checks", {}, "The application is closed")
    assert world.count(CsodsApplication) == 1


def test_a_step_page_for_a_later_stage_warns_before_anything_is_sent(
    world: CsodsWorld, officer: FlaskClient
) -> None:
    application_id = record(officer)
    early = officer.get(f"{BASE}/{application_id}/decision").get_data(as_text=True)
    assert "This step is not available at the application’s current stage" in early
    ready = officer.get(f"{BASE}/{application_id}/begin-checks").get_data(as_text=True)
    assert "not available" not in ready
