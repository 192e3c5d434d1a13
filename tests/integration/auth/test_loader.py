"""The signed-in user is read afresh, as plain values, on every request."""

from __future__ import annotations

import uuid

from portal.auth.loader import SignedInUser, signed_in_user
from portal.core.identity import Role, UserStatus
from portal.db.transaction import transaction
from portal.extensions import db
from portal.users.models import User
from tests.helpers import sign_in


def test_signed_in_user_carries_every_role_and_the_agency_name(app, factories):
    agency = factories.agency(name="Northshire Probation Delivery Unit")
    handle = factories.user(
        agency=agency, roles=(Role.PROBATION_OFFICER, Role.AGENCY_ADMIN, Role.IG_OFFICER)
    )
    with app.app_context(), transaction():
        user = signed_in_user(handle.id)
        assert isinstance(user, SignedInUser)
        assert user.id == handle.id
        assert user.agency_id == agency.id
        assert user.agency.name == "Northshire Probation Delivery Unit"
        assert user.roles == {Role.PROBATION_OFFICER, Role.AGENCY_ADMIN, Role.IG_OFFICER}
        assert user.is_active
        assert user.is_authenticated
        assert not user.is_anonymous
        assert user.get_id() == str(handle.id)
        # Plain values: nothing of the account is left in the session's identity map.
        assert not any(isinstance(obj, User) for obj in db.session.identity_map.values())


def test_a_user_without_roles_is_read_with_none(app, factories):
    handle = factories.user(roles=())
    with app.app_context(), transaction():
        user = signed_in_user(handle.id)
        assert user is not None
        assert user.roles == frozenset()


def test_no_such_account_reads_as_none(app):
    with app.app_context(), transaction():
        assert signed_in_user(uuid.uuid4()) is None


def test_a_disabled_account_reads_as_inactive(app, factories):
    handle = factories.user()
    with app.app_context(), transaction():
        account = db.session.get(User, handle.id)
        assert account is not None
        account.status = UserStatus.DISABLED
    with app.app_context(), transaction():
        user = signed_in_user(handle.id)
        assert user is not None
        assert not user.is_active


def test_a_role_removed_applies_to_the_next_request(app, client, factories):
    handle = factories.user(roles=(Role.PROBATION_OFFICER, Role.AGENCY_ADMIN))
    assert sign_in(app, client, handle).status_code == 302
    assert client.get("/users/").status_code == 200
    with app.app_context(), transaction():
        account = db.session.get(User, handle.id)
        assert account is not None
        account.set_roles(frozenset({Role.PROBATION_OFFICER}))
    assert client.get("/users/").status_code == 403
