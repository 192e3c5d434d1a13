"""CSRF: every state-changing route refuses a request without this session's token, and nothing
changes (ASVS 3.5.1; reference/security.md A26)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, url_for
from sqlalchemy import select

from portal.core.identity import Role
from portal.extensions import db
from tests.factories import Factories
from tests.helpers import csrf_token, current_code, submit_code
from tests.security.conftest import dummy_values

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
#: Touched by reads, not by the refused request (refreshed at most every 15 seconds).
VOLATILE_COLUMNS = {("user_session", "last_seen_at")}


def snapshot(app: Flask) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table (the access log aside: recording a refusal is not a change)."""
    tables = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            if table.name.startswith("audit"):
                continue
            columns = [c for c in table.columns if (table.name, c.name) not in VOLATILE_COLUMNS]
            rows = db.session.execute(select(*columns)).all()
            tables[table.name] = sorted(tuple(str(v) for v in row) for row in rows)
    return tables


def _unsafe_requests(app: Flask, target_id: uuid.UUID) -> Iterator[tuple[str, str]]:
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            methods = (rule.methods or set()) & UNSAFE
            if not methods:
                continue
            url = url_for(rule.endpoint, **dummy_values(rule, uuid_value=target_id))
            for method in sorted(methods):
                yield method, url


def _form(user: Any, app: Flask) -> dict[str, Any]:
    """Everything a real form on any page might send, valid where it can be."""
    new_password = "a new and perfectly good passphrase"
    return {
        "email": user.email,
        "password": user.password,
        "current_password": user.password,
        "new_password": new_password,
        "confirm_password": new_password,
        "code": current_code(app, user.totp_secret),
        "full_name": "Changed By Attacker",
        "roles": [Role.AGENCY_ADMIN.value],
        "clearance": "DV",
        "next": "/",
    }


@pytest.fixture
def people(factories):
    agency = factories.agency()
    admin = factories.user(agency=agency, roles=tuple(Role))
    target = factories.user(agency=agency)
    return admin, target


def _assert_all_refused(app, browser, target, data) -> list[tuple[str, str]]:
    sent = []
    before = snapshot(app)
    for method, url in _unsafe_requests(app, target.id):
        response = browser.open(url, method=method, data=data)
        assert response.status_code == 400, f"{method} {url} answered {response.status_code}"
        sent.append((method, url))
    assert snapshot(app) == before
    return sent


def test_unsafe_request_without_token_signed_in_is_refused_and_changes_nothing(
    app, client, people, signed_in
):
    admin, target = people
    signed_in(client, admin)
    csrf_token(client, "/")  # this session has a token; the forged request does not carry it

    sent = _assert_all_refused(app, client, target, _form(admin, app))

    assert ("POST", "/sign-out") in sent
    assert ("POST", "/account/password") in sent
    assert len(sent) >= 5
    assert client.get("/").status_code == 200  # still signed in: sign-out was refused too


def test_unsafe_request_with_another_sessions_token_is_refused(
    app, client, make_client, people, signed_in
):
    admin, target = people
    signed_in(client, admin)
    attacker = make_client()
    foreign = csrf_token(attacker)  # a valid token, but for the attacker's own session
    data = {**_form(admin, app), "csrf_token": foreign}

    sent = _assert_all_refused(app, client, target, data)

    assert len(sent) >= 5


def test_unsafe_request_without_token_anonymous_is_refused_and_changes_nothing(app, client, people):
    admin, target = people
    csrf_token(client)  # the victim has an anonymous session with a token

    sent = _assert_all_refused(app, client, target, _form(admin, app))

    assert ("POST", "/sign-in") in sent
    assert client.get("/sign-in/security-code").status_code == 302  # no password step passed


def test_same_request_with_the_sessions_token_does_change_state(app, client, people, signed_in):
    admin, _ = people
    signed_in(client, admin)
    before = snapshot(app)
    data = {**_form(admin, app), "csrf_token": csrf_token(client, "/account/password")}

    response = client.post("/account/password", data=data)

    assert response.status_code == 200
    assert snapshot(app) != before  # so the snapshot above would have seen a forged change


def test_sign_in_over_https_without_referer_is_accepted(production_like_app):
    """Browsers send no Referer under ``Referrer-Policy: no-referrer``; HTTPS forms must work."""
    app = production_like_app
    user = Factories(app).user()
    browser = app.test_client()
    assert browser.get("/sign-in").request.scheme == "https"

    response = browser.post(
        "/sign-in",
        data={"csrf_token": csrf_token(browser), "email": user.email, "password": user.password},
    )
    assert response.status_code == 302
    response = submit_code(browser, current_code(app, user.totp_secret))
    assert response.status_code == 302
    assert browser.get("/").status_code == 200
    # ... and the token is still required.
    assert browser.post("/sign-out").status_code == 400
