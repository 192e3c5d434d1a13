"""Break-glass: a reason, a fixed window at the database clock, EMERGENCY on every event, an
alert, a banner; refused outside the window and where the glass may not be broken."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from portal.access.models import BreakGlassWindow
from portal.core.clock import ShiftedClock
from portal.core.identity import Role
from portal.extensions import db
from portal.governance.models import Alert
from tests.helpers import csrf_token
from tests.integration.governance.conftest import IgWorld, events_of

REASON = "Child reported missing tonight; address history needed now"


def set_now(ig: IgWorld, clock: ShiftedClock, moment: datetime) -> None:
    """Shift the database clock so that now is ``moment`` (to within milliseconds)."""
    with ig.app.app_context():
        clock.offset = moment - clock.base.now()
        db.session.remove()


def _break(browser: Any, subject_id: Any, reason: str = REASON) -> Any:
    path = f"/governance/break-glass/{subject_id}"
    token = csrf_token(browser, path)
    return browser.post(path, data={"csrf_token": token, "reason": reason})


def test_break_glass_opens_the_subject_for_the_window_with_emergency_on_every_event(
    ig: IgWorld, make_client: Any, clock: ShiftedClock
) -> None:
    w = ig.world
    subject_id = w.subject()
    csc = w.people["csc"]
    browser = w.browser(csc, make_client)
    assert browser.get(f"/subjects/{subject_id}").status_code == 404  # no grant
    short = _break(browser, subject_id, "Urgent, please")
    assert short.status_code == 400
    assert "at least 20 characters" in short.get_data(as_text=True)
    assert events_of(ig.app, "BREAK_GLASS") == []
    opened = _break(browser, subject_id)
    assert opened.status_code == 302
    assert opened.headers["Location"].endswith(f"/subjects/{subject_id}")
    [glass] = events_of(ig.app, "BREAK_GLASS", csc.id)
    assert glass.legal_gateway == "EMERGENCY"
    assert json.loads(glass.body)["with"]["justification"] == REASON
    with ig.app.app_context():
        [alert] = db.session.execute(select(Alert)).scalars()
        assert (alert.rule, alert.actor_id, alert.event_seq) == ("BREAK_GLASS", csc.id, glass.seq)
        [window] = db.session.execute(select(BreakGlassWindow)).scalars()
        assert window.ends_at - window.started_at == timedelta(minutes=60)
        ends = window.ends_at
        db.session.remove()
    page = browser.get(f"/subjects/{subject_id}")
    assert page.status_code == 200
    home = browser.get("/").get_data(as_text=True)
    assert "Emergency access" in home  # the banner, on every page
    # Move to the last second of the window, keeping the session alive (15-minute idle limit).
    for _ in range(5):
        clock.advance(timedelta(minutes=12))
        assert browser.get("/").status_code == 200
    set_now(ig, clock, ends - timedelta(seconds=1))  # the last second of the window
    assert browser.get(f"/subjects/{subject_id}").status_code == 200
    views = events_of(ig.app, "CONSULTATION", csc.id)
    assert len(views) == 2
    assert {(v.legal_gateway, v.dp_condition) for v in views} == {("EMERGENCY", "DP3-SCH8-3")}
    set_now(ig, clock, ends + timedelta(seconds=1))  # one second after it ended
    refused = browser.get(f"/subjects/{subject_id}")
    assert refused.status_code == 404
    assert json.loads(events_of(ig.app, "AUTHZ_FAIL", csc.id)[-1].body)["with"]["reason"] == (
        "no_grant"
    )
    assert "Emergency access" not in browser.get("/").get_data(as_text=True)
    assert len(events_of(ig.app, "CONSULTATION", csc.id)) == 2


def test_break_glass_never_overrides_an_exclusion_and_needs_the_permission(
    ig: IgWorld, make_client: Any, factories: Any
) -> None:
    w = ig.world
    subject_id = w.subject()
    w.exclude(subject_id, w.people["csc"])
    excluded = w.browser(w.people["csc"], make_client)
    assert excluded.get(f"/governance/break-glass/{subject_id}").status_code == 404
    ig_browser = w.browser(ig.ig, make_client)
    assert ig_browser.get(f"/governance/break-glass/{subject_id}").status_code == 404
    fails = events_of(ig.app, "AUTHZ_FAIL")
    assert [json.loads(f.body)["with"]["reason"] for f in fails] == ["excluded", "role"]
    assert events_of(ig.app, "BREAK_GLASS") == []


def test_someone_with_access_is_sent_straight_to_the_subject(ig: IgWorld, make_client: Any) -> None:
    w = ig.world
    subject_id = w.subject()
    officer = w.browser(w.officer, make_client)
    response = officer.get(f"/governance/break-glass/{subject_id}")
    assert response.status_code == 302
    assert events_of(ig.app, "BREAK_GLASS") == []


def test_who_can_access_now_shows_the_emergency_window(ig: IgWorld, make_client: Any) -> None:
    w = ig.world
    subject_id = w.subject()
    assert _break(w.browser(w.people["housing"], make_client), subject_id).status_code == 302
    html = w.browser(ig.ig, make_client).get(f"/governance/subjects/{subject_id}/access")
    table = html.get_data(as_text=True).split("People who can open it")[1]
    assert "Housing Options Worker" in table
    assert "Break-glass" in table
    assert Role.HOUSING_OFFICER  # the partner role holds break_glass:use


def test_one_banner_names_each_open_window_with_its_own_link(ig: IgWorld, make_client: Any) -> None:
    """Two windows open: one "Emergency access" region (axe's landmark-unique), and a link per
    subject whose text differs (WCAG 2.4.4), each to its own subject and naming its end."""
    w = ig.world
    first, second = w.subject(), w.subject()
    browser = w.browser(w.people["csc"], make_client)
    assert _break(browser, first).status_code == 302
    single = browser.get("/").get_data(as_text=True)
    assert single.count('role="region"') == 1
    assert re.findall(
        r'<a class="govuk-notification-banner__link" href="([^"]+)">([^<]+)</a>', single
    ) == [(f"/subjects/{first}", "a subject")]
    assert _break(browser, second).status_code == 302
    home = browser.get("/").get_data(as_text=True)
    assert home.count('aria-labelledby="break-glass-title"') == 1
    assert home.count('role="region"') == 1
    assert "You opened 2 subjects in an emergency." in home
    links = re.findall(
        r'<li><a class="govuk-notification-banner__link" href="([^"]+)">([^<]+)</a>: your access'
        r" ends at (\d\d \w{3} \d{4} \d\d:\d\d:\d\d \w+)</li>",
        home,
    )
    assert [(href, text) for href, text, _ in links] == [
        (f"/subjects/{first}", "Subject 1"),
        (f"/subjects/{second}", "Subject 2"),
    ]
