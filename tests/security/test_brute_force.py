"""Online guessing: throttle from the 6th failure, hard stop by the 100th, nothing to tell apart.

ASVS 6.3.1, 6.3.8 (reference/security.md A5, A6; section 7 item 14).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from portal.auth import passwords, throttle
from portal.auth.models import LoginThrottle
from portal.core.clock import db_now
from portal.core.identity import UserStatus
from portal.db.transaction import transaction
from portal.extensions import db
from tests.helpers import csrf_token
from tests.security.conftest import is_sign_in_redirect

WRONG = "not-the-password-at-all"


class Attempts:
    """One browser posting to the sign-in form over and over with a single CSRF token."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.token = csrf_token(client)
        self.count = 0

    def refresh(self) -> None:
        """A new CSRF token, after the clock moved past the anonymous session's idle limit."""
        self.token = csrf_token(self.client)

    def post(self, email: str, password: str) -> Any:
        self.count += 1
        return self.client.post(
            "/sign-in",
            data={"csrf_token": self.token, "email": email, "password": password, "next": ""},
        )


def _refused(response: Any) -> bool:
    return response.status_code == 400 and "is not right" in response.get_data(as_text=True)


def _normalised(response: Any, email: str) -> tuple[int, list[str], str]:
    """Status, header names and body with the per-response values (CSRF token, nonce, echoed
    email) blanked."""
    body = response.get_data(as_text=True)
    body = re.sub(r'(name="csrf_token" type="hidden" value=")[^"]+', r"\1TOKEN", body)
    body = re.sub(r'nonce="[^"]+"', 'nonce="NONCE"', body)
    body = body.replace(email, "EMAIL")
    return response.status_code, sorted(response.headers.keys()), body


def test_fewer_than_six_failures_do_not_block_the_right_password(app, client, factories):
    user = factories.user()
    attempts = Attempts(client)
    for _ in range(4):
        assert _refused(attempts.post(user.email, WRONG))

    response = attempts.post(user.email, user.password)  # the 5th attempt

    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in/security-code"


def test_150_wrong_passwords_throttle_from_6th_and_stop_by_100th(app, client, factories, clock):
    user = factories.user()
    attempts = Attempts(client)
    for _ in range(5):
        assert _refused(attempts.post(user.email, WRONG))

    # 6th attempt: the right password, refused because the account is throttled.
    assert _refused(attempts.post(user.email, user.password))
    assert attempts.count == 6

    # 100 consecutive failures are a hard stop that no waiting lifts.
    while attempts.count < 100:
        assert _refused(attempts.post(user.email, WRONG))
    clock.advance(timedelta(hours=2))
    attempts.refresh()
    assert _refused(attempts.post(user.email, user.password))
    while attempts.count < 150:
        assert _refused(attempts.post(user.email, WRONG))
    clock.advance(timedelta(days=7))
    attempts.refresh()
    assert _refused(attempts.post(user.email, user.password))
    assert is_sign_in_redirect(client.get("/"))


def test_throttled_account_after_waiting_accepts_right_password(app, client, factories, clock):
    user = factories.user()
    attempts = Attempts(client)
    for _ in range(10):
        assert _refused(attempts.post(user.email, WRONG))
    assert _refused(attempts.post(user.email, user.password))

    clock.advance(timedelta(hours=1, minutes=1))  # past the longest delay
    attempts.refresh()

    assert attempts.post(user.email, user.password).status_code == 302


def test_unknown_user_wrong_password_and_locked_give_identical_responses(
    app, make_client, factories, clock
):
    known = factories.user()
    locked = factories.user()
    disabled = factories.user(status=UserStatus.DISABLED.value)
    locker = Attempts(make_client())
    for _ in range(100):
        locker.post(locked.email, WRONG)
    clock.advance(timedelta(hours=2))

    cases = {
        "unknown user": ("nobody-here@agency.test", WRONG),
        "wrong password": (known.email, WRONG),
        "locked, right password": (locked.email, locked.password),
        "locked, wrong password": (locked.email, WRONG),
        "disabled, right password": (disabled.email, disabled.password),
    }
    seen = {}
    for label, (email, password) in cases.items():
        response = Attempts(make_client()).post(email, password)
        seen[label] = _normalised(response, email)
        assert _refused(response), label

    first = next(iter(seen.values()))
    for label, answer in seen.items():
        assert answer == first, f"{label} is distinguishable from unknown user"


def _count_hashing(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every argon2 verification (the expensive step) made while signing in."""
    calls: list[str] = []
    original = PasswordHasher.verify

    def spy(self: PasswordHasher, hash: str, password: str | bytes) -> bool:
        calls.append("verify")
        return original(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", spy)
    return calls


def test_unknown_user_and_wrong_password_do_the_same_hashing_work(
    app: Flask, make_client, factories, clock, monkeypatch
):
    known = factories.user()
    locked = factories.user()
    with app.app_context(), transaction():  # locked as 100 failures would leave it
        db.session.add(
            LoginThrottle(
                key=throttle.key_for(locked.email), failures=100, last_failure_at=db_now()
            )
        )
    calls = _count_hashing(monkeypatch)
    verify_calls: list[str | None] = []
    original_verify = passwords.verify_password

    def verify_spy(stored: str | None, password: str, params: Any) -> bool:
        verify_calls.append(stored)
        return original_verify(stored, password, params)

    monkeypatch.setattr(passwords, "verify_password", verify_spy)

    for email in ("nobody-here@agency.test", known.email, locked.email):
        calls.clear()
        verify_calls.clear()
        assert _refused(Attempts(make_client()).post(email, WRONG))
        assert calls == ["verify"], email  # exactly one argon2 verification each time
        assert len(verify_calls) == 1, email
