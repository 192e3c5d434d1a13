"""The case list's filters and the outcome counts' period, through the page: an answer that
cannot be read is an error on the page (400, linked from the summary), never silently replaced;
each of the page's two forms keeps the other's answers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from tests.helpers import summary_link
from tests.integration.csods.support import CsodsWorld, record, uk_today

LIST = "/csods/"


def _get(client: FlaskClient, **args: str) -> tuple[int, str]:
    response = client.get(LIST, query_string=args)
    return response.status_code, response.get_data(as_text=True)


def test_without_a_period_the_counts_cover_the_last_365_days(officer: FlaskClient) -> None:
    today = uk_today()  # the UK date (see test_uk_times for the hour after midnight BST)
    status, html = _get(officer)
    assert status == 200
    assert "There is a problem" not in html
    assert f'value="{(today - timedelta(days=365)).isoformat()}"' in html
    assert f'value="{today.isoformat()}"' in html


@pytest.mark.parametrize("typed", ["1/11/2026", "20261101", "2026-02-30", "2026-W44-1", "soon"])
def test_an_unreadable_first_day_is_an_error_not_a_silent_default(
    officer: FlaskClient, typed: str
) -> None:
    status, html = _get(officer, date_from=typed, date_to="2026-11-30")
    assert status == 400
    message = "Enter the first day as a date, for example 2026-11-01"
    assert summary_link(html, message) == "date_from"
    assert f'value="{typed}"' in html  # what was typed stays in the box


def test_a_last_day_before_the_first_is_an_error(officer: FlaskClient) -> None:
    status, html = _get(officer, date_from="2026-11-30", date_to="2026-11-01")
    assert status == 400
    message = "The last day must be the same as or after the first day"
    assert summary_link(html, message) == "date_to"


@pytest.mark.parametrize(
    ("args", "field", "message"),
    [
        ({"stage": "NOT_A_STAGE"}, "stage", "Choose a stage from the list"),
        ({"officer": "someone"}, "officer", "Choose an officer from the list"),
        # A well-formed id of no officer of this force.
        ({"officer": "0b5a6c1e-8a8f-4d6e-9a59-2f1d8f3c9a10"}, "officer", "Choose an officer"),
    ],
)
def test_a_filter_the_page_does_not_offer_is_an_error(
    officer: FlaskClient, args: dict[str, str], field: str, message: str
) -> None:
    status, html = _get(officer, **args)
    assert status == 400
    assert summary_link(html, message) == field


def test_each_form_keeps_the_other_forms_answers(officer: FlaskClient) -> None:
    record(officer)  # received 20 November 2026, at its first stage
    status, html = _get(
        officer, stage="RECEIVED", closed="yes", date_from="2026-11-01", date_to="2026-11-30"
    )
    assert status == 200
    assert "OAKENSHAW" in html
    assert "Received 1 November 2026 to 30 November 2026" in html
    # The filter form carries the period; the count form carries the filters.
    for name, value in [
        ("date_from", "2026-11-01"),
        ("date_to", "2026-11-30"),
        ("stage", "RECEIVED"),
        ("closed", "yes"),
    ]:
        assert f'<input type="hidden" name="{name}" value="{value}">' in html, name
    # The stage filter is applied.
    status, html = _get(officer, stage="INITIAL_CHECKS")
    assert status == 200
    assert "OAKENSHAW" not in html
    assert "There are no applications to show" in html


def test_the_officer_filter_lists_that_officers_applications(
    world: CsodsWorld, officer: FlaskClient
) -> None:
    record(officer)  # the recording officer holds it
    status, html = _get(officer, officer=str(world.csods.id))
    assert status == 200
    assert "OAKENSHAW" in html
    assert f'<option value="{world.csods.id}" selected>' in html
