"""Sign-in steps sent at the same moment are judged one after another.

Each test tries, with a barrier, to force the interleaving concurrent requests would produce if
nothing queued them: every request has read the state it decides on (the user's last TOTP
counter, the sign-in throttle) before any of them commits. The portal locks the throttle row and
the account row first (on PostgreSQL; SQLite's write lock queues whole transactions), so the
barrier times out once, breaks, and the requests go through one at a time. Without the locks
both tests fail on PostgreSQL.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from portal.audit.models import AuditEventRow
from portal.auth import passwords, throttle, totp
from portal.auth.models import LoginThrottle
from portal.extensions import db
from tests.concurrency.races import BARRIER_TIMEOUT, run_together
from tests.helpers import csrf_token, current_code, submit_password
from tests.security.conftest import NEXT_STEP


def _wait(barrier: threading.Barrier) -> None:
    # Serialised: the others could not get there while this one waited.
    with contextlib.suppress(threading.BrokenBarrierError):
        barrier.wait(timeout=BARRIER_TIMEOUT)


def test_same_totp_code_submitted_concurrently_is_accepted_only_once(
    app, make_client, factories, clock, monkeypatch
):
    """Security bar §7 item 8: an accepted TOTP re-submitted within its window is refused, also
    when the victim and a real-time phisher (who has the password and relays the code the
    victim typed) submit it at the same moment."""
    user = factories.user()
    clock.advance(NEXT_STEP)
    victim, attacker = make_client(), make_client()
    for browser in (victim, attacker):
        assert submit_password(browser, user.email, user.password).status_code == 302
    code = current_code(app, user.totp_secret)
    tokens = [csrf_token(b, "/sign-in/security-code") for b in (victim, attacker)]

    barrier = threading.Barrier(2)
    original = totp.matching_counter

    def matching_then_wait(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        _wait(barrier)
        return result

    monkeypatch.setattr(totp, "matching_counter", matching_then_wait)

    def submit(browser: Any, token: str) -> Any:
        return lambda: browser.post(
            "/sign-in/security-code", data={"csrf_token": token, "code": code}
        )

    responses = run_together([submit(victim, tokens[0]), submit(attacker, tokens[1])])
    monkeypatch.setattr(totp, "matching_counter", original)

    accepted = [r for r in responses if r.status_code == 302]
    assert len(accepted) <= 1, "one TOTP code signed in two browsers"
    signed_in = [b for b in (victim, attacker) if b.get("/").status_code == 200]
    assert len(signed_in) <= 1, "one TOTP code gave two live sessions"


CONCURRENT = 10


def test_concurrent_wrong_passwords_are_not_all_evaluated(app, make_client, factories, monkeypatch):
    """Security bar §7 item 14 / SPEC C1: throttled from the 6th consecutive failure, also
    when ten guesses are sent at once (otherwise an attacker multiplies the rate the throttle
    allows by the number of parallel requests, and overshoots the hard stop)."""
    user = factories.user()
    settings = app.extensions["portal.settings"]
    browsers = [make_client() for _ in range(CONCURRENT)]
    tokens = [csrf_token(b) for b in browsers]

    barrier = threading.Barrier(CONCURRENT)
    verify = passwords.verify_password
    read_state = throttle.begin_attempt
    evaluated: list[bool] = []
    lock = threading.Lock()

    def state_recorded(*args: Any, **kwargs: Any) -> Any:
        result = read_state(*args, **kwargs)
        with lock:
            evaluated.append(result.allowed)
        return result

    def verify_then_wait(*args: Any, **kwargs: Any) -> Any:
        result = verify(*args, **kwargs)
        _wait(barrier)
        return result

    monkeypatch.setattr(throttle, "begin_attempt", state_recorded)
    monkeypatch.setattr(passwords, "verify_password", verify_then_wait)

    def guess(browser: Any, token: str, n: int) -> Any:
        return lambda: browser.post(
            "/sign-in",
            data={"csrf_token": token, "email": user.email, "password": f"guess-{n}", "next": ""},
        )

    run_together([guess(b, t, n) for n, (b, t) in enumerate(zip(browsers, tokens, strict=True))])
    monkeypatch.setattr(throttle, "begin_attempt", read_state)
    monkeypatch.setattr(passwords, "verify_password", verify)

    assert len(evaluated) == CONCURRENT
    allowed = sum(evaluated)
    limit = int(settings.login_throttle_after)
    assert allowed <= limit, (
        f"{allowed} guesses were checked at once; the throttle allows "
        f"{settings.login_throttle_after} before the first delay"
    )


HOLD_LOCK = 1.5  # seconds the code step keeps the throttle row locked for the other request


def _reset_by_deleting(key: str) -> None:
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))


@pytest.mark.parametrize("deleting_reset", [False, True], ids=["reset", "row-deleted"])
def test_wrong_password_queued_behind_a_successful_code_step_is_counted(
    app, make_client, factories, clock, monkeypatch, deleting_reset
):
    """A successful code step resets the name's throttle while a wrong password for the same
    name waits on the throttle row's lock. The waiting request must still be judged and
    counted: no 500, one more failure, one ``LOGIN_FAILED`` (on PostgreSQL a reset that
    deleted the row left the waiting ``SELECT ... FOR UPDATE`` with no row). The reset keeps
    the row; ``row-deleted`` checks the attempt also survives a row deleted under it."""
    if deleting_reset:
        monkeypatch.setattr(throttle, "reset", _reset_by_deleting)
    user = factories.user()
    clock.advance(NEXT_STEP)
    victim, other = make_client(), make_client()
    assert submit_password(victim, user.email, user.password).status_code == 302
    code = current_code(app, user.totp_secret)
    code_token = csrf_token(victim, "/sign-in/security-code")
    password_token = csrf_token(other, "/sign-in")

    locked = threading.Event()
    original = totp.matching_counter

    def matching_then_hold(*args: Any, **kwargs: Any) -> Any:
        # The throttle row is locked by now: let the wrong password queue behind it.
        result = original(*args, **kwargs)
        locked.set()
        time.sleep(HOLD_LOCK)
        return result

    monkeypatch.setattr(totp, "matching_counter", matching_then_hold)

    def right_code() -> Any:
        return victim.post("/sign-in/security-code", data={"csrf_token": code_token, "code": code})

    def wrong_password() -> Any:
        assert locked.wait(BARRIER_TIMEOUT * 5)
        return other.post(
            "/sign-in",
            data={
                "csrf_token": password_token,
                "email": user.email,
                "password": "wrong-wrong-wrong-1",
                "next": "",
            },
        )

    responses = run_together([right_code, wrong_password])
    monkeypatch.setattr(totp, "matching_counter", original)

    assert [r.status_code for r in responses] == [302, 400]
    with app.app_context():
        row = db.session.get(LoginThrottle, throttle.key_for(user.email))
        failed = db.session.execute(
            select(func.count())
            .select_from(AuditEventRow)
            .where(AuditEventRow.event_type == "LOGIN_FAILED")
        ).scalar_one()
    assert row is not None
    assert row.failures == 1, "the wrong password was not counted"
    assert failed == 1
