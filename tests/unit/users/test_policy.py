"""Who may manage whom, and the rule that keeps an administrator from removing themselves."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from portal.access.policy import may_manage_user, would_lock_out_self
from portal.core.identity import Role

ids = st.uuids()
role_sets = st.frozensets(st.sampled_from(Role))


@given(roles=role_sets, actor_agency=ids, target_agency=ids)
def test_may_manage_user_of_another_agency_is_never_allowed(roles, actor_agency, target_agency):
    if actor_agency != target_agency:
        assert not may_manage_user(
            actor_roles=roles, actor_agency_id=actor_agency, target_agency_id=target_agency
        )


@given(roles=role_sets, agency=ids)
def test_may_manage_user_of_own_agency_needs_the_admin_role(roles, agency):
    allowed = may_manage_user(actor_roles=roles, actor_agency_id=agency, target_agency_id=agency)

    assert allowed == (Role.AGENCY_ADMIN in roles)


@given(actor=ids, target=ids, roles=role_sets, active=st.booleans())
def test_would_lock_out_self_never_applies_to_someone_else(actor, target, roles, active):
    if actor != target:
        assert not would_lock_out_self(
            actor_user_id=actor, target_user_id=target, roles_after=roles, active_after=active
        )


def test_would_lock_out_self_when_disabling_own_account_is_true():
    me = uuid.uuid4()

    assert would_lock_out_self(
        actor_user_id=me,
        target_user_id=me,
        roles_after=frozenset({Role.AGENCY_ADMIN}),
        active_after=False,
    )


def test_would_lock_out_self_when_dropping_own_admin_role_is_true():
    me = uuid.uuid4()

    assert would_lock_out_self(
        actor_user_id=me,
        target_user_id=me,
        roles_after=frozenset({Role.MOSOVO_OFFICER}),
        active_after=True,
    )


def test_would_lock_out_self_when_keeping_admin_role_and_active_is_false():
    me = uuid.uuid4()

    assert not would_lock_out_self(
        actor_user_id=me,
        target_user_id=me,
        roles_after=frozenset({Role.AGENCY_ADMIN, Role.IG_OFFICER}),
        active_after=True,
    )
