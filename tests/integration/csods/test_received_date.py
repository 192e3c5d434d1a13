"""The clocks run from the day the application was received (domain §2.2: "Application
received", then "initial checks within 24 hours"), not from the moment it was typed into the
portal; and "today" for every date box is the UK date on the database clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from marshmallow import ValidationError

from portal.core.clock import ShiftedClock, db_now
from portal.csods.application_schemas import RecordApplicationSchema
from tests.integration.csods.support import (
    BASE,
    UK,
    CsodsWorld,
    application_answers,
    boxes,
    record,
    uk_today,
)


def test_the_clock_counts_from_the_day_received_not_the_day_recorded(
    world: CsodsWorld, officer: FlaskClient
) -> None:
    received = uk_today() - timedelta(days=3)
    application_id = record(officer, received_on=boxes(received))
    stored = world.application(application_id)
    end_of_day = datetime(received.year, received.month, received.day, tzinfo=UK) + timedelta(
        days=1
    )
    assert stored.received_at < end_of_day
    assert stored.phase_started_at == stored.received_at
    page = officer.get(f"{BASE}/{application_id}").get_data(as_text=True)
    assert "Target breached" in page  # more than 24 hours have passed since the third day ago


def test_an_application_received_today_counts_from_now(
    world: CsodsWorld, officer: FlaskClient, app: Flask
) -> None:
    application_id = record(officer, received_on=boxes(uk_today()))
    stored = world.application(application_id)
    with app.app_context():
        assert db_now() - stored.received_at < timedelta(minutes=5)


def test_today_is_the_uk_date_on_the_database_clock(app: Flask, clock: ShiftedClock) -> None:
    # 23:30 UTC on 10 June 2027 is already 11 June in the UK.
    with app.app_context():
        clock.advance(datetime(2027, 6, 10, 23, 30, tzinfo=UTC) - db_now())
        answers = application_answers(
            received_on=["11", "6", "2027"], child_date_of_birth=["1", "2", "2018"]
        )
        loaded = RecordApplicationSchema().load(answers)
        assert loaded.received_on == date(2027, 6, 11)
        with pytest.raises(ValidationError, match="today or in the past"):
            RecordApplicationSchema().load({**answers, "received_on": ["12", "6", "2027"]})
