"""The delivery record's dates (domain §2.3 "date and method", "undertaking or warning
given"; §8.1 "undertaking signed (bool, date)"; §8.2 DECIDED -> DISCLOSURE_DELIVERED /
APPLICANT_INFORMED): an outcome is delivered on or after the day its decision was approved,
and a disclosure's undertaking is signed on or before the day of the disclosure. A refusal
shows the GOV.UK error summary and writes nothing (no DISCLOSURE event)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.helpers import summary_link
from tests.integration.csods.support import (
    BASE,
    DISCLOSE,
    CsodsWorld,
    approved,
    boxes,
    delivery,
    refused,
    step,
    uk_today,
)


def _approved(officer: FlaskClient, supervisor: FlaskClient, decision: dict[str, Any]) -> uuid.UUID:
    return approved(officer, supervisor, decision, received_on=boxes(uk_today()))


# --- The disclosure record's dates (§2.3 "date and method", "undertaking"; §8.1) -------------


def test_an_undertaking_signed_after_the_disclosure_is_refused(
    world: CsodsWorld, officer: FlaskClient, supervisor: FlaskClient
) -> None:
    application_id = _approved(officer, supervisor, DISCLOSE)
    today = uk_today()
    refused(
        world,
        officer,
        f"{BASE}/{application_id}/deliver-disclosure",
        delivery(delivered_on=boxes(today - timedelta(days=1)), undertaking_signed_on=boxes(today)),
        "The undertaking must be signed on or before the day of the disclosure",
    )
    assert world.events_of("DISCLOSURE") == []
    assert world.application(application_id).stage == "APPROVED"


def test_a_disclosure_dated_before_the_decision_was_approved_is_refused(
    world: CsodsWorld, officer: FlaskClient, supervisor: FlaskClient
) -> None:
    application_id = _approved(officer, supervisor, DISCLOSE)
    yesterday = boxes(uk_today() - timedelta(days=1))
    refused(
        world,
        officer,
        f"{BASE}/{application_id}/deliver-disclosure",
        delivery(delivered_on=yesterday, undertaking_signed_on=yesterday),
        "The date cannot be before the decision was approved",
    )
    assert world.events_of("DISCLOSURE") == []
    today = boxes(uk_today())
    done = delivery(delivered_on=today, undertaking_signed_on=today)
    assert step(officer, application_id, "deliver-disclosure", done).status_code == 302
    assert len(world.events_of("DISCLOSURE")) == 1


@pytest.mark.parametrize("days_before", [1, 365 * 125 + 30])
def test_an_undertaking_signed_before_the_decision_was_approved_is_refused(
    world: CsodsWorld, officer: FlaskClient, supervisor: FlaskClient, days_before: int
) -> None:
    """The recipient signs the undertaking once the disclosure is approved and before they are
    told: an undertaking dated before the approval (yesterday, or in 1901) is no undertaking
    for this disclosure."""
    application_id = _approved(officer, supervisor, DISCLOSE)
    today = uk_today()
    refused(
        world,
        officer,
        f"{BASE}/{application_id}/deliver-disclosure",
        delivery(undertaking_signed_on=boxes(today - timedelta(days=days_before))),
        f"The undertaking cannot be signed before the decision was approved "
        f"({today.day} {today:%B %Y})",
    )
    assert world.events_of("DISCLOSURE") == []
    assert world.application(application_id).stage == "APPROVED"


def test_the_refused_undertaking_date_is_linked_and_kept(
    officer: FlaskClient, supervisor: FlaskClient
) -> None:
    application_id = _approved(officer, supervisor, DISCLOSE)
    response = step(
        officer,
        application_id,
        "deliver-disclosure",
        delivery(undertaking_signed_on=["1", "1", "1901"]),
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    message = "The undertaking cannot be signed before the decision was approved"
    assert (summary_link(html, message) or "").startswith("undertaking_signed_on")
    assert 'value="1901"' in html  # what was typed stays in the box


def test_an_undertaking_signed_on_the_day_of_approval_and_delivery_is_accepted(
    world: CsodsWorld, officer: FlaskClient, supervisor: FlaskClient
) -> None:
    application_id = _approved(officer, supervisor, DISCLOSE)
    today = boxes(uk_today())
    done = delivery(delivered_on=today, undertaking_signed_on=today)
    assert step(officer, application_id, "deliver-disclosure", done).status_code == 302
    assert world.application(application_id).stage == "DISCLOSURE_DELIVERED"


def test_a_non_disclosure_letter_dated_before_the_approval_is_refused(
    world: CsodsWorld, officer: FlaskClient, supervisor: FlaskClient
) -> None:
    no = {**DISCLOSE, "outcome": "NO_DISCLOSURE", "non_disclosure_reasons": "No convictions"}
    application_id = _approved(officer, supervisor, no)
    told = {
        "delivered_on": boxes(uk_today() - timedelta(days=1)),
        "method": "LETTER",
        "note": "Letter sent",
    }
    refused(
        world,
        officer,
        f"{BASE}/{application_id}/inform-applicant",
        told,
        "The date cannot be before the decision was approved",
    )
