"""Disable, enable, end sessions, reset the second factor, unlock sign-in: POST buttons."""

from __future__ import annotations

import pytest

from portal.auth import throttle
from portal.core.clock import db_now
from portal.core.identity import Role, UserStatus
from portal.db.transaction import transaction
from portal.users import service
from tests.helpers import sign_in, submit_password, summary_link
from tests.integration.users.support import (
    copy_browser,
    is_sign_in_redirect,
    page_structure,
    post,
    text_of,
    user_state,
)


@pytest.fixture
def member(factories, police):
    """An ordinary user of the administrator's agency."""
    return factories.user(agency=police, roles=(Role.MOSOVO_OFFICER,), full_name="Mo Member")


def test_disable_user_ends_every_session_including_copied_cookies(
    app, admin_client, member, signed_in, make_client
):
    browser = signed_in(member)
    stolen = copy_browser(app, browser)
    assert stolen.get("/").status_code == 200
    other_device = signed_in(member)

    response = post(admin_client, f"/users/{member.id}/disable")

    assert response.status_code == 302
    assert response.headers["Location"] == f"/users/{member.id}"
    for cookie_holder in (browser, stolen, other_device):
        assert is_sign_in_redirect(cookie_holder.get("/"))
    state = user_state(app, member.id)
    assert state.status == UserStatus.DISABLED
    assert state.live_sessions == 0
    refused = submit_password(make_client(), member.email, member.password)
    assert refused.status_code == 400  # the same refusal as a wrong password
    assert "Account disabled" in text_of(admin_client.get(response.headers["Location"]))


def test_enable_user_after_disable_lets_them_sign_in_again(
    app, admin_client, factories, police, make_client
):
    dormant = factories.user(agency=police, status=UserStatus.DISABLED.value)
    assert submit_password(make_client(), dormant.email, dormant.password).status_code == 400

    response = post(admin_client, f"/users/{dormant.id}/enable")

    assert response.status_code == 302
    assert user_state(app, dormant.id).status == UserStatus.ACTIVE
    assert sign_in(app, make_client(), dormant).status_code == 302
    assert "Account enabled" in text_of(admin_client.get(response.headers["Location"]))


def test_end_sessions_refuses_every_copy_and_the_user_can_sign_in_again(
    app, admin_client, member, signed_in
):
    browser = signed_in(member)
    stolen = copy_browser(app, browser)
    assert stolen.get("/").status_code == 200
    assert user_state(app, member.id).live_sessions == 1

    response = post(admin_client, f"/users/{member.id}/end-sessions")

    assert response.status_code == 302
    assert is_sign_in_redirect(browser.get("/"))
    assert is_sign_in_redirect(stolen.get("/"))
    state = user_state(app, member.id)
    assert state.live_sessions == 0
    assert state.status == UserStatus.ACTIVE
    assert signed_in(member).get("/").status_code == 200
    # The administrator's own session is untouched.
    assert admin_client.get("/users/").status_code == 200


def test_reset_second_factor_forces_reenrolment_and_ends_sessions(
    app, admin_client, member, signed_in, make_client
):
    browser = signed_in(member)
    stolen = copy_browser(app, browser)
    before = user_state(app, member.id)
    assert before.totp_secret is not None
    assert before.totp_last_counter is not None

    response = post(admin_client, f"/users/{member.id}/reset-second-factor")

    assert response.status_code == 302
    assert is_sign_in_redirect(browser.get("/"))
    assert is_sign_in_redirect(stolen.get("/"))
    state = user_state(app, member.id)
    assert state.totp_secret is None
    assert not state.totp_enrolled
    assert state.totp_last_counter is None
    assert state.live_sessions == 0
    step = submit_password(make_client(), member.email, member.password)
    assert step.status_code == 302
    assert step.headers["Location"] == "/sign-in/set-up-authenticator"
    page = text_of(admin_client.get(response.headers["Location"]))
    assert "Second factor reset" in page
    assert "Not set up" in page


def test_unlock_sign_in_after_hard_stop_lets_the_user_sign_in(
    app, admin_client, member, make_client
):
    hard_stop = app.extensions["portal.settings"].login_hard_stop
    with app.app_context(), transaction():
        for _ in range(hard_stop):
            throttle.record_failure(throttle.key_for(member.email), db_now())
    locked_out = submit_password(make_client(), member.email, member.password)
    assert locked_out.status_code == 400  # refused although the password is right
    assert "Locked after too many failed attempts" in text_of(
        admin_client.get(f"/users/{member.id}")
    )

    response = post(admin_client, f"/users/{member.id}/unlock-sign-in")

    assert response.status_code == 302
    assert user_state(app, member.id).failed_sign_ins == 0
    assert sign_in(app, make_client(), member).status_code == 302
    assert "Sign-in unlocked" in text_of(admin_client.get(response.headers["Location"]))


def test_disable_own_account_is_refused_with_a_message(app, admin_client, police_admin):
    page = text_of(admin_client.get(f"/users/{police_admin.id}"))
    assert "You cannot disable your own account" in page
    assert f"/users/{police_admin.id}/disable" not in page

    response = post(admin_client, f"/users/{police_admin.id}/disable")

    assert response.status_code == 302
    assert user_state(app, police_admin.id).status == UserStatus.ACTIVE
    assert user_state(app, police_admin.id).live_sessions == 1
    shown = text_of(admin_client.get(response.headers["Location"]))
    assert "There is a problem" in shown
    assert summary_link(shown, service.OWN_ACCOUNT_DISABLE) == "status"  # the account's state


def test_disable_other_administrator_is_allowed(app, admin_client, factories, police):
    other_admin = factories.user(agency=police, roles=(Role.AGENCY_ADMIN,))

    assert post(admin_client, f"/users/{other_admin.id}/disable").status_code == 302

    assert user_state(app, other_admin.id).status == UserStatus.DISABLED


@pytest.mark.parametrize(
    "action", ["disable", "enable", "reset-second-factor", "end-sessions", "unlock-sign-in"]
)
def test_account_action_by_get_is_refused_and_changes_nothing(
    app, admin_client, member, signed_in, action
):
    signed_in(member)
    before = user_state(app, member.id)

    response = admin_client.get(f"/users/{member.id}/{action}")

    assert response.status_code == 405
    assert user_state(app, member.id) == before


@pytest.mark.parametrize(
    "action", ["disable", "enable", "reset-second-factor", "end-sessions", "unlock-sign-in"]
)
def test_account_action_without_csrf_token_is_refused_and_changes_nothing(
    app, admin_client, member, signed_in, action
):
    signed_in(member)
    before = user_state(app, member.id)

    response = admin_client.post(f"/users/{member.id}/{action}")

    assert response.status_code == 400
    assert user_state(app, member.id) == before


def test_show_user_page_lists_details_with_unique_ids(app, admin_client, member, signed_in):
    signed_in(member)

    response = admin_client.get(f"/users/{member.id}")

    assert response.status_code == 200
    page = text_of(response)
    for expected in ("Mo Member", member.email, "MOSOVO officer", "SC", "Active", "Set up"):
        assert expected in page
    assert "Not set up" not in page
    assert "Live sessions" in page
    structure = page_structure(response)
    assert len(structure.ids) == len(set(structure.ids)), "duplicate ids"
    assert page.count('name="csrf_token"') == 4  # sign-out plus three account actions
