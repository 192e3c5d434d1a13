"""Hostile input gets a message on the page or a 4xx, never a 500 and never a write.

Three kinds that once reached the database or ``int()`` unchecked: digits that are not ASCII
(``str.isdigit`` accepts ``²``, ``int`` refuses it), dates at the end of the calendar (the day
after 31/12/9999 does not exist) and numbers past BIGINT, and control characters in text
(PostgreSQL cannot store NUL; the portal refuses them on both databases, so these tests hold on
SQLite too).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from portal.core.clock import ShiftedClock
from portal.core.identity import Role
from portal.extensions import db
from portal.governance.models import AlertDisposition
from tests.helpers import csrf_token, submit_password
from tests.integration.governance.conftest import IgWorld, events_of
from tests.integration.governance.test_alerts import _consult, _move_to, _next, _scan
from tests.integration.meetings.conftest import MeetingWorld, post

SUPERSCRIPT_TWO = "\u00b2"  # str.isdigit() is True, int() raises ValueError


def _post(browser: Any, path: str, data: dict[str, Any]) -> Any:
    return browser.post(path, data={**data, "csrf_token": csrf_token(browser, path)})


def _has_error_summary(response: Any) -> bool:
    return "govuk-error-summary" in response.get_data(as_text=True)


# --- 1. GOV.UK date inputs: "isdigit" lets non-ASCII digits through to int() -----------------


def test_subject_date_of_birth_with_superscript_digit_is_a_form_error(
    ig: IgWorld, make_client: Any
) -> None:
    w = ig.world
    officer = w.browser(w.officer, make_client)
    sid = w.subject()
    for path in ("/subjects/new", f"/subjects/{sid}/edit"):
        response = _post(officer, path, {"date_of_birth": [SUPERSCRIPT_TWO, "1", "1980"]})
        assert response.status_code < 500, path
        assert _has_error_summary(response), path


def test_grant_dates_with_superscript_digit_are_form_errors(ig: IgWorld, make_client: Any) -> None:
    w = ig.world
    sid = w.subject()
    officer = w.browser(w.officer, make_client)
    partner = w.browser(w.people["csc"], make_client)
    bad = {"expires_on": [SUPERSCRIPT_TWO, "1", "2026"]}
    for browser, path in ((officer, f"/subjects/{sid}/grants/new"), (partner, "/grants/request")):
        response = _post(browser, path, bad)
        assert response.status_code < 500, path
        assert _has_error_summary(response), path


def test_meeting_and_action_dates_with_superscript_digit_are_form_errors(
    mw: MeetingWorld, make_client: Any
) -> None:
    sid = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    meeting_id = mw.create_meeting(chair, sid)
    response = post(
        chair,
        f"/subjects/{sid}/meetings/new",
        mw.meeting_form(held_on=[SUPERSCRIPT_TWO, "1", "2026"]),
    )
    assert response.status_code < 500
    assert _has_error_summary(response)
    action = {
        "description": "Home visit",
        "pillar": "SUPERVISION",
        "owner_agency_id": str(mw.partners["csc"].id),
        "owner_person": "csc officer",
        "due_on": [SUPERSCRIPT_TWO, "1", "2026"],
    }
    response = post(chair, f"/meetings/{meeting_id}/actions/new", action)
    assert response.status_code < 500
    assert _has_error_summary(response)


def test_csods_received_on_with_superscript_digit_is_a_form_error(
    ig: IgWorld, make_client: Any, factories: Any
) -> None:
    w = ig.world
    officer = factories.user(agency=w.police, roles=(Role.CSODS_OFFICER,))
    browser = w.browser(officer, make_client)
    response = _post(
        browser, "/csods/applications/new", {"received_on": [SUPERSCRIPT_TWO, "1", "2026"]}
    )
    assert response.status_code < 500
    assert _has_error_summary(response)


def test_our_actions_page_number_with_superscript_digit_is_not_a_500(
    ig: IgWorld, make_client: Any
) -> None:
    w = ig.world
    browser = w.browser(w.officer, make_client)
    assert browser.get(f"/actions?page={SUPERSCRIPT_TWO}").status_code < 500


# --- 2. Dates at the end of the calendar: date + timedelta(days=1) overflows -----------------


def test_access_log_search_to_the_last_representable_day_is_not_a_500(
    ig: IgWorld, make_client: Any
) -> None:
    browser = ig.world.browser(ig.ig, make_client)
    assert browser.get("/governance/log?date_to=9999-12-31").status_code < 500


def test_access_log_export_to_the_last_representable_day_is_not_a_500(
    ig: IgWorld, make_client: Any
) -> None:
    browser = ig.world.browser(ig.ig, make_client)
    token = csrf_token(browser, "/governance/log")
    response = browser.post(
        "/governance/log/export",
        data={
            "csrf_token": token,
            "date_to": "9999-12-31",
            "format": "csv",
            "recipient": "ICO",
        },
    )
    assert response.status_code < 500


def test_grant_ending_31_12_9999_is_a_form_error(ig: IgWorld, make_client: Any) -> None:
    w = ig.world
    sid = w.subject()
    officer = w.browser(w.officer, make_client)
    response = _post(
        officer,
        f"/subjects/{sid}/grants/new",
        {
            "grantee_agency_id": str(w.partners["csc"].id),
            "scope": "SUBJECT",
            "view_profile": "SUMMARY",
            "legal_gateway": "GW-CJA03-S325",
            "dp_condition": "DP3-SCH8-4",
            "justification": "Joint management of the risk to children",
            "isa_reference": "ISA-TEST-1",
            "expires_on": ["31", "12", "9999"],
        },
    )
    assert response.status_code < 500
    assert _has_error_summary(response)


# --- 3. Event numbers beyond BIGINT ------------------------------------------------------------


def test_access_log_event_number_beyond_bigint_is_a_404(ig: IgWorld, make_client: Any) -> None:
    browser = ig.world.browser(ig.ig, make_client)
    assert browser.get("/governance/log/9223372036854775808").status_code == 404


# --- 4. NUL characters reaching PostgreSQL ---------------------------------------------------


def test_sign_in_with_nul_in_email_is_refused_not_a_500(ig: IgWorld, make_client: Any) -> None:
    email = ig.world.officer.email
    response = submit_password(make_client(), email[:1] + "\x00" + email[1:], "whatever-password")
    assert response.status_code == 400
    assert "password or security code is not right" in response.get_data(as_text=True)
    [failed] = events_of(ig.app, "LOGIN_FAILED")
    assert failed.actor_id is None  # an unknown name: no one's account was tried


def test_access_log_search_with_nul_in_marking_is_a_form_error(
    ig: IgWorld, make_client: Any
) -> None:
    browser = ig.world.browser(ig.ig, make_client)
    response = browser.get("/governance/log?marking=OFFICIAL%00")
    assert response.status_code == 400
    assert "Remove the special characters from the marking" in response.get_data(as_text=True)


def test_our_actions_filter_with_nul_in_person_is_not_a_500(ig: IgWorld, make_client: Any) -> None:
    browser = ig.world.browser(ig.world.officer, make_client)
    response = browser.get("/actions?person=a%00b")
    assert response.status_code == 400  # refused on the page, never sent to the database
    assert "Choose an owner from the list" in response.get_data(as_text=True)


def test_break_glass_reason_with_nul_is_a_form_error(ig: IgWorld, make_client: Any) -> None:
    w = ig.world
    sid = w.subject()
    browser = w.browser(w.people["csc"], make_client)
    response = _post(
        browser,
        f"/governance/break-glass/{sid}",
        {"reason": "Child reported missing tonight \x00 address needed now"},
    )
    assert response.status_code == 400
    assert "Remove the special characters from the reason" in response.get_data(as_text=True)
    assert events_of(ig.app, "BREAK_GLASS") == []


def test_alert_decision_notes_with_nul_are_a_form_error(
    ig: IgWorld, make_client: Any, clock: ShiftedClock
) -> None:
    w = ig.world
    _move_to(ig.app, clock, _next(5, 23))  # Saturday night: an after-hours alert
    _consult(ig.app, w.people["csc"], uuid.uuid4())
    [alert] = _scan(ig.app)
    reviewer = w.browser(ig.ig, make_client)
    response = _post(
        reviewer,
        f"/governance/alerts/{alert.id}",
        {"outcome": "JUSTIFIED", "notes": "Duty rota confirms the \x00 call-out"},
    )
    assert response.status_code == 400
    assert "Remove the special characters from the notes" in response.get_data(as_text=True)
    with ig.app.app_context():
        assert db.session.execute(select(AlertDisposition)).all() == []
