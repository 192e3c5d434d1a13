"""OpenID Connect sign-in against a real provider (oidc-provider-mock, see conftest.py).

Every refusal test sets up a sign-in that would succeed, changes exactly one thing, and checks
both that the person sees the one generic page and that the portal refused for the intended
reason (the reason code in the operator's log), so a test cannot pass because something else
broke. Several refusal tests then replay the untouched response to show it still works.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.auth import oidc
from portal.auth.models import UserSession
from portal.auth.sessions import token_hash
from portal.config import Argon2Parameters, ConfigurationError, Settings
from portal.core.identity import UserStatus
from portal.db.transaction import transaction
from portal.extensions import db
from portal.users.models import User
from tests.helpers import session_cookie
from tests.integration.auth.conftest import (
    CLIENT_ID,
    SUB,
    TWO_FACTORS,
    Provider,
    World,
    provider_config,
    s256,
)

REFUSED_HEADING = "You could not be signed in"


def query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def start(client: FlaskClient, slug: str = "police", **args: str) -> str:
    response = client.get(f"/sign-in/oidc/{slug}", query_string=args)
    assert response.status_code == 302, response.status_code
    return str(response.location)


def provider_response(client: FlaskClient, idp: Provider, sub: str = SUB, **args: str) -> str:
    """Start signing in and get through the provider's form: the callback URL it sends back."""
    return idp.authorize(start(client, **args), sub)


def refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage().rsplit("reason=", 1)[1]
        for record in caplog.records
        if record.name == "portal.auth.oidc"
    ]


def assert_refused(response: Any, caplog: pytest.LogCaptureFixture, *reasons: str) -> None:
    assert response.status_code == 403
    assert REFUSED_HEADING in response.get_data(as_text=True)
    assert "Location" not in response.headers
    assert refusals(caplog) == list(reasons)


def signed_in_as(app: Flask, client: FlaskClient) -> tuple[uuid.UUID | None, str | None]:
    """The user and method of the live session behind the browser's cookie."""
    cookie = session_cookie(client, app)
    if cookie is None:
        return None, None
    with app.app_context():
        row = db.session.get(UserSession, token_hash(cookie))
        if row is None or row.revoked_at is not None:
            return None, None
        return row.user_id, row.auth_method


def signed_in_sessions(app: Flask) -> int:
    with app.app_context():
        rows = db.session.execute(select(UserSession).where(UserSession.user_id.is_not(None)))
        return len(rows.all())


# -- success ------------------------------------------------------------------------------


def test_sign_in_through_provider_form_signs_in_linked_user(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    client = world.app.test_client()
    callback = provider_response(client, world.idp)
    before = session_cookie(client, world.app)

    response = client.get(callback)

    assert response.status_code == 302
    assert response.location == "/"
    assert signed_in_as(world.app, client) == (world.user.id, "oidc")
    assert session_cookie(client, world.app) != before  # a new session id after sign-in
    assert world.idp.token_exchanges[-1].status == 200
    assert "Alice Officer" in client.get("/").get_data(as_text=True)
    assert refusals(caplog) == []
    assert query(callback)["code"] not in caplog.text


def test_a_password_change_due_does_not_stop_a_provider_sign_in(world: World) -> None:
    """The change is due after a password sign-in only: through the provider the user has not
    used the password an administrator chose, and may not know it."""
    with world.app.app_context(), transaction():
        user = db.session.get(User, world.user.id)
        assert user is not None
        user.password_change_required = True
    client = world.app.test_client()

    assert client.get(provider_response(client, world.idp)).status_code == 302

    assert client.get("/").status_code == 200


def test_authorization_request_carries_pkce_s256_state_and_nonce(world: World) -> None:
    client = world.app.test_client()
    location = start(client)
    sent = query(location)

    assert sent["code_challenge_method"] == "S256"
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", sent["code_challenge"])
    assert sent["response_type"] == "code"
    assert sent["scope"] == "openid"
    assert sent["client_id"] == CLIENT_ID
    assert sent["redirect_uri"] == "http://localhost/sign-in/oidc/police/callback"
    assert len(sent["state"]) >= 20
    assert len(sent["nonce"]) >= 20
    # The provider stand-in refuses the code unless the verifier matches this challenge.
    response = client.get(world.idp.authorize(location, SUB))
    assert response.status_code == 302
    assert world.idp.pkce_checks == [True]


def test_provider_stand_in_refuses_a_wrong_pkce_verifier(world: World) -> None:
    """The PKCE check above is only worth something if the stand-in really enforces it."""
    code = query(provider_response(world.app.test_client(), world.idp))["code"]
    token_url = f"{world.idp.url}/oauth2/token"
    answer = requests.post(
        token_url,
        data={"grant_type": "authorization_code", "code": code, "code_verifier": "x" * 50},
        auth=(CLIENT_ID, "secret"),
        timeout=5,
    )
    assert answer.status_code == 400
    assert world.idp.pkce_checks == [False]


def test_sign_in_with_next_returns_there_and_ignores_other_sites(world: World) -> None:
    client = world.app.test_client()
    response = client.get(provider_response(client, world.idp, next="/account/password"))
    assert response.location == "/account/password"

    other = world.app.test_client()
    response = other.get(provider_response(other, world.idp, next="//evil.example/x"))
    assert response.location == "/"


def test_sign_in_page_links_to_each_provider(world: World) -> None:
    page = world.app.test_client().get("/sign-in?next=/account/password")
    assert 'href="/sign-in/oidc/police?next=/account/password"' in page.get_data(as_text=True)


def test_start_when_signed_in_goes_home(world: World) -> None:
    client = world.app.test_client()
    client.get(provider_response(client, world.idp))
    response = client.get("/sign-in/oidc/police")
    assert response.status_code == 302
    assert response.location == "/"


def test_start_for_unknown_provider_is_not_found(world: World) -> None:
    client = world.app.test_client()
    assert client.get("/sign-in/oidc/nobody").status_code == 404
    assert client.get("/sign-in/oidc/nobody/callback?code=a&state=b").status_code == 404


def test_mfa_not_required_accepts_token_without_amr(
    idp: Provider, build_app: Callable[..., Flask], factories: Any, link_identity: Any
) -> None:
    agency = factories.agency(code="HOUSING1")
    app = build_app(provider_config(idp, agency_code="HOUSING1", require_mfa=False))
    user = factories.user(agency=agency)
    link_identity(app, user, issuer=idp.issuer, subject=SUB)
    idp.set_user(SUB, email=user.email)
    client = app.test_client()
    assert client.get(provider_response(client, idp)).status_code == 302
    assert signed_in_as(app, client) == (user.id, "oidc")


def test_expired_within_leeway_is_accepted(world: World) -> None:
    world.idp.set_user(SUB, amr=TWO_FACTORS, exp=int(time.time()) - 20)
    client = world.app.test_client()
    assert client.get(provider_response(client, world.idp)).status_code == 302
    assert signed_in_as(world.app, client) == (world.user.id, "oidc")


# -- the nine refusals of security.md §7 item 15 --------------------------------------------


def test_callback_without_state_is_refused(world: World, caplog: pytest.LogCaptureFixture) -> None:
    client = world.app.test_client()
    callback = provider_response(client, world.idp)
    stripped = urlsplit(callback)._replace(query=urlencode({"code": query(callback)["code"]}))

    assert_refused(client.get(stripped.geturl()), caplog, "state")
    assert signed_in_sessions(world.app) == 0
    # The untouched response still works: the refusal was about the state, nothing else.
    assert client.get(callback).status_code == 302


def test_callback_with_state_from_another_session_is_refused(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    victim, attacker = world.app.test_client(), world.app.test_client()
    start(victim)  # the victim has a sign-in of their own under way
    attackers_callback = provider_response(attacker, world.idp)

    assert_refused(victim.get(attackers_callback), caplog, "state")
    assert signed_in_as(world.app, victim) == (None, None)
    assert attacker.get(attackers_callback).status_code == 302


def test_replayed_code_is_refused(world: World, caplog: pytest.LogCaptureFixture) -> None:
    first = world.app.test_client()
    callback = provider_response(first, world.idp)
    assert first.get(callback).status_code == 302

    # The same browser replays the whole response: its state was used up.
    assert_refused(first.get(callback), caplog, "state")

    # Another browser pairs the used code with a state of its own; the provider's PKCE check is
    # switched off so the only thing wrong is that the code was already redeemed.
    world.idp.enforce_pkce = False
    second = world.app.test_client()
    state = query(start(second))["state"]
    used_code = query(callback)["code"]
    replay = f"/sign-in/oidc/police/callback?{urlencode({'code': used_code, 'state': state})}"
    caplog.clear()
    assert_refused(second.get(replay), caplog, "provider:invalid_grant")
    assert world.idp.token_exchanges[-1].error_description == "Invalid 'code' in request."
    assert signed_in_as(world.app, second) == (None, None)


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("nonce", "not-the-nonce-the-portal-sent"),
        ("aud", "another-client"),
        ("aud", ["another-client"]),
        ("iss", "http://localhost:1"),
    ],
    ids=["wrong-nonce", "wrong-aud", "wrong-aud-list", "wrong-iss"],
)
def test_id_token_with_wrong_claim_is_refused(
    world: World, caplog: pytest.LogCaptureFixture, claim: str, value: object
) -> None:
    world.idp.set_user(SUB, amr=TWO_FACTORS, **{claim: value})
    client = world.app.test_client()
    assert_refused(client.get(provider_response(client, world.idp)), caplog, f"id_token:{claim}")
    assert world.idp.token_exchanges[-1].status == 200  # the provider issued it; the portal said no
    assert signed_in_sessions(world.app) == 0


def test_id_token_expired_beyond_leeway_is_refused(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    # 90 s: past the portal's 60 s leeway, but inside Authlib's default of 120 s.
    world.idp.set_user(SUB, amr=TWO_FACTORS, exp=int(time.time()) - 90)
    client = world.app.test_client()
    assert_refused(client.get(provider_response(client, world.idp)), caplog, "id_token:exp")
    assert signed_in_sessions(world.app) == 0


@pytest.mark.parametrize(
    ("amr", "reason"),
    [
        (None, "mfa"),
        (["pwd"], "mfa"),
        (["otp"], "mfa"),
        (["pwd", "sms"], "mfa"),
        (["pwd", "pin"], "mfa"),
        ("pwd otp", "id_token:amr"),  # Authlib itself refuses an amr that is not a list
    ],
    ids=["absent", "password-only", "otp-only", "sms", "two-knowledge", "not-a-list"],
)
def test_id_token_without_second_factor_is_refused_when_required(
    world: World, caplog: pytest.LogCaptureFixture, amr: object, reason: str
) -> None:
    world.idp.set_user(SUB, **({} if amr is None else {"amr": amr}))
    client = world.app.test_client()
    assert_refused(client.get(provider_response(client, world.idp)), caplog, reason)
    assert signed_in_sessions(world.app) == 0


def test_metadata_naming_another_issuer_is_refused(
    idp: Provider,
    build_app: Callable[..., Flask],
    factories: Any,
    link_identity: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    agency = factories.agency(code="POLICE1")
    configured = idp.issuer.replace("localhost", "127.0.0.1")  # the same server, another name
    app = build_app(
        provider_config(
            idp,
            agency_code="POLICE1",
            issuer=configured,
            metadata_url=f"{idp.url}/.well-known/openid-configuration",
        )
    )
    link_identity(app, factories.user(agency=agency), issuer=configured, subject=SUB)
    idp.set_user(SUB, amr=TWO_FACTORS)
    client = app.test_client()

    assert_refused(client.get("/sign-in/oidc/police"), caplog, "issuer_mismatch")
    caplog.clear()
    assert_refused(
        client.get("/sign-in/oidc/police/callback?code=a&state=b"), caplog, "issuer_mismatch"
    )
    assert idp.authorization_requests == []


def test_callback_whose_id_token_was_not_parsed_is_refused(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """Authlib validates the ID token only if the stored state holds a nonce (security.md §6.2):
    take the nonce out of the server-side state and the portal must still refuse."""
    client = world.app.test_client()
    callback = provider_response(client, world.idp)
    cookie = session_cookie(client, world.app)
    assert cookie is not None
    with world.app.app_context(), transaction():
        row = db.session.get(UserSession, token_hash(cookie))
        assert row is not None
        data = json.loads(row.data)
        state = data[f"_state_police_{query(callback)['state']}"]
        del state["data"]["nonce"]
        row.data = json.dumps(data)

    assert_refused(client.get(callback), caplog, "id_token:not_verified")
    assert signed_in_sessions(world.app) == 0


# -- other refusals -----------------------------------------------------------------------


def test_provider_error_response_is_refused(world: World, caplog: pytest.LogCaptureFixture) -> None:
    client = world.app.test_client()
    callback = world.idp.authorize(start(client), SUB, deny=True)
    assert query(callback)["error"] == "access_denied"
    assert_refused(client.get(callback), caplog, "provider:access_denied")


def test_response_naming_another_issuer_is_refused(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    client = world.app.test_client()
    callback = provider_response(client, world.idp)
    assert_refused(client.get(f"{callback}&iss=http://localhost:1"), caplog, "response_iss")
    assert client.get(f"{callback}&iss={world.idp.issuer}").status_code == 302


def test_response_for_one_provider_at_another_providers_callback_is_refused(
    start_provider: Callable[[], Provider],
    build_app: Callable[..., Flask],
    factories: Any,
    link_identity: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    police_idp, probation_idp = start_provider(), start_provider()
    police, probation = factories.agency(code="POLICE1"), factories.agency(code="PROB1")
    app = build_app(
        provider_config(police_idp, slug="police", agency_code="POLICE1"),
        provider_config(probation_idp, slug="probation", agency_code="PROB1"),
    )
    link_identity(app, factories.user(agency=police), issuer=police_idp.issuer, subject=SUB)
    link_identity(app, factories.user(agency=probation), issuer=probation_idp.issuer, subject=SUB)
    police_idp.set_user(SUB, amr=TWO_FACTORS)
    client = app.test_client()
    callback = provider_response(client, police_idp)
    mixed_up = callback.replace("/oidc/police/", "/oidc/probation/")

    assert_refused(client.get(mixed_up), caplog, "state")
    assert signed_in_sessions(app) == 0


def test_refusal_page_is_the_same_whatever_failed(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    pages = []
    for claims in ({"amr": TWO_FACTORS, "aud": "another-client"}, {"amr": ["pwd"]}):
        world.idp.set_user(SUB, **claims)
        client = world.app.test_client()
        response = client.get(provider_response(client, world.idp))
        pages.append((response.status_code, re.sub(r'nonce="[^"]*"', "", response.text)))
    unknown = world.app.test_client()
    world.idp.set_user("stranger", amr=TWO_FACTORS)
    response = unknown.get(provider_response(unknown, world.idp, sub="stranger"))
    pages.append((response.status_code, re.sub(r'nonce="[^"]*"', "", response.text)))

    assert refusals(caplog) == ["id_token:aud", "mfa", "unknown_identity"]
    assert pages[0] == pages[1] == pages[2]


# -- which account --------------------------------------------------------------------------


def test_same_subject_at_two_providers_maps_to_two_accounts(
    start_provider: Callable[[], Provider],
    build_app: Callable[..., Flask],
    factories: Any,
    link_identity: Any,
) -> None:
    police_idp, probation_idp = start_provider(), start_provider()
    police, probation = factories.agency(code="POLICE1"), factories.agency(code="PROB1")
    app = build_app(
        provider_config(police_idp, slug="police", agency_code="POLICE1"),
        provider_config(probation_idp, slug="probation", agency_code="PROB1"),
    )
    officer = factories.user(agency=police)
    probation_officer = factories.user(agency=probation)
    link_identity(app, officer, issuer=police_idp.issuer, subject=SUB)
    link_identity(app, probation_officer, issuer=probation_idp.issuer, subject=SUB)
    for idp in (police_idp, probation_idp):  # both assert the same sub and e-mail address
        idp.set_user(SUB, email="alice@shared.example", amr=TWO_FACTORS)

    first, second = app.test_client(), app.test_client()
    assert first.get(provider_response(first, police_idp, slug="police")).status_code == 302
    assert second.get(provider_response(second, probation_idp, slug="probation")).status_code == 302

    assert signed_in_as(app, first) == (officer.id, "oidc")
    assert signed_in_as(app, second) == (probation_officer.id, "oidc")


def test_unknown_identity_is_refused_even_with_a_matching_email(
    world: World, factories: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # A portal account with exactly the e-mail the provider asserts, but no linked identity.
    other = factories.user(agency=None, email="bob@agency.test")
    world.idp.set_user(other.email, email=other.email, amr=TWO_FACTORS)
    client = world.app.test_client()
    assert_refused(
        client.get(provider_response(client, world.idp, sub=other.email)),
        caplog,
        "unknown_identity",
    )
    assert signed_in_sessions(world.app) == 0


def test_user_of_another_agency_is_refused(
    world: World, factories: Any, link_identity: Any, caplog: pytest.LogCaptureFixture
) -> None:
    outsider = factories.user(agency=factories.agency(code="HOUSING1"))
    link_identity(world.app, outsider, issuer=world.idp.issuer, subject="carol")
    world.idp.set_user("carol", amr=TWO_FACTORS)
    client = world.app.test_client()
    assert_refused(
        client.get(provider_response(client, world.idp, sub="carol")), caplog, "wrong_agency"
    )
    assert signed_in_sessions(world.app) == 0


def test_disabled_user_is_refused(world: World, caplog: pytest.LogCaptureFixture) -> None:
    with world.app.app_context(), transaction():
        user = db.session.get(User, world.user.id)
        assert user is not None
        user.status = UserStatus.DISABLED.value
    client = world.app.test_client()
    assert_refused(client.get(provider_response(client, world.idp)), caplog, "inactive_user")
    assert signed_in_sessions(world.app) == 0


# -- the second-factor rule and the configuration ----------------------------------------


@pytest.mark.parametrize(
    "amr",
    [["mfa"], ["pwd", "otp"], ["pwd", "hwk"], ["swk", "pin"], ["hwk", "fpt"], ["face", "sc"]],
)
def test_has_second_factor_accepts_two_kinds_of_factor(amr: list[str]) -> None:
    assert oidc.has_second_factor(amr)


@pytest.mark.parametrize(
    "amr",
    [
        None,
        [],
        ["pwd"],
        ["pwd", "pin"],
        ["otp", "hwk"],
        ["pwd", "sms"],
        ["pwd", "tel"],
        ["MFA"],
        "mfa",
        ["pwd", 1],
        {"mfa": True},
    ],
)
def test_has_second_factor_refuses_one_kind_or_malformed(amr: object) -> None:
    assert not oidc.has_second_factor(amr)


@pytest.mark.parametrize(
    "slugs", [("Police",), ("police_1",), ("-police",), ("",), ("police", "police")]
)
def test_bad_provider_slugs_stop_the_app(
    idp: Provider, build_app: Callable[..., Flask], slugs: tuple[str, ...]
) -> None:
    providers = [provider_config(idp, slug=slug, agency_code="A") for slug in slugs]
    with pytest.raises(ConfigurationError, match="slug"):
        build_app(*providers)


def test_production_refuses_plain_http_providers(idp: Provider, settings: Settings) -> None:
    production = settings.with_changes(
        env="production", secret_key="k" * 40, argon2=Argon2Parameters(), cookie_secure=True
    )
    with pytest.raises(ConfigurationError, match="https"):
        oidc.init_app(
            Flask(__name__),
            production.with_changes(oidc_providers=(provider_config(idp, agency_code="A"),)),
        )
    https = provider_config(idp, agency_code="A", issuer="https://idp.example")
    oidc.init_app(Flask(__name__), production.with_changes(oidc_providers=(https,)))


def test_stand_in_pkce_check_agrees_with_authlib() -> None:
    verifier = "v" * 43 + "-_~."
    assert s256(verifier) == create_s256_code_challenge(verifier)
