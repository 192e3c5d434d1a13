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
from typing import Any

from portal.auth import passwords, throttle, totp
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
