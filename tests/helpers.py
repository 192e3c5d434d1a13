"""Helpers for driving the portal like a browser in tests."""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url

from portal.auth.totp import code_at
from tests.leaks import remember_secret

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(client: FlaskClient, path: str = "/sign-in") -> str:
    html = client.get(path).get_data(as_text=True)
    match = _CSRF.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def current_code(app: Flask, secret: str, *, steps_ahead: int = 0) -> str:
    """The code an authenticator would show now by the portal's (test-shifted) clock."""
    from datetime import timedelta

    from portal.core.clock import db_now

    with app.app_context():
        now = db_now()
    return code_at(secret, now + timedelta(seconds=30 * steps_ahead))


def submit_password(client: FlaskClient, email: str, password: str, next_url: str = "") -> Any:
    token = csrf_token(client, "/sign-in")
    return client.post(
        "/sign-in",
        data={"csrf_token": token, "email": email, "password": password, "next": next_url},
    )


def submit_code(client: FlaskClient, code: str, path: str = "/sign-in/security-code") -> Any:
    token = csrf_token(client, path)
    return client.post(path, data={"csrf_token": token, "code": code})


def sign_in(app: Flask, client: FlaskClient, user: Any, next_url: str = "") -> Any:
    """Password then TOTP; returns the final response (a redirect on success)."""
    response = submit_password(client, user.email, user.password, next_url)
    assert response.status_code == 302, "password step refused"
    return submit_code(client, current_code(app, user.totp_secret))


def session_cookie(client: FlaskClient, app: Flask) -> str | None:
    name = app.extensions["portal.settings"].session_cookie_name
    cookie = client.get_cookie(name)
    if cookie:
        remember_secret(cookie.value)
    return cookie.value if cookie else None


def other_sqlite_connection(app: Flask, *, timeout: float = 0.0) -> sqlite3.Connection:
    """Another process's connection to the app's SQLite file, outside the portal's code.

    With the default ``timeout`` it gives up at once if another connection holds the write lock.
    Transactions are its caller's (``BEGIN IMMEDIATE`` ... ``COMMIT``).
    """
    database = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    assert database, "not a SQLite file"
    return sqlite3.connect(database, timeout=timeout, isolation_level=None)


def summary_link(html: str, message: str) -> str:
    """The id that the error summary's entry for ``message`` links to; fails unless the entry
    is a link and the page has an element with that id (GOV.UK: every entry links to what it
    is about)."""
    listed = html.split('govuk-error-summary__list"', 1)
    assert len(listed) == 2, "the page has no error summary"
    entries = re.findall(r"<li>(.*?)</li>", listed[1].split("</ul>", 1)[0], re.S)
    [entry] = [e for e in entries if message in e]
    found = re.search(r'<a href="#([^"]+)"', entry)
    assert found, f"the entry is not a link: {entry.strip()}"
    target = found.group(1)
    assert f'id="{target}"' in html, f"nothing on the page has id {target}"
    return target
