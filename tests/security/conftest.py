"""Helpers shared by the security tests: signing in again and again, copying a browser."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from portal import create_app
from portal.config import Settings
from portal.core.clock import ShiftedClock
from portal.extensions import db
from tests.helpers import session_cookie, sign_in
from tests.integration.governance.conftest import ig  # noqa: F401 - a world of agencies + IG
from tests.integration.meetings.conftest import mw  # noqa: F401 - a world with a MAPPA chair

#: One TOTP step and a bit: after it a fresh code is valid and the last one is spent.
NEXT_STEP = timedelta(seconds=31)


def dummy_values(rule: Rule, *, uuid_value: uuid.UUID | None = None, text: str = "dummy") -> dict:
    """Values for a rule's URL variables: a UUID where the converter wants one, else ``text``."""
    values: dict[str, Any] = {}
    for name in rule.arguments:
        converter = type(rule._converters[name]).__name__
        if converter == "UUIDConverter":
            values[name] = uuid_value or uuid.uuid4()
        elif converter in ("IntegerConverter", "FloatConverter"):
            values[name] = 1
        else:
            values[name] = text
    return values


@pytest.fixture
def production_like_app(settings: Settings) -> Iterator[Flask]:
    """The app with production's cookie settings: Secure, ``__Host-``, https URLs."""
    app = create_app(settings.with_changes(cookie_secure=True))
    app.config["TESTING"] = True
    app.extensions["portal.clock"] = ShiftedClock()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def is_sign_in_redirect(response: Any) -> bool:
    """True when the portal sent the browser to sign in (what an anonymous request gets)."""
    return response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def clone_browser(app: Flask, client: FlaskClient) -> FlaskClient:
    """A second browser holding a copy of ``client``'s session cookie (a stolen cookie)."""
    name = app.extensions["portal.settings"].session_cookie_name
    value = session_cookie(client, app)
    assert value, "the browser has no session cookie to copy"
    copy = app.test_client()
    copy.set_cookie(name, value)
    return copy


@pytest.fixture
def signed_in(app: Flask, clock: ShiftedClock) -> Any:
    """``signed_in(client, user)``: a full sign-in, moving the clock one TOTP step first so
    the same user can sign in any number of times in one test."""

    def run(client: FlaskClient, user: Any, next_url: str = "") -> Any:
        clock.advance(NEXT_STEP)
        response = sign_in(app, client, user, next_url)
        assert response.status_code == 302, "sign-in refused"
        return response

    return run
