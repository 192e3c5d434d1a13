"""The password-change page is no way round the sign-in controls."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.audit.models import AuditEventRow
from portal.extensions import db
from portal.users.models import User
from tests.helpers import csrf_token, current_code, submit_password, summary_link
from tests.integration.auth.test_password_change_due import SAME_PASSWORD, _change
from tests.security.conftest import NEXT_STEP, is_sign_in_redirect

GUESSES = 30


def _events(app, event_type: str) -> list[AuditEventRow]:
    with app.app_context():
        rows = list(
            db.session.scalars(select(AuditEventRow).where(AuditEventRow.event_type == event_type))
        )
        db.session.expunge_all()
        return rows


def test_current_password_guesses_on_change_page_are_throttled(
    app, client, make_client, factories, signed_in
):
    """SPEC C1 / bar §7 item 14: password guessing is throttled from the 6th failure, on this
    page too: whoever holds a session (a copied cookie, an unlocked desk) must not be able to
    guess the account's password here without limit. The guesses count towards the sign-in
    throttle of the account's name and are each recorded as LOGIN_FAILED."""
    user = factories.user()
    signed_in(client, user)
    after = int(app.extensions["portal.settings"].login_throttle_after)
    for n in range(GUESSES):
        response = _change(client, f"wrong-guess-number-{n}", "a brand new long passphrase 42")
        assert response.status_code == 400
        expected = "is not right" if n < after else "Wait a few minutes and try again"
        assert expected in response.get_data(as_text=True), n
    response = _change(client, user.password, "a brand new long passphrase 42")
    assert "Password changed" not in response.get_data(as_text=True), (
        f"the right password was accepted straight after {GUESSES} wrong guesses"
    )
    assert "Wait a few minutes and try again" in response.get_data(as_text=True)
    failed = [e for e in _events(app, "LOGIN_FAILED") if e.target_user_id == user.id]
    assert len(failed) == GUESSES + 1
    # The name's throttle is the sign-in's: signing in elsewhere is paused too.
    other = make_client()
    response = submit_password(other, user.email, user.password)
    assert response.status_code == 400
    assert "is not right, or sign-in is paused" in response.get_data(as_text=True)


def test_password_change_does_not_extend_the_absolute_session_limit(
    app, client, factories, signed_in, clock
):
    """SPEC C1: absolute timeout 12 hours from sign-in. Changing the password (no second
    factor) gives the browser a new session id, but its 12 hours do not start again."""
    user = factories.user()
    signed_in(client, user)
    for _ in range(71):  # a request every ten minutes, up to 11:50 after sign-in
        clock.advance(timedelta(minutes=10))
        assert client.get("/").status_code == 200
    new_password = "a brand new long passphrase 42"
    response = _change(client, user.password, new_password)
    assert "Password changed" in response.get_data(as_text=True)
    for _ in range(6):
        clock.advance(timedelta(minutes=10))
        client.get("/")
    # 12:50 after the only sign-in with a second factor
    assert is_sign_in_redirect(client.get("/")), "session alive 12h50m after sign-in"


def test_pending_password_step_does_not_survive_a_password_change(
    app, client, make_client, factories, signed_in, clock
):
    """SPEC C1: password change invalidates sessions, including a half-finished sign-in: a
    browser that passed the password step with the old password cannot finish with only the
    second factor after the password is changed."""
    user = factories.user()
    signed_in(client, user)
    attacker = make_client()
    assert submit_password(attacker, user.email, user.password).status_code == 302
    new_password = "a brand new long passphrase 42"
    assert "Password changed" in _change(client, user.password, new_password).get_data(as_text=True)
    clock.advance(NEXT_STEP)
    assert is_sign_in_redirect(attacker.get("/sign-in/security-code"))
    response = attacker.post(
        "/sign-in/security-code",
        data={
            "csrf_token": csrf_token(attacker, "/sign-in"),
            "code": current_code(app, user.totp_secret),
        },
    )
    assert is_sign_in_redirect(response), "signed in with the old password after it was changed"
    assert is_sign_in_redirect(attacker.get("/"))


def test_an_ordinary_password_change_to_the_same_password_is_refused(
    app, client, factories, signed_in
):
    """Every change, not only one an administrator made due: the same password again is no
    change (it would end every session and record a change that did not happen)."""
    user = factories.user()
    signed_in(client, user)
    with app.app_context():
        before = db.session.get(User, user.id).password_hash

    response = _change(client, user.password, user.password)

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert summary_link(page, SAME_PASSWORD) == "new_password"
    assert "Password changed" not in page
    assert _events(app, "USER_CHANGED") == []
    with app.app_context():
        assert db.session.get(User, user.id).password_hash == before
    assert client.get("/").status_code == 200  # the session was not ended either
