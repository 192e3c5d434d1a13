"""A safeguarding referral passes the application's details to another agency: a disclosure
(SPEC C4 and C6, domain §8.3 "log every ... disclosure ... with recipients and lawful-basis
codes"; §2.2 step 2 and §8.2 URGENT_SAFEGUARDING, OTHER_ACTION -> REFERRED). An immediate-risk
referral and the referral that ends an "other safeguarding action" decision each write one
DISCLOSURE event naming who received it, with the child-protection gateway and the Part 3
safeguarding condition, in the same transaction as the referral."""

from __future__ import annotations

from flask.testing import FlaskClient

from portal.csods.models import CsodsReferral
from tests.integration.csods.support import (
    DISCLOSE,
    CsodsWorld,
    approved,
    record,
    step,
    today,
)


def test_an_immediate_risk_referral_is_logged_as_a_disclosure_to_the_agency(
    world: CsodsWorld, officer: FlaskClient
) -> None:
    application_id = record(officer)
    before = {kind: len(world.events_of(kind)) for kind in ("DISCLOSURE", "ALTERATION")}
    response = step(
        officer,
        application_id,
        "immediate-risk",
        {"referred_to": "Northshire MASH", "risk": "Child alone with the subject tonight"},
    )
    assert response.status_code == 302
    assert world.count(CsodsReferral) == 1
    disclosures = world.events_of("DISCLOSURE")
    assert len(disclosures) == before["DISCLOSURE"] + 1
    assert len(world.events_of("ALTERATION")) == before["ALTERATION"]  # one event, not two
    event = disclosures[-1]
    assert "Northshire MASH" in event.body
    assert event.legal_gateway == "GW-CA89-S47"
    assert event.dp_condition == "DP3-SCH8-4"
    assert event.record_id == application_id
    assert "Child alone" not in event.body  # what was said stays in the case record


def test_the_referral_ending_an_other_action_decision_is_logged_as_a_disclosure(
    world: CsodsWorld, officer: FlaskClient, supervisor: FlaskClient
) -> None:
    other = {**DISCLOSE, "outcome": "OTHER_ACTION", "referrals": "Children's social care"}
    application_id = approved(officer, supervisor, other)
    before = len(world.events_of("DISCLOSURE"))
    referred = {"delivered_on": today(), "method": "LETTER", "note": "Referral form sent"}
    assert step(officer, application_id, "refer", referred).status_code == 302
    disclosures = world.events_of("DISCLOSURE")
    assert len(disclosures) == before + 1
    assert "Children's social care" in disclosures[-1].body
    assert disclosures[-1].legal_gateway == "GW-CA89-S47"
