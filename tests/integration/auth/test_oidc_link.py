"""A signed-in user links their account to their identity at their agency's provider, through the
real provider: they prove both, nothing else can link it, and the access log records it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.audit.models import AuditEventRow
from portal.auth.oidc_views import LINKED, NOT_LINKED
from portal.extensions import db
from tests.helpers import csrf_token, sign_in, summary_link
from tests.integration.auth.conftest import (
    NEW_SUB,
    SUB,
    Provider,
    World,
    links,
    provider_config,
)
from tests.integration.auth.test_oidc import provider_response, signed_in_as


def _linked_events(app: Flask) -> list[dict[str, Any]]:
    with app.app_context():
        bodies = db.session.execute(
            select(AuditEventRow.body).where(AuditEventRow.event_type == "USER_CHANGED")
        ).scalars()
        return [json.loads(body) for body in bodies]


def _link(client: FlaskClient, idp: Provider, sub: str) -> Any:
    start = client.get("/sign-in/oidc/police/link")
    assert start.status_code == 302, start.status_code
    return client.get(idp.authorize(str(start.location), sub))


def test_a_signed_in_user_links_their_identity_and_then_signs_in_with_it(
    world: World, colleague: Any
) -> None:
    client = world.app.test_client()
    sign_in(world.app, client, colleague)
    page = client.get("/account").get_data(as_text=True)
    assert "Police account" in page
    assert "Not linked" in page

    response = _link(client, world.idp, NEW_SUB)

    assert response.status_code == 302
    assert response.location == "/account"
    page = client.get("/account").get_data(as_text=True)
    assert LINKED in page
    assert "Not linked" not in page
    assert links(world.app, colleague.id) == [(world.idp.issuer, NEW_SUB)]
    (event,) = _linked_events(world.app)
    assert event["target_user_id"] == colleague.id.hex
    assert event["actor_id"] == colleague.id.hex
    assert event["with"] == {"reason": "identity_linked", "detail": {"provider": "police"}}
    # A new browser signs in through the provider as the linked account.
    other = world.app.test_client()
    assert other.get(provider_response(other, world.idp, sub=NEW_SUB)).status_code == 302
    assert signed_in_as(world.app, other) == (colleague.id, "oidc")


def test_an_identity_linked_to_another_account_is_not_linked_again(
    world: World, colleague: Any
) -> None:
    client = world.app.test_client()
    sign_in(world.app, client, colleague)

    response = _link(client, world.idp, SUB)  # Alice's identity

    assert response.location == "/account"
    assert summary_link(client.get("/account").get_data(as_text=True), NOT_LINKED) == "link-police"
    assert links(world.app, colleague.id) == []
    assert links(world.app, world.user.id) == [(world.idp.issuer, SUB)]
    assert _linked_events(world.app) == []


def test_linking_needs_a_signed_in_user_of_the_providers_agency(
    world: World,
    factories: Any,
    idp: Provider,
    build_app: Callable[..., Flask],
) -> None:
    anonymous = world.app.test_client()
    response = anonymous.get("/sign-in/oidc/police/link")
    assert response.status_code == 302
    assert response.location.startswith("/sign-in?")

    outsider = factories.user(agency=factories.agency(code="HOUSING1"))
    client = world.app.test_client()
    sign_in(world.app, client, outsider)
    assert client.get("/sign-in/oidc/police/link").status_code == 404
    assert "Police account" not in client.get("/account").get_data(as_text=True)
    # A provider of the outsider's own agency is offered to them.
    app = build_app(
        provider_config(idp, agency_code="POLICE1"),
        provider_config(idp, slug="housing", agency_code="HOUSING1"),
    )
    browser = app.test_client()
    app.extensions["portal.clock"].advance(timedelta(seconds=31))  # a fresh security code
    assert sign_in(app, browser, outsider).status_code == 302
    page = browser.get("/account").get_data(as_text=True)
    assert "Housing account" in page
    assert "Police account" not in page


def test_a_link_answer_for_a_session_that_signed_out_links_nothing(
    world: World, colleague: Any
) -> None:
    client = world.app.test_client()
    sign_in(world.app, client, colleague)
    start = client.get("/sign-in/oidc/police/link")
    callback = world.idp.authorize(str(start.location), NEW_SUB)
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/account")})

    response = client.get(callback)

    assert response.status_code == 403
    assert links(world.app, colleague.id) == []
