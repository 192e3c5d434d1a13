"""A child named in an application is under 18 on the day it was received (domain §2.3: the
scheme is about a child; the age box already stops at 17), a 29 February birthday counting
from 1 March in a common year; an adult is refused with the GOV.UK error summary and nothing
is written."""

from __future__ import annotations

from datetime import date, timedelta

from flask.testing import FlaskClient

from tests.helpers import summary_link
from tests.integration.csods.support import (
    BASE,
    CsodsWorld,
    application_answers,
    boxes,
    child_answers,
    post,
    record,
    refused,
    uk_today,
)


def test_a_child_18_or_over_on_the_day_received_is_refused(
    world: CsodsWorld, officer: FlaskClient
) -> None:
    received = uk_today()
    adult = date(received.year - 18, received.month, 1)
    refused(
        world,
        officer,
        f"{BASE}/new",
        application_answers(received_on=boxes(received), child_date_of_birth=boxes(adult)),
        "The child must be under 18",
    )


def test_a_leap_day_birthday_turns_18_on_1_march(world: CsodsWorld, officer: FlaskClient) -> None:
    born = boxes(date(2008, 2, 29))
    refused(
        world,
        officer,
        f"{BASE}/new",
        application_answers(received_on=boxes(date(2026, 3, 1)), child_date_of_birth=born),
        "The child must be under 18",
    )
    record(officer, received_on=boxes(date(2026, 2, 28)), child_date_of_birth=born)


def test_adding_an_adult_as_a_child_is_refused(world: CsodsWorld, officer: FlaskClient) -> None:
    application_id = record(officer, received_on=boxes(uk_today()))
    refused(
        world,
        officer,
        f"{BASE}/{application_id}/children/new",
        child_answers(child_age="", child_date_of_birth=["1", "1", "1990"]),
        "The child must be under 18",
    )


# --- A child is born by the day the application was received (and never in the future) -------

BORN_AFTER = "The child’s date of birth cannot be after the date the application was received"


def test_a_child_born_after_the_day_received_is_refused(
    world: CsodsWorld, officer: FlaskClient
) -> None:
    received = uk_today() - timedelta(days=3)
    refused(
        world,
        officer,
        f"{BASE}/new",
        application_answers(
            received_on=boxes(received), child_date_of_birth=boxes(received + timedelta(days=1))
        ),
        BORN_AFTER,
    )


def test_adding_a_child_born_after_the_day_received_is_refused(
    world: CsodsWorld, officer: FlaskClient
) -> None:
    received = uk_today() - timedelta(days=5)
    application_id = record(officer, received_on=boxes(received))
    refused(
        world,
        officer,
        f"{BASE}/{application_id}/children/new",
        child_answers(child_age="", child_date_of_birth=boxes(uk_today())),
        BORN_AFTER,
    )


def test_the_refused_date_of_birth_is_linked_from_the_summary_and_kept(
    officer: FlaskClient,
) -> None:
    application_id = record(officer, received_on=boxes(uk_today() - timedelta(days=5)))
    born = uk_today() - timedelta(days=1)
    response = post(
        officer,
        f"{BASE}/{application_id}/children/new",
        child_answers(child_age="", child_date_of_birth=boxes(born)),
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert summary_link(html, BORN_AFTER).startswith("child_date_of_birth")
    assert f'value="{born.year}"' in html


def test_a_child_born_in_the_future_is_refused(world: CsodsWorld, officer: FlaskClient) -> None:
    application_id = record(officer, received_on=boxes(uk_today()))
    refused(
        world,
        officer,
        f"{BASE}/{application_id}/children/new",
        child_answers(child_age="", child_date_of_birth=boxes(uk_today() + timedelta(days=1))),
        "The child’s date of birth must be today or in the past",
    )


def test_a_child_born_on_the_day_received_is_accepted(
    world: CsodsWorld, officer: FlaskClient
) -> None:
    received = uk_today() - timedelta(days=2)
    application_id = record(
        officer, received_on=boxes(received), child_date_of_birth=boxes(received)
    )
    response = post(
        officer,
        f"{BASE}/{application_id}/children/new",
        child_answers(child_age="", child_date_of_birth=boxes(received)),
    )
    assert response.status_code == 302
    assert len(world.application(application_id).children) == 2
