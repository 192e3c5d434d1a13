"""The IG journey in Chromium, axe-clean on every page: an IG officer filters the access log by a
subject and a date range, opens an event, disposes of an after-hours alert as justified,
exports the result as CSV, finds their own search and export in the log, and runs a verification
of the log, checking its progress when they choose (the page never reloads itself)."""

from __future__ import annotations

import csv
import io
import threading
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from portal.audit import events
from portal.audit.recorder import record
from portal.core.actor import Actor
from portal.core.clock import ShiftedClock
from portal.core.identity import Clearance, Role
from portal.core.uk_time import UK
from portal.db.transaction import transaction
from portal.extensions import db
from portal.governance import integrity
from tests.e2e.test_sharing_journey import Tab
from tests.integration.subjects.sharing import World

pytestmark = pytest.mark.e2e
IG = "OFFICIAL-SENSITIVE"


def _saturday_night(app: Any, clock: ShiftedClock) -> datetime:
    """Shift the clock to last Saturday 23:10 UK time; returns that time."""
    today = datetime.now(UK).date()
    saturday = today - timedelta(days=(today.weekday() - 5) % 7 or 7)
    moment = datetime(saturday.year, saturday.month, saturday.day, 23, 10, tzinfo=UK)
    with app.app_context():
        clock.offset = moment - clock.base.now()
        db.session.remove()
    return moment


def test_ig_officer_searches_reviews_an_alert_and_exports(
    app: Any,
    live_server: str,
    chromium: Any,
    factories: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = World(app, factories)
    ig_user = factories.user(
        agency=world.police, roles=(Role.IG_OFFICER,), full_name="Ingrid Governance"
    )
    subject_id = world.subject()
    social = world.people["csc"]
    clock: ShiftedClock = app.extensions["portal.clock"]
    night = _saturday_night(app, clock)
    with app.app_context(), transaction():
        record(
            events.consultation(
                Actor(
                    social.id, social.agency_id, frozenset({Role.SOCIAL_WORKER}), Clearance.SC, "s"
                ),
                subject_id=subject_id,
                marking="OFFICIAL-SENSITIVE",
            )
        )
    clock.offset = timedelta(0)

    ig = Tab(chromium, live_server, "IG officer")
    ig.sign_in(app, ig_user)
    ig.click("link", "Access log")
    assert ig.heading() == "Search the access log"
    ig.check("the empty search", IG)
    page = ig.page
    page.get_by_label("Subject", exact=True).fill(subject_id.hex)
    page.get_by_label("From", exact=True).fill((night.date() - timedelta(days=1)).isoformat())
    page.get_by_label("To", exact=True).fill(datetime.now(UK).date().isoformat())
    ig.click("button", "Search")
    table = page.locator("table").inner_text()
    assert "Children's Social Care Worker" in table
    assert "CONSULTATION" in table
    ig.check("the search results", IG)

    page.locator("table a.govuk-link").first.click()
    page.wait_for_load_state()
    assert ig.heading().startswith("Event ")
    assert "Row hash" in page.content()
    ig.check("an event", IG)

    ig.click("link", "Alerts")
    assert ig.heading() == "Alerts to review"
    ig.check("the alert queue", IG)
    page.get_by_role("link", name="Review access outside working hours alert").first.click()
    page.wait_for_load_state()
    ig.check("an alert", IG)
    page.get_by_label("Justified").check()
    page.get_by_label("Notes").fill("On-call social worker; call-out confirmed with the rota")
    ig.click("button", "Record decision")
    assert "Decision recorded" in page.content()
    assert "There are no open alerts" in page.content()
    ig.check("the decided queue", IG)

    ig.click("link", "Access log")
    page.get_by_label("Subject", exact=True).fill(subject_id.hex)
    ig.click("button", "Search")
    page.get_by_label("Who the export is for").fill("Information Commissioner's Office")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export as CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("OFFICIAL-SENSITIVE_access-log_")
    path = download.path()
    assert path is not None
    with open(path, encoding="utf-8") as handle:
        lines = list(csv.reader(io.StringIO(handle.read())))
    assert lines[0] == ["OFFICIAL-SENSITIVE"]
    assert "CONSULTATION" in {row[2] for row in lines[3:-1] if len(row) > 2}

    page.get_by_label("User").select_option(label="Ingrid Governance, Northshire Police")
    page.get_by_label("Subject", exact=True).fill("")
    ig.click("button", "Search")
    mine = page.locator("table").inner_text()
    assert "LOG_EXPORTED" in mine
    assert "LOG_READ" in mine
    ig.check("the officer's own events", IG)

    # A verification held until released, so the page can be seen while it runs.
    release = threading.Event()
    real_verify = integrity.verify

    def held(**kwargs: Any) -> Any:
        assert release.wait(timeout=30)
        return real_verify(**kwargs)

    monkeypatch.setattr(integrity, "verify", held)
    monkeypatch.setattr(integrity, "_JOBS", {})
    ig.click("link", "Integrity")
    assert ig.heading() == "Access log integrity"
    ig.check("the integrity panel", IG)
    ig.click("button", "Verify the access log now")
    assert "Checking:" in page.get_by_role("status").inner_text()
    assert page.locator("meta[http-equiv]").count() == 0
    ig.check("a verification running", IG)
    release.set()
    [job] = integrity._JOBS.values()
    assert job.thread is not None
    job.thread.join(timeout=30)
    ig.click("button", "Check progress")
    assert "Checking:" not in page.get_by_role("status").inner_text()
    assert page.get_by_role("button", name="Check progress").count() == 0
    ig.check("a verification finished", IG)
    assert ig.errors == []
    assert uuid.UUID(str(subject_id))
