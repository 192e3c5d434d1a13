"""Access-log exports say what they hold: never silently cut short, findable by subject, and
with the dates as the officer typed them."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from typing import Any

import pytest
from flask import Flask

from portal.audit import events
from portal.audit.recorder import record
from portal.core.actor import Actor
from portal.core.identity import Clearance, Role
from portal.db.transaction import transaction
from portal.governance import exports
from tests.helpers import csrf_token
from tests.integration.governance.conftest import IgWorld, events_of

SEQ_LINK = re.compile(r'href="/governance/log/(\d+)"')


def _consultations(app: Flask, who: Any, subject_id: uuid.UUID, count: int) -> None:
    actor = Actor(who.id, who.agency_id, frozenset({Role.PROBATION_OFFICER}), Clearance.SC, "x")
    with app.app_context(), transaction():
        for _ in range(count):
            record(events.consultation(actor, subject_id=subject_id, marking="OFFICIAL"))


def _form(token: str, subject: uuid.UUID, fmt: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "subject": subject.hex,
        "date_from": "2020-07-01",
        "date_to": "2099-07-31",
        "format": fmt,
        "recipient": "Information Commissioner's Office",
    }


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_an_export_over_the_limit_is_refused_on_the_page_not_cut_short(
    ig: IgWorld, make_client: Any, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    w = ig.world
    subject = uuid.uuid4()
    _consultations(ig.app, w.people["csc"], subject, 5)
    monkeypatch.setattr(exports, "EXPORT_LIMIT", 3)
    browser = w.browser(ig.ig, make_client)
    token = csrf_token(browser, f"/governance/log?subject={subject.hex}")
    response = browser.post("/governance/log/export", data=_form(token, subject, fmt))
    assert response.status_code == 400
    assert "Content-Disposition" not in response.headers
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    summary = html.split('class="govuk-error-summary"')[1].split("</div>\n</div>")[0]
    # Five consultations and the officer's own search (it names the subject): six match.
    assert "6 events match this search" in summary
    assert "at most 3" in summary
    assert "Narrow the search" in summary
    assert 'href="#date_from"' in summary
    # What was typed is kept, so the officer narrows rather than starts again.
    assert 'value="2020-07-01"' in html
    assert 'value="Information Commissioner&#39;s Office"' in html
    assert events_of(ig.app, "LOG_EXPORTED") == []


def test_an_export_of_exactly_the_limit_holds_every_match(
    ig: IgWorld, make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = ig.world
    subject = uuid.uuid4()
    _consultations(ig.app, w.people["csc"], subject, 2)
    monkeypatch.setattr(exports, "EXPORT_LIMIT", 3)  # two events and the officer's search
    browser = w.browser(ig.ig, make_client)
    token = csrf_token(browser, f"/governance/log?subject={subject.hex}")
    response = browser.post("/governance/log/export", data=_form(token, subject, "csv"))
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert len(lines[3:-1]) == 3
    [exported] = events_of(ig.app, "LOG_EXPORTED", ig.ig.id)
    assert json.loads(exported.body)["with"]["detail"]["rows"] == "3"


def test_an_export_of_a_subjects_history_shows_in_a_search_by_that_subject(
    ig: IgWorld, make_client: Any
) -> None:
    w = ig.world
    subject = uuid.uuid4()
    _consultations(ig.app, w.people["csc"], subject, 1)
    browser = w.browser(ig.ig, make_client)
    token = csrf_token(browser, f"/governance/log?subject={subject.hex}")
    assert browser.post("/governance/log/export", data=_form(token, subject, "csv")).status_code
    [exported] = events_of(ig.app, "LOG_EXPORTED", ig.ig.id)
    [read] = events_of(ig.app, "LOG_READ", ig.ig.id)
    assert read.subject_id == subject  # as the search's own LOG_READ
    assert exported.subject_id == subject
    page = browser.get(f"/governance/log?subject={subject.hex}&event_type=LOG_EXPORTED")
    assert [int(s) for s in SEQ_LINK.findall(page.get_data(as_text=True))] == [exported.seq]


def test_an_export_without_a_subject_names_none(ig: IgWorld, make_client: Any) -> None:
    browser = ig.world.browser(ig.ig, make_client)
    token = csrf_token(browser, "/governance/log?event_type=LOGIN")
    data = {"csrf_token": token, "event_type": "LOGIN", "format": "csv", "recipient": "ICO"}
    assert browser.post("/governance/log/export", data=data).status_code == 200
    [exported] = events_of(ig.app, "LOG_EXPORTED", ig.ig.id)
    assert exported.subject_id is None


def test_the_json_export_labels_the_dates_as_the_uk_days_typed(
    ig: IgWorld, make_client: Any
) -> None:
    w = ig.world
    subject = uuid.uuid4()
    _consultations(ig.app, w.people["csc"], subject, 1)
    browser = w.browser(ig.ig, make_client)
    token = csrf_token(browser, f"/governance/log?subject={subject.hex}")
    response = browser.post("/governance/log/export", data=_form(token, subject, "json"))
    filters = json.loads(response.get_data(as_text=True))["filters"]
    assert filters["filter_subject_id"] == subject.hex
    # The days as typed (UK time, both included), and the instants with the end exclusive.
    assert filters["filter_first_day_uk"] == "2020-07-01"
    assert filters["filter_last_day_uk"] == "2099-07-31"
    assert filters["recorded_at_or_after"] == "2020-06-30T23:00:00Z"  # BST midnight
    assert filters["recorded_before"] == "2099-07-31T23:00:00Z"  # the day after, exclusive
    assert not any(key.startswith("filter_date") for key in filters)
