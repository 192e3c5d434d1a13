"""A refused single sign-on attempt is answered as a refusal (never a 500) and written to the
access log as one ``LOGIN_FAILED``, like a refused password or security code.

Against the real provider stand-in (see conftest.py). Each test checks the reason code of the
operator's log and of the access-log event, that the event names the account only when the
portal knows it, and that no code, state or token from the provider's response reaches it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from authlib.integrations.flask_client import FlaskOAuth2App
from authlib.oauth2.rfc6749.errors import MissingTokenException
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.audit.models import AuditEventRow
from portal.auth.oidc_views import NOT_LINKED
from portal.core.identity import UserStatus
from portal.db.transaction import transaction
from portal.extensions import db
from portal.users.models import User
from tests.helpers import csrf_token, sign_in, summary_link
from tests.integration.auth.conftest import (
    NEW_SUB,
    SUB,
    TWO_FACTORS,
    Provider,
    World,
    links,
    provider_config,
)
from tests.integration.auth.test_oidc import (
    assert_refused,
    provider_response,
    query,
    refusals,
    signed_in_sessions,
    start,
)


def _events(app: Flask) -> list[dict[str, Any]]:
    with app.app_context():
        bodies = db.session.execute(
            select(AuditEventRow.body).order_by(AuditEventRow.seq)
        ).scalars()
        return [json.loads(body) for body in bodies]


def _failed(app: Flask) -> list[dict[str, Any]]:
    return [event for event in _events(app) if event["type"] == "LOGIN_FAILED"]


def _only_failure(app: Flask, reason: str, *, user: Any = None) -> dict[str, Any]:
    """The one LOGIN_FAILED written, checked: its reason, the method, and the account."""
    (event,) = _failed(app)
    assert event["with"]["reason"] == reason
    assert event["with"]["method"] == "oidc"
    assert event["outcome"] == "failure"
    assert event["target_user_id"] == (user.id.hex if user is not None else None)
    assert event["actor_agency_id"] == (user.agency_id.hex if user is not None else None)
    return event


def _carries_none_of(event: dict[str, Any], callback: str) -> None:
    raw = json.dumps(event)
    for name in ("code", "state"):
        value = query(callback).get(name)
        if value:
            assert value not in raw, f"the event carries the response's {name}"


def _callback_without_code(client: FlaskClient, location: str) -> str:
    state = query(location)["state"]
    return f"/sign-in/oidc/police/callback?{urlencode({'state': state})}"


# -- a response without a code (defect: Authlib's MissingCodeException answered 500) ---------


def test_sign_in_callback_with_state_but_no_code_is_refused(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    client = world.app.test_client()
    callback = _callback_without_code(client, start(client))

    assert_refused(client.get(callback), caplog, "provider:missing_code")
    assert signed_in_sessions(world.app) == 0
    _carries_none_of(_only_failure(world.app, "provider_missing_code"), callback)


def test_sign_in_callback_with_empty_code_is_refused(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    client = world.app.test_client()
    state = query(start(client))["state"]
    callback = f"/sign-in/oidc/police/callback?{urlencode({'state': state, 'code': ''})}"

    assert_refused(client.get(callback), caplog, "provider:missing_code")
    assert signed_in_sessions(world.app) == 0


def test_link_callback_with_state_but_no_code_links_nothing(
    world: World, colleague: Any, caplog: pytest.LogCaptureFixture
) -> None:
    client = world.app.test_client()
    sign_in(world.app, client, colleague)
    begun = client.get("/sign-in/oidc/police/link")
    assert begun.status_code == 302
    callback = _callback_without_code(client, str(begun.location))

    response = client.get(callback)

    assert response.status_code == 302
    assert response.location == "/account"
    assert summary_link(client.get("/account").get_data(as_text=True), NOT_LINKED) == "link-police"
    assert refusals(caplog) == ["provider:missing_code"]
    assert links(world.app, colleague.id) == []
    _carries_none_of(
        _only_failure(world.app, "link_provider_missing_code", user=colleague), callback
    )


def test_any_other_authlib_error_is_a_refusal(
    world: World, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Authlib errors that are not ``OAuthError`` (``OAuth2Error`` and its kind) are refused
    like the rest, not answered 500."""

    def no_token(self: Any, **kwargs: Any) -> Any:
        raise MissingTokenException()

    client = world.app.test_client()
    callback = provider_response(client, world.idp)
    monkeypatch.setattr(FlaskOAuth2App, "authorize_access_token", no_token)

    assert_refused(client.get(callback), caplog, "provider:missing_token")
    _only_failure(world.app, "provider_missing_token")


# -- every refusal is in the access log (defect: only the operator's log had them) --------


def test_provider_error_is_logged_as_a_failed_sign_in(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    client = world.app.test_client()
    callback = world.idp.authorize(start(client), SUB, deny=True)
    assert_refused(client.get(callback), caplog, "provider:access_denied")
    _carries_none_of(_only_failure(world.app, "provider_access_denied"), callback)


def test_bad_state_is_logged_as_a_failed_sign_in(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    victim, attacker = world.app.test_client(), world.app.test_client()
    start(victim)
    callback = provider_response(attacker, world.idp)

    assert_refused(victim.get(callback), caplog, "state")
    _carries_none_of(_only_failure(world.app, "state"), callback)


def test_bad_token_is_logged_as_a_failed_sign_in(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.idp.set_user(SUB, amr=TWO_FACTORS, aud="another-client")
    client = world.app.test_client()
    callback = provider_response(client, world.idp)

    assert_refused(client.get(callback), caplog, "id_token:aud")
    event = _only_failure(world.app, "id_token_aud")
    _carries_none_of(event, callback)
    assert "another-client" not in json.dumps(event)  # no claim value either


def test_missing_second_factor_is_logged_as_a_failed_sign_in(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.idp.set_user(SUB, amr=["pwd"])
    client = world.app.test_client()
    callback = provider_response(client, world.idp)

    assert_refused(client.get(callback), caplog, "mfa")
    _carries_none_of(_only_failure(world.app, "mfa"), callback)


def test_unknown_identity_is_logged_without_an_account(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.idp.set_user("stranger", amr=TWO_FACTORS)
    client = world.app.test_client()
    callback = provider_response(client, world.idp, sub="stranger")

    assert_refused(client.get(callback), caplog, "unknown_identity")
    event = _only_failure(world.app, "unknown_identity")
    _carries_none_of(event, callback)
    assert "stranger" not in json.dumps(event)  # not the subject either


def test_disabled_account_is_logged_naming_the_account(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    with world.app.app_context(), transaction():
        user = db.session.get(User, world.user.id)
        assert user is not None
        user.status = UserStatus.DISABLED.value
    client = world.app.test_client()
    callback = provider_response(client, world.idp)

    assert_refused(client.get(callback), caplog, "inactive_user")
    _carries_none_of(_only_failure(world.app, "inactive_user", user=world.user), callback)


def test_wrong_agency_is_logged_naming_the_account(
    world: World, factories: Any, link_identity: Any, caplog: pytest.LogCaptureFixture
) -> None:
    outsider = factories.user(agency=factories.agency(code="HOUSING1"))
    link_identity(world.app, outsider, issuer=world.idp.issuer, subject="carol")
    world.idp.set_user("carol", amr=TWO_FACTORS)
    client = world.app.test_client()
    callback = provider_response(client, world.idp, sub="carol")

    assert_refused(client.get(callback), caplog, "wrong_agency")
    _carries_none_of(_only_failure(world.app, "wrong_agency", user=outsider), callback)


def test_failed_link_is_logged_naming_the_account(
    world: World, colleague: Any, caplog: pytest.LogCaptureFixture
) -> None:
    client = world.app.test_client()
    sign_in(world.app, client, colleague)
    begun = client.get("/sign-in/oidc/police/link")
    callback = world.idp.authorize(str(begun.location), SUB)  # Alice's identity

    assert client.get(callback).location == "/account"
    assert refusals(caplog) == ["identity_in_use"]
    _carries_none_of(_only_failure(world.app, "link_identity_in_use", user=colleague), callback)


def test_link_answer_after_sign_out_is_logged(
    world: World, colleague: Any, caplog: pytest.LogCaptureFixture
) -> None:
    client = world.app.test_client()
    sign_in(world.app, client, colleague)
    begun = client.get("/sign-in/oidc/police/link")
    callback = world.idp.authorize(str(begun.location), NEW_SUB)
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/account")})

    # Signing out ended the session that started the link: the answer is a stray sign-in.
    assert client.get(callback).status_code == 403
    assert refusals(caplog) == ["state"]
    _carries_none_of(_only_failure(world.app, "state"), callback)
    assert links(world.app, colleague.id) == []


def test_unreadable_discovery_at_start_is_logged(
    start_provider: Callable[[], Provider],
    build_app: Callable[..., Flask],
    factories: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    idp = start_provider()
    factories.agency(code="POLICE1")
    app = build_app(
        provider_config(idp, agency_code="POLICE1", metadata_url="http://127.0.0.1:9/none")
    )
    response = app.test_client().get("/sign-in/oidc/police")

    assert_refused(response, caplog, "metadata_unreachable")
    _only_failure(app, "metadata_unreachable")


def test_a_successful_sign_in_writes_no_failure(world: World) -> None:
    client = world.app.test_client()
    assert client.get(provider_response(client, world.idp)).status_code == 302
    assert _failed(world.app) == []
    assert [e["type"] for e in _events(world.app)] == ["LOGIN"]
