"""An agency administrator removes a user's link to their identity at the agency's provider,
from the user's page: the provider no longer signs that account in, every session of the user
ends, the access log records it, and a link that is the account's only way in is kept."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.agencies.models import Agency
from portal.audit.models import AuditEventRow
from portal.auth.models import UserIdentity
from portal.core.identity import Role
from portal.extensions import db
from portal.users.service import ONLY_WAY_IN
from portal.users.views import IDENTITY_REMOVED
from tests.helpers import sign_in
from tests.integration.auth.conftest import SUB, TWO_FACTORS, World
from tests.integration.auth.test_oidc import provider_response, signed_in_as
from tests.integration.users.support import post, text_of


def _agency(app: Flask, code: str = "POLICE1") -> Any:
    with app.app_context():
        agency = db.session.execute(select(Agency).where(Agency.code == code)).scalar_one()
        db.session.expunge(agency)
        return agency


@pytest.fixture
def admin(world: World, factories: Any) -> FlaskClient:
    """The administrator of the world's agency, signed in."""
    user = factories.user(
        agency=_agency(world.app), roles=(Role.AGENCY_ADMIN,), full_name="Pat Admin"
    )
    client = world.app.test_client()
    assert sign_in(world.app, client, user).status_code == 302
    return client


def _identity_ids(app: Flask, user_id: Any) -> list[Any]:
    with app.app_context():
        return list(
            db.session.execute(
                select(UserIdentity.id).where(UserIdentity.user_id == user_id)
            ).scalars()
        )


def _changes(app: Flask) -> list[dict[str, Any]]:
    with app.app_context():
        bodies = db.session.execute(
            select(AuditEventRow.body).where(AuditEventRow.event_type == "USER_CHANGED")
        ).scalars()
        return [json.loads(body)["with"] for body in bodies]


def test_removing_the_link_stops_provider_sign_in_and_ends_the_users_sessions(
    world: World, admin: FlaskClient
) -> None:
    alice = world.app.test_client()
    assert alice.get(provider_response(alice, world.idp)).status_code == 302
    assert signed_in_as(world.app, alice) == (world.user.id, "oidc")
    page = text_of(admin.get(f"/users/{world.user.id}"))
    assert "Police account" in page
    assert "Remove link to Police account" in page
    [identity_id] = _identity_ids(world.app, world.user.id)

    response = post(admin, f"/users/{world.user.id}/identities/{identity_id}/remove")

    assert response.status_code == 302
    assert response.location == f"/users/{world.user.id}"
    assert IDENTITY_REMOVED in text_of(admin.get(response.location))
    assert _identity_ids(world.app, world.user.id) == []
    assert signed_in_as(world.app, alice) == (None, None)  # her session ended
    assert alice.get("/").status_code == 302
    assert _changes(world.app) == [
        {"reason": "identity_unlinked", "detail": {"provider": "police", "ended_count": "1"}}
    ]
    # The provider still knows her, but it no longer signs this account in.
    again = world.app.test_client()
    refused = again.get(provider_response(again, world.idp, sub=SUB))
    assert refused.status_code == 403
    assert signed_in_as(world.app, again) == (None, None)
    # Her password and security code still do.
    password = world.app.test_client()
    assert sign_in(world.app, password, world.user).status_code == 302


def test_the_only_way_in_is_kept(world: World, admin: FlaskClient, factories: Any) -> None:
    """An account with no password here signs in only through the provider: removing its one
    link would leave an account no one can use, so the page says to disable it instead."""
    federated = factories.user(
        agency=_agency(world.app), full_name="Fred Federated", password_hash=None
    )
    with world.app.app_context():
        db.session.add(UserIdentity(user_id=federated.id, issuer=world.idp.issuer, subject="fred"))
        db.session.commit()
    world.idp.set_user("fred", email=federated.email, amr=TWO_FACTORS)
    fred = world.app.test_client()
    assert fred.get(provider_response(fred, world.idp, sub="fred")).status_code == 302
    page = text_of(admin.get(f"/users/{federated.id}"))
    assert ONLY_WAY_IN in page
    assert "Remove link to" not in page
    [identity_id] = _identity_ids(world.app, federated.id)

    response = post(admin, f"/users/{federated.id}/identities/{identity_id}/remove")

    assert response.status_code == 302
    assert ONLY_WAY_IN in text_of(admin.get(response.location))
    assert _identity_ids(world.app, federated.id) == [identity_id]
    assert signed_in_as(world.app, fred) == (federated.id, "oidc")
    assert _changes(world.app) == []


def test_only_the_users_own_link_by_their_own_agencys_administrator(
    world: World, admin: FlaskClient, factories: Any
) -> None:
    [alices] = _identity_ids(world.app, world.user.id)
    colleague = factories.user(agency=_agency(world.app), full_name="Bob Officer")
    # Alice's link through Bob's page: not Bob's, so not found.
    assert post(admin, f"/users/{colleague.id}/identities/{alices}/remove").status_code == 404
    # Another agency's administrator: not found, as for any user of another agency.
    outsider = factories.user(agency=factories.agency(code="HOUSING1"), roles=(Role.AGENCY_ADMIN,))
    other = world.app.test_client()
    assert sign_in(world.app, other, outsider).status_code == 302
    path = f"/users/{world.user.id}/identities/{alices}/remove"
    assert post(other, path).status_code == 404
    # A user who is not an administrator: forbidden.
    member = world.app.test_client()
    assert sign_in(world.app, member, colleague).status_code == 302
    assert post(member, path).status_code == 403
    # No CSRF token: refused before anything runs.
    assert admin.post(path).status_code == 400
    assert _identity_ids(world.app, world.user.id) == [alices]
    assert _changes(world.app) == []
