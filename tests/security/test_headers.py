"""Security headers and cookie attributes on every route, errors included.

ASVS 3.3, 3.4, 14.3.2, 16.5 (reference/security.md A22-A25, A40; section 7 item 12).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient

from portal.access.decorators import public
from portal.core.identity import Role
from tests.factories import Factories
from tests.helpers import csrf_token, current_code, sign_in, submit_code
from tests.security.conftest import dummy_values

#: Endpoints whose successful answers are files that may be cached (everything else: no-store).
STATIC_ENDPOINTS = {"home.static", "home.govuk_assets"}
STATIC_FILES = {"home.static": "css/app.css", "home.govuk_assets": "images/favicon.svg"}
EXCEPTION_MESSAGE = "exploded while reading row 42 of secret_table"
ALL_ROLES = tuple(Role)


def _boom() -> str:
    raise RuntimeError(EXCEPTION_MESSAGE)


def _with_boom_route(app: Flask) -> Flask:
    """Add a route that fails, declared public so default deny lets the request reach it."""
    view = public(reason="test only: forces an unhandled exception")(_boom)
    app.add_url_rule("/test-only/boom", "test_boom", view)
    return app


@pytest.fixture
def boom_app(app: Flask) -> Flask:
    return _with_boom_route(app)


def _requests(app: Flask) -> Iterator[tuple[str, str, str]]:
    """(endpoint, method, url) for every method of every rule, variables filled in."""
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            text = STATIC_FILES.get(rule.endpoint, "dummy")
            url = url_for(rule.endpoint, **dummy_values(rule, text=text))
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                yield rule.endpoint, method, url
            if rule.endpoint in STATIC_ENDPOINTS:
                yield rule.endpoint, "GET", url_for(rule.endpoint, filename="no/such/file.css")


def _csp(response: Any) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def _nonce(response: Any) -> str:
    sources = _csp(response).get("script-src", [])
    nonces = [s[len("'nonce-") : -1] for s in sources if s.startswith("'nonce-")]
    assert len(nonces) == 1, sources
    return nonces[0]


def assert_security_headers(response: Any, *, cacheable: bool = False) -> None:
    """Every header the portal promises on every response (``cacheable``: a static file)."""
    csp = _csp(response)
    header = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in header
    assert "'unsafe-eval'" not in header
    assert "*" not in header
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["default-src"] == ["'self'"]
    assert len(_nonce(response)) >= 16
    hsts = response.headers["Strict-Transport-Security"]
    max_age = re.search(r"max-age=(\d+)", hsts)
    assert max_age
    assert int(max_age.group(1)) >= 31536000
    assert "includesubdomains" in hsts.lower()
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    if not cacheable:
        assert "no-store" in response.headers["Cache-Control"]


def _walk(app: Flask, client: FlaskClient) -> list[tuple[str, str, str, int]]:
    seen = []
    for endpoint, method, url in _requests(app):
        response = client.open(url, method=method)
        response.close()  # static files are streamed from an open file
        cacheable = endpoint in STATIC_ENDPOINTS and response.status_code == 200
        try:
            assert_security_headers(response, cacheable=cacheable)
        except (AssertionError, KeyError) as exc:
            raise AssertionError(f"{method} {url} ({endpoint}): {exc!r}") from exc
        seen.append((endpoint, method, url, response.status_code))
    return seen


def test_every_route_anonymous_has_security_headers(boom_app, client):
    seen = _walk(boom_app, client)
    endpoints = {endpoint for endpoint, *_ in seen}
    assert {"home.index", "auth.sign_in", "home.healthz", "test_boom"} <= endpoints
    statuses = {status for *_, status in seen}
    assert {200, 302, 400, 404, 500} <= statuses  # pages, redirects, CSRF, missing, failure


def test_every_route_signed_in_has_security_headers(boom_app, client, factories):
    user = factories.user(roles=ALL_ROLES)
    assert sign_in(boom_app, client, user).status_code == 302
    seen = _walk(boom_app, client)
    assert ("home.index", "GET", "/", 200) in seen
    assert client.get("/").status_code == 200  # the walk did not sign us out


def test_error_responses_have_security_headers(boom_app, client):
    responses = {
        404: client.get("/no-such-page"),
        405: client.put("/sign-in"),
        400: client.post("/sign-in", data={"email": "a@b.test", "password": "x"}),
        500: client.get("/test-only/boom"),
    }
    for status, response in responses.items():
        assert response.status_code == status
        assert_security_headers(response)


def test_static_file_is_cacheable_but_keeps_other_headers(app, client):
    response = client.get("/static/css/app.css")
    response.close()
    assert response.status_code == 200
    assert "no-store" not in response.headers["Cache-Control"]
    assert_security_headers(response, cacheable=True)
    missing = client.get("/static/no-such.css")
    assert missing.status_code == 404
    assert_security_headers(missing)


def test_csp_nonce_differs_per_response_and_matches_the_page(app, client):
    first, second = client.get("/sign-in"), client.get("/sign-in")
    assert _nonce(first) != _nonce(second)
    for response in (first, second):
        page = response.get_data(as_text=True)
        scripts = re.findall(r"<script\b[^>]*>", page)
        assert scripts
        for tag in scripts:
            assert f'nonce="{_nonce(response)}"' in tag, tag


def test_server_error_page_reveals_nothing(boom_app, client):
    response = client.get("/test-only/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Sorry, there is a problem with the service" in body
    for leak in (EXCEPTION_MESSAGE, "secret_table", "RuntimeError", "Traceback", "_boom", ".py"):
        assert leak not in body
    assert response.headers["X-Request-Id"] in body  # a reference to quote, nothing more


# --- cookies ------------------------------------------------------------------------------------


def _set_cookies(response: Any) -> list[str]:
    return response.headers.getlist("Set-Cookie")


def _cookie_attributes(header: str) -> tuple[str, dict[str, str]]:
    name_value, *attributes = [part.strip() for part in header.split(";")]
    name = name_value.split("=", 1)[0]
    parsed = {}
    for attribute in attributes:
        key, _, value = attribute.partition("=")
        parsed[key.lower()] = value
    return name, parsed


def _journey(app: Flask, client: FlaskClient, factories: Factories) -> list[str]:
    """Sign in, browse, sign out; every Set-Cookie header the portal sent on the way."""
    user = factories.user(roles=ALL_ROLES)
    headers = []
    responses = [client.get("/sign-in")]
    token = csrf_token(client)
    responses.append(
        client.post(
            "/sign-in",
            data={"csrf_token": token, "email": user.email, "password": user.password},
        )
    )
    responses.append(submit_code(client, current_code(app, user.totp_secret)))
    responses.append(client.get("/"))
    responses.append(client.post("/sign-out", data={"csrf_token": csrf_token(client, "/")}))
    for response in responses:
        headers.extend(_set_cookies(response))
    assert client.get("/").status_code == 302  # signed out: the journey really ran
    return headers


def test_session_cookie_in_test_settings_is_httponly_lax_host_only(app, client, factories):
    headers = _journey(app, client, factories)
    assert len(headers) >= 3  # anonymous, rotated at sign-in, deleted at sign-out
    for header in headers:
        name, attributes = _cookie_attributes(header)
        assert name == "portal_session"
        assert "httponly" in attributes
        assert attributes["samesite"].lower() == "lax"
        assert attributes["path"] == "/"
        assert "domain" not in attributes


def test_session_cookie_in_production_settings_is_secure_host_prefixed(production_like_app):
    app = production_like_app
    client = app.test_client()
    headers = _journey(app, client, Factories(app))
    assert len(headers) >= 3
    for header in headers:
        name, attributes = _cookie_attributes(header)
        assert name.startswith("__Host-")
        assert "secure" in attributes
        assert "httponly" in attributes
        assert attributes["samesite"].lower() == "lax"
        assert attributes["path"] == "/"
        assert "domain" not in attributes
