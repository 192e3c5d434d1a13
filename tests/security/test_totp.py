"""The second factor: single use, a narrow window, and no session without it.

ASVS 6.3.3, 6.5.1, 6.5.5 (reference/security.md A1, A7; section 7 item 8).
"""

from __future__ import annotations

from flask import Flask

from tests.helpers import csrf_token, current_code, submit_code, submit_password
from tests.security.conftest import NEXT_STEP, is_sign_in_redirect


def _refused(response) -> bool:
    return response.status_code == 400 and "is not right" in response.get_data(as_text=True)


def _other_code(app: Flask, secret: str) -> str:
    """A well-formed code that is valid for no step the portal would look at."""
    valid = {current_code(app, secret, steps_ahead=step) for step in (-1, 0)}
    candidate = int(current_code(app, secret))
    while f"{candidate:06d}" in valid:
        candidate = (candidate + 1) % 1_000_000
    return f"{candidate:06d}"


def test_accepted_code_submitted_again_is_refused(app, client, factories, clock):
    user = factories.user()
    clock.advance(NEXT_STEP)
    code = current_code(app, user.totp_secret)
    submit_password(client, user.email, user.password)
    assert submit_code(client, code).status_code == 302
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/")})
    assert is_sign_in_redirect(client.get("/"))

    # Same code, same 30-second window, right password: refused.
    assert submit_password(client, user.email, user.password).status_code == 302
    assert _refused(submit_code(client, code))
    assert is_sign_in_redirect(client.get("/"))

    # The next step's code works, so the refusal above was the reuse and nothing else.
    clock.advance(NEXT_STEP)
    assert submit_code(client, current_code(app, user.totp_secret)).status_code == 302
    assert client.get("/").status_code == 200


def test_accepted_code_replayed_in_another_browser_is_refused(
    app, client, make_client, factories, clock
):
    user = factories.user()
    clock.advance(NEXT_STEP)
    code = current_code(app, user.totp_secret)
    submit_password(client, user.email, user.password)
    assert submit_code(client, code).status_code == 302

    attacker = make_client()  # knows the password and shoulder-surfed the code
    assert submit_password(attacker, user.email, user.password).status_code == 302
    assert _refused(submit_code(attacker, code))
    assert is_sign_in_redirect(attacker.get("/"))


def test_wrong_code_is_refused(app, client, factories, clock):
    user = factories.user()
    clock.advance(NEXT_STEP)
    submit_password(client, user.email, user.password)

    assert _refused(submit_code(client, _other_code(app, user.totp_secret)))
    assert is_sign_in_redirect(client.get("/"))


def test_malformed_codes_are_refused(app, client, factories, clock):
    user = factories.user()
    clock.advance(NEXT_STEP)
    submit_password(client, user.email, user.password)
    code = current_code(app, user.totp_secret)
    for bad in (code[:5], code + "0", "abcdef", "１２３４５６", " " * 6):
        response = submit_code(client, bad)
        assert response.status_code == 400
        assert is_sign_in_redirect(client.get("/"))


def test_code_from_two_steps_ago_is_refused(app, client, factories, clock):
    user = factories.user()
    clock.advance(NEXT_STEP)
    submit_password(client, user.email, user.password)

    assert _refused(submit_code(client, current_code(app, user.totp_secret, steps_ahead=-2)))
    assert is_sign_in_redirect(client.get("/"))


def test_code_from_previous_step_is_accepted_for_clock_drift(app, client, factories, clock):
    user = factories.user()
    clock.advance(NEXT_STEP)
    submit_password(client, user.email, user.password)

    response = submit_code(client, current_code(app, user.totp_secret, steps_ahead=-1))

    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_security_code_page_without_password_step_redirects_to_sign_in(app, client, factories):
    factories.user()
    response = client.get("/sign-in/security-code")
    assert is_sign_in_redirect(response)
    response = client.post("/sign-in/security-code", data={"csrf_token": csrf_token(client)})
    assert is_sign_in_redirect(response)
    assert is_sign_in_redirect(client.get("/"))


def test_wrong_codes_count_towards_the_sign_in_throttle(app, client, factories, clock):
    user = factories.user()
    clock.advance(NEXT_STEP)
    assert submit_password(client, user.email, user.password).status_code == 302
    for _ in range(5):
        assert _refused(submit_code(client, _other_code(app, user.totp_secret)))

    # The sixth attempt is throttled even with the right code.
    assert _refused(submit_code(client, current_code(app, user.totp_secret)))
    assert is_sign_in_redirect(client.get("/"))
