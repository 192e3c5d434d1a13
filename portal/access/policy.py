"""Who may do what: pure decisions, no Flask, no SQLAlchemy, no I/O.

Everything the policy needs is passed in; the gate and the decorators fetch the facts.
"""

from __future__ import annotations

import uuid

from portal.access.permissions import Permission
from portal.core.identity import Role

#: Every signed-in user may see the home page and manage their own account.
_EVERYONE = frozenset({Permission.HOME_VIEW, Permission.ACCOUNT_MANAGE})

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.MOSOVO_OFFICER: _EVERYONE,
    Role.MAPPA_COORDINATOR: _EVERYONE,
    Role.PROBATION_OFFICER: _EVERYONE,
    Role.SOCIAL_WORKER: _EVERYONE,
    Role.HOUSING_OFFICER: _EVERYONE,
    Role.IG_OFFICER: _EVERYONE,
    Role.AGENCY_ADMIN: _EVERYONE | {Permission.USERS_MANAGE},
    Role.CSODS_OFFICER: _EVERYONE,
}


def permissions_for(roles: frozenset[Role]) -> frozenset[Permission]:
    granted = _EVERYONE
    for role in roles:
        granted |= ROLE_PERMISSIONS.get(role, frozenset())
    return granted


def allows(roles: frozenset[Role], permission: Permission) -> bool:
    """True if any of ``roles`` holds ``permission``."""
    return permission in permissions_for(roles)


def may_manage_user(
    *, actor_roles: frozenset[Role], actor_agency_id: uuid.UUID, target_agency_id: uuid.UUID
) -> bool:
    """Agency administrators manage the users of their own agency, and nobody else's."""
    return Role.AGENCY_ADMIN in actor_roles and actor_agency_id == target_agency_id


def would_lock_out_self(
    *,
    actor_user_id: uuid.UUID,
    target_user_id: uuid.UUID,
    roles_after: frozenset[Role],
    active_after: bool,
) -> bool:
    """True if an administrator's change to their own account would end their administration.

    An administrator may not disable their own account or drop their own administrator role,
    so the last administrator of an agency can never remove themselves.
    """
    if actor_user_id != target_user_id:
        return False
    return not active_after or Role.AGENCY_ADMIN not in roles_after
