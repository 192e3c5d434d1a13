"""Server-side sessions: rotation at sign-in, revocation of every copy, idle and absolute limits.

ASVS 7.2.4, 7.3.1, 7.3.2, 7.4.1-7.4.3 (reference/security.md A15-A18; section 7 items 9-11).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from portal.auth.models import UserSession
from portal.auth.sessions import revoke_sessions, token_hash
from portal.core.clock import ShiftedClock, db_now
from portal.core.identity import SessionEndReason, UserStatus
from portal.db.transaction import transaction
from portal.extensions import db
from portal.users.models import User
from tests.helpers import csrf_token, session_cookie, sign_in, submit_password
from tests.security.conftest import clone_browser, is_sign_in_redirect

SIGN_INS = 50


def _session_row(app: Flask, token: str) -> UserSession | None:
    with app.app_context():
        return db.session.get(UserSession, token_hash(token))


def _disable(app: Flask, user_id: uuid.UUID, *, revoke: bool) -> None:
    with app.app_context(), transaction():
        user = db.session.get(User, user_id)
        assert user is not None
        user.status = UserStatus.DISABLED
        if revoke:
            revoke_sessions(user_id=user_id, reason=SessionEndReason.ACCOUNT_DISABLED, now=db_now())


# --- session fixation -------------------------------------------------------------------------


def test_sign_in_with_planted_cookie_rotates_the_session_id(app, make_client, factories, signed_in):
    user = factories.user()
    name = app.extensions["portal.settings"].session_cookie_name
    seen: set[str] = set()
    for _ in range(SIGN_INS):
        browser = make_client()
        csrf_token(browser)  # the sign-in page stores a CSRF token: an anonymous session row
        before = session_cookie(browser, app)
        assert before
        signed_in(browser, user)
        after = session_cookie(browser, app)
        assert after
        assert after != before
        assert after not in seen
        seen.add(after)
        # The pre-sign-in value, replayed by someone who planted or copied it, is anonymous.
        planted = make_client()
        planted.set_cookie(name, before)
        assert is_sign_in_redirect(planted.get("/"))
        assert browser.get("/").status_code == 200


def test_sign_in_with_planted_cookie_revokes_the_old_row(app, client, factories, signed_in):
    user = factories.user()
    csrf_token(client)
    before = session_cookie(client, app)
    assert before
    row = _session_row(app, before)
    assert row is not None
    assert row.user_id is None
    assert row.revoked_at is None

    signed_in(client, user)

    row = _session_row(app, before)
    assert row is not None
    assert row.revoked_at is not None
    assert row.revoked_reason == SessionEndReason.ROTATED


def test_session_cookie_with_only_password_step_stays_anonymous(app, client, factories):
    user = factories.user()
    response = submit_password(client, user.email, user.password)
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in/security-code"
    # A password without the second factor gives no signed-in session.
    assert is_sign_in_redirect(client.get("/"))


def test_session_token_from_cookie_has_at_least_256_bits(app, client, factories, signed_in):
    user = factories.user()
    signed_in(client, user)
    token = session_cookie(client, app)
    assert token
    assert len(token) >= 43  # 32 random bytes, URL-safe base64
    row = _session_row(app, token)
    assert row is not None
    assert row.id != token  # only the hash is stored
    assert row.user_id == user.id


# --- replay of a copied cookie ----------------------------------------------------------------


def test_copied_cookie_after_sign_out_is_refused(app, client, factories, signed_in):
    user = factories.user()
    signed_in(client, user)
    thief = clone_browser(app, client)
    assert thief.get("/").status_code == 200

    response = client.post("/sign-out", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 302

    assert is_sign_in_redirect(thief.get("/"))
    assert is_sign_in_redirect(client.get("/"))


def test_copied_cookie_after_password_change_is_refused(app, client, factories, signed_in):
    user = factories.user()
    signed_in(client, user)
    thief = clone_browser(app, client)
    assert thief.get("/").status_code == 200
    new_password = "a brand new long passphrase 42"

    response = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(client, "/account/password"),
            "current_password": user.password,
            "new_password": new_password,
            "confirm_password": new_password,
        },
    )
    assert response.status_code == 200
    assert "Password changed" in response.get_data(as_text=True)

    assert is_sign_in_redirect(thief.get("/"))
    # The browser that changed it carries on, on a fresh session.
    assert client.get("/").status_code == 200


def test_copied_cookie_after_password_change_in_another_browser_is_refused(
    app, make_client, factories, signed_in
):
    user = factories.user()
    laptop, phone = make_client(), make_client()
    signed_in(laptop, user)
    signed_in(phone, user)
    new_password = "another long passphrase for today"
    laptop.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(laptop, "/account/password"),
            "current_password": user.password,
            "new_password": new_password,
            "confirm_password": new_password,
        },
    )
    assert is_sign_in_redirect(phone.get("/"))


def test_copied_cookies_after_account_disabled_are_refused(app, make_client, factories, signed_in):
    user = factories.user()
    browsers = [make_client() for _ in range(3)]
    for browser in browsers:
        signed_in(browser, user)
    thieves = [clone_browser(app, browser) for browser in browsers]
    assert all(thief.get("/").status_code == 200 for thief in thieves)

    _disable(app, user.id, revoke=True)

    for browser in browsers + thieves:
        assert is_sign_in_redirect(browser.get("/"))
    with app.app_context():
        rows = db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)).all()
        assert rows
        assert all(row.revoked_reason == SessionEndReason.ACCOUNT_DISABLED for row in rows)


def test_live_session_of_disabled_user_is_refused_by_user_loader(app, client, factories, signed_in):
    user = factories.user()
    signed_in(client, user)
    assert client.get("/").status_code == 200

    _disable(app, user.id, revoke=False)  # the row stays live: only the loader stands guard

    token = session_cookie(client, app)
    assert token
    row = _session_row(app, token)
    assert row is not None
    assert row.revoked_at is None
    assert is_sign_in_redirect(client.get("/"))


def test_disabled_user_with_right_password_and_code_is_refused(app, client, factories):
    user = factories.user()
    _disable(app, user.id, revoke=False)
    response = submit_password(client, user.email, user.password)
    assert response.status_code == 400
    assert "is not right" in response.get_data(as_text=True)
    assert is_sign_in_redirect(client.get("/"))


def test_copied_cookie_after_end_all_sessions_is_refused(
    app, client, make_client, factories, signed_in
):
    user = factories.user()
    other = factories.user()
    signed_in(client, user)
    bystander = make_client()
    signed_in(bystander, other)
    thief = clone_browser(app, client)
    assert thief.get("/").status_code == 200

    with app.app_context(), transaction():
        ended = revoke_sessions(
            user_id=user.id, reason=SessionEndReason.ENDED_BY_ADMIN, now=db_now()
        )
    assert ended >= 1

    assert is_sign_in_redirect(thief.get("/"))
    assert is_sign_in_redirect(client.get("/"))
    # Only that user's sessions end; the account itself still works.
    assert bystander.get("/").status_code == 200
    signed_in(client, user)
    assert client.get("/").status_code == 200


# --- idle and absolute timeouts ---------------------------------------------------------------


def test_request_after_idle_14_59_is_allowed(app, client, factories, signed_in, clock):
    user = factories.user()
    signed_in(client, user)
    for _ in range(3):  # each request is activity: the idle period starts again
        clock.advance(timedelta(minutes=14, seconds=59))
        assert client.get("/").status_code == 200


def test_request_after_idle_15_01_is_refused(app, client, factories, signed_in, clock):
    user = factories.user()
    signed_in(client, user)
    clock.advance(timedelta(minutes=14, seconds=59))
    assert client.get("/").status_code == 200  # activity at 14:59 ...

    clock.advance(timedelta(minutes=15, seconds=1))  # ... then 15:01 of silence

    assert is_sign_in_redirect(client.get("/"))


def test_request_after_12_hours_with_steady_activity_is_refused(
    app, client, factories, signed_in, clock: ShiftedClock
):
    user = factories.user()
    signed_in(client, user)
    for _ in range(12 * 6 - 1):  # a request every ten minutes, up to 11:50
        clock.advance(timedelta(minutes=10))
        assert client.get("/").status_code == 200
    clock.advance(timedelta(minutes=9))
    assert client.get("/").status_code == 200  # 11:59 after sign-in

    clock.advance(timedelta(minutes=2))  # 12:01 after sign-in, two minutes after activity

    assert is_sign_in_redirect(client.get("/"))


def test_live_session_count_after_idle_timeout_excludes_the_timed_out_session(
    app, client, factories, clock
):
    from portal.auth.sessions import live_session_count

    user = factories.user()
    sign_in(app, client, user)
    settings = app.extensions["portal.settings"]
    with app.app_context():
        assert live_session_count(user.id, settings) == 1
    clock.advance(timedelta(minutes=15, seconds=1))
    with app.app_context():
        assert live_session_count(user.id, settings) == 0
