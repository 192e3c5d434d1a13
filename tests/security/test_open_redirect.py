"""``next=`` through the real sign-in never leads off this host (ASVS 3.7.2; A27, item 13)."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from tests.helpers import current_code, submit_code
from tests.redirect_cases import CRAFTED_NEXT, LOCAL_NEXT, ON_HOST_NEXT, stays_on_host
from tests.security.conftest import NEXT_STEP

_HIDDEN_NEXT = re.compile(r'<input[^>]*name="next"[^>]*value="([^"]*)"')
_CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]*)"')


def _sign_in_via_link(app: Any, browser: FlaskClient, user: Any, next_value: str) -> Any:
    """Follow ``/sign-in?next=...`` as a browser would: the form carries the value through."""
    page = browser.get(f"/sign-in?next={quote(next_value, safe='')}").get_data(as_text=True)
    carried = _HIDDEN_NEXT.search(page)
    token = _CSRF.search(page)
    assert carried
    assert token
    response = browser.post(
        "/sign-in",
        data={
            "csrf_token": token.group(1),
            "email": user.email,
            "password": user.password,
            "next": html.unescape(carried.group(1)),
        },
    )
    assert response.status_code == 302
    return submit_code(browser, current_code(app, user.totp_secret))


@pytest.fixture
def user(factories):
    return factories.user()


def test_sign_in_with_crafted_next_lands_on_home(app, make_client, user, clock):
    redirects = []
    for value in CRAFTED_NEXT:
        clock.advance(NEXT_STEP)
        response = _sign_in_via_link(app, make_client(), user, value)
        assert response.status_code == 302, value
        redirects.append((value, response.headers["Location"]))

    off_host = [(value, location) for value, location in redirects if location != "/"]
    assert not off_host
    assert len(redirects) >= 30


def test_sign_in_with_dot_segment_next_stays_on_host(app, make_client, user, clock):
    for value in ON_HOST_NEXT:
        clock.advance(NEXT_STEP)
        response = _sign_in_via_link(app, make_client(), user, value)
        assert response.status_code == 302
        assert stays_on_host(response.headers["Location"]), value


def test_sign_in_with_local_next_returns_there(app, make_client, user, clock):
    for value in LOCAL_NEXT:
        clock.advance(NEXT_STEP)
        response = _sign_in_via_link(app, make_client(), user, value)
        assert response.headers["Location"] == value


def test_protected_page_sends_anonymous_user_back_after_sign_in(app, client, user, clock):
    first = client.get("/account/password")
    assert first.status_code == 302
    sign_in_url = first.headers["Location"]
    assert sign_in_url.startswith("/sign-in?next=")

    clock.advance(NEXT_STEP)
    page = client.get(sign_in_url).get_data(as_text=True)
    carried = _HIDDEN_NEXT.search(page)
    assert carried
    response = _sign_in_via_link(app, client, user, html.unescape(carried.group(1)))

    assert response.headers["Location"] == "/account/password"


def test_sign_in_page_when_signed_in_ignores_crafted_next(app, client, user, clock, signed_in):
    signed_in(client, user)
    for value in CRAFTED_NEXT:
        response = client.get(f"/sign-in?next={quote(value, safe='')}")
        assert response.status_code == 302
        assert response.headers["Location"] == "/"
