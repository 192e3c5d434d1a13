"""A real OpenID provider for the sign-in tests, and apps configured to use it.

The provider is ``oidc-provider-mock`` (an Authlib authorization server) served by Werkzeug in
a thread, on ``localhost`` and a free port. Two things are added in front of it, in a small
WSGI wrapper, because the mock does not do them itself:

* it enforces PKCE S256 at the token endpoint, as a production provider does (the mock ignores
  ``code_verifier``), so a sign-in only succeeds if the portal sent the verifier that matches
  the challenge of its own authorization request;
* it records the authorization and token requests, and registers every code and token it hands
  out as a secret, so the suite's leak check fails if any of them reaches a log line.

The mock copies a user's claims into the ID token after its own (``payload.update(user_info)``
in Authlib's ``generate_id_token``), so ``set_user(sub, aud=...)`` makes the provider sign an
ID token with a wrong ``aud``, ``iss``, ``nonce`` or ``exp``: every refusal test goes through
the real provider, its real signing key and its real token endpoint.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from portal import create_app
from portal.agencies.models import Agency
from portal.auth.models import UserIdentity
from portal.config import OidcProvider, Settings
from portal.core.clock import ShiftedClock
from portal.db.transaction import transaction
from portal.extensions import db
from tests.conftest import RecordingClient
from tests.leaks import leaks_in, remember_secret

CLIENT_ID = "portal-test-client"
CLIENT_SECRET = "portal-test-client-secret-" + "x" * 8
TWO_FACTORS = ["pwd", "otp"]
remember_secret(CLIENT_SECRET)


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _single(values: dict[str, list[str]]) -> dict[str, str]:
    return {key: value[0] for key, value in values.items()}


@dataclass
class TokenExchange:
    """One call to the token endpoint: what was sent (no secrets kept) and what came back."""

    status: int
    error: str | None = None
    error_description: str | None = None


@dataclass
class Provider:
    """A running provider: its base URL (= its issuer) and what it has seen."""

    url: str = ""
    enforce_pkce: bool = True
    authorization_requests: list[dict[str, str]] = field(default_factory=list)
    pkce_checks: list[bool] = field(default_factory=list)
    token_exchanges: list[TokenExchange] = field(default_factory=list)
    _challenges: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def issuer(self) -> str:
        return self.url

    def set_user(self, sub: str, **claims: Any) -> None:
        """Store the claims the provider will put in ``sub``'s ID token."""
        response = requests.put(f"{self.url}/users/{quote(sub, safe='')}", json=claims, timeout=5)
        assert response.status_code == 204, response.text

    def authorize(self, location: str, sub: str, *, deny: bool = False) -> str:
        """Play the person at the provider: open its form, submit it; return the callback URL."""
        assert location.startswith(f"{self.url}/oauth2/authorize?"), location
        with requests.Session() as http:
            form = http.get(location, timeout=5)
            assert form.status_code == 200
            assert 'name="sub"' in form.text
            data = {"action": "deny"} if deny else {"sub": sub}
            answer = http.post(location, data=data, allow_redirects=False, timeout=5)
        assert answer.status_code == 302, answer.text
        return str(answer.headers["Location"])

    # -- the WSGI wrapper -------------------------------------------------------------------

    def wrap(self, inner: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            path, method = environ.get("PATH_INFO", ""), environ["REQUEST_METHOD"]
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            if path == "/oauth2/token" and method == "POST":
                refusal = self._check_pkce(_single(parse_qs(body.decode())))
                if refusal is not None:
                    start_response("400 BAD REQUEST", [("Content-Type", "application/json")])
                    return [refusal]
            status, headers, content = _call(inner, environ)
            if path == "/oauth2/authorize" and method == "POST":
                self._after_authorization(environ, headers)
            if path == "/oauth2/token" and method == "POST":
                self._after_token(status, content)
            start_response(status, headers)
            return [content]

        return app

    def _after_authorization(self, environ: dict[str, Any], headers: list[tuple[str, str]]) -> None:
        query = _single(parse_qs(environ.get("QUERY_STRING", "")))
        self.authorization_requests.append(query)
        location = dict(headers).get("Location", "")
        code = _single(parse_qs(urlsplit(location).query)).get("code")
        if code:
            remember_secret(code)
            self._challenges[code] = (
                query.get("code_challenge", ""),
                query.get("code_challenge_method", ""),
            )

    def _check_pkce(self, form: dict[str, str]) -> bytes | None:
        if not self.enforce_pkce:
            return None
        challenge, method = self._challenges.get(form.get("code", ""), ("", ""))
        verifier = form.get("code_verifier", "")
        remember_secret(verifier)
        ok = method == "S256" and bool(verifier) and s256(verifier) == challenge
        self.pkce_checks.append(ok)
        if ok:
            return None
        self.token_exchanges.append(TokenExchange(400, "invalid_grant", "PKCE check failed"))
        return json.dumps({"error": "invalid_grant"}).encode()

    def _after_token(self, status: str, content: bytes) -> None:
        answer = json.loads(content)
        for name in ("access_token", "id_token", "refresh_token"):
            remember_secret(answer.get(name))
        self.token_exchanges.append(
            TokenExchange(
                int(status.split()[0]), answer.get("error"), answer.get("error_description")
            )
        )


def _call(
    inner: Callable[..., Iterable[bytes]], environ: dict[str, Any]
) -> tuple[str, list[tuple[str, str]], bytes]:
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        captured["status"], captured["headers"] = status, headers

    chunks = inner(environ, start_response)
    try:
        content = b"".join(chunks)  # the mock's debugger middleware starts the response lazily
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    return captured["status"], captured["headers"], content


@pytest.fixture(autouse=True)
def no_secrets_in_log_records(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every record logged during the test, at every level, is free of codes, tokens, PKCE
    verifiers, the client secret and session cookies.

    The suite-wide check in ``tests/conftest.py`` cannot be relied on here: the migration
    that builds the template database runs Alembic's ``fileConfig``, which replaces the root
    logger's handlers (its capturing handler included) and sets the root level to WARNING.
    """
    caplog.set_level(logging.DEBUG)
    yield
    records = [r for when in ("setup", "call") for r in caplog.get_records(when)]
    leaked = leaks_in(f"{r.name} {r.levelname} {r.getMessage()}" for r in records)
    assert not leaked, f"secrets in log records: {leaked[:3]}"


@pytest.fixture
def start_provider() -> Iterator[Callable[[], Provider]]:
    """Start real OpenID providers (each with its own key, users and issuer) for one test."""
    # Imported here, under the test's warning filters: at collection time Authlib's own
    # "always" filter for its deprecation warnings would put them in the run's summary.
    import oidc_provider_mock

    stops: list[Callable[[], None]] = []

    def start() -> Provider:
        provider = Provider()
        server = make_server(
            "localhost", 0, provider.wrap(oidc_provider_mock.app(require_nonce=True)), threaded=True
        )
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        provider.url = f"http://localhost:{server.server_port}"

        def stop() -> None:
            server.shutdown()
            thread.join(5)
            server.server_close()

        stops.append(stop)
        return provider

    yield start
    for stop in stops:
        stop()


@pytest.fixture
def idp(start_provider: Callable[[], Provider]) -> Provider:
    return start_provider()


def provider_config(
    idp: Provider, *, slug: str = "police", agency_code: str, **changes: Any
) -> OidcProvider:
    config = OidcProvider(
        slug=slug,
        agency_code=agency_code,
        issuer=idp.issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        display_name=f"{slug.title()} account",
        require_mfa=True,
    )
    return OidcProvider(**{**config.__dict__, **changes})


@pytest.fixture
def build_app(settings: Settings) -> Iterator[Callable[..., Flask]]:
    """Build a portal app (sharing the test's database) that trusts the given providers."""
    built: list[Flask] = []

    def build(*providers: OidcProvider) -> Flask:
        app = create_app(settings.with_changes(oidc_providers=providers))
        app.config["TESTING"] = True
        app.test_client_class = RecordingClient
        app.extensions["portal.clock"] = ShiftedClock()
        built.append(app)
        return app

    yield build
    for app in built:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def link_identity() -> Callable[..., None]:
    """Record that ``issuer``'s ``subject`` is this portal user (what an administrator does)."""

    def link(app: Flask, user: Any, *, issuer: str, subject: str) -> None:
        with app.app_context(), transaction():
            db.session.add(UserIdentity(user_id=user.id, issuer=issuer, subject=subject))

    return link


#: The provider's subject for the world's officer.
SUB = "alice"


@dataclass
class World:
    """One agency, its provider, and an officer whose provider identity is linked."""

    app: Flask
    idp: Provider
    user: Any


@pytest.fixture
def world(
    idp: Provider, build_app: Callable[..., Flask], factories: Any, link_identity: Any
) -> World:
    agency = factories.agency(code="POLICE1")
    app = build_app(provider_config(idp, agency_code="POLICE1"))
    user = factories.user(agency=agency, full_name="Alice Officer")
    link_identity(app, user, issuer=idp.issuer, subject=SUB)
    idp.set_user(SUB, email=user.email, amr=TWO_FACTORS)
    return World(app, idp, user)


#: A second officer's identity at the provider (see :func:`colleague`).
NEW_SUB = "bob"


@pytest.fixture
def colleague(world: World, factories: Any, idp: Provider) -> Any:
    """An officer of the world's agency with no linked identity, and their provider account."""
    with world.app.app_context():
        agency = db.session.execute(select(Agency).where(Agency.code == "POLICE1")).scalar_one()
    user = factories.user(agency=agency, full_name="Bob Officer")
    idp.set_user(NEW_SUB, email=user.email, amr=TWO_FACTORS)
    return user


def links(app: Flask, user_id: Any) -> list[tuple[str, str]]:
    """The (issuer, subject) identities linked to the account."""
    with app.app_context():
        rows = db.session.execute(
            select(UserIdentity.issuer, UserIdentity.subject).where(UserIdentity.user_id == user_id)
        )
        return [(issuer, subject) for issuer, subject in rows]
