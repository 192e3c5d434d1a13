"""Grant life-cycle changes through the gate: who may request, grant, approve, refuse, revoke,
suspend, resume and renew access, and the one ``GRANT_CHANGED`` event each change writes.

Split from :mod:`portal.access.gate` (the same door: refusals are the gate's
:class:`~portal.access.gate.AccessDenied`, recorded as ``AUTHZ_FAIL`` after the rollback).
Nothing here commits.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from portal.access import facts as access_facts
from portal.access import policy
from portal.access.gate import AccessDenied, _Attempt, _remember
from portal.access.permissions import Permission
from portal.audit import events
from portal.audit.recorder import record
from portal.core.actor import Actor

__all__ = ["GrantChange", "authorize_grant_change", "check_grant_change"]


class GrantChange(StrEnum):
    """A grant life-cycle change; its value is the ``GRANT_CHANGED`` event's reason."""

    REQUESTED = "requested"
    GRANTED = "granted"
    APPROVED = "approved"
    REFUSED = "refused"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    RESUMED = "resumed"
    RENEWED = "renewed"


def check_grant_change(
    actor: Actor,
    change: GrantChange,
    *,
    subject_id: uuid.UUID,
    owner_agency_id: uuid.UUID,
    grant_id: uuid.UUID | None = None,
    record_id: uuid.UUID | None = None,
    requested_by_id: uuid.UUID | None = None,
) -> None:
    """Refuse ``change`` unless ``actor`` may make it; writes nothing, never commits.

    A request is made by a partner holding ``grant:request`` for another agency's subject;
    approving or refusing one by the owner's grant managers, never by the requester; every
    other change by the owner's grant managers (``grant:manage``), who must also pass the
    subject's exclusion and restriction lists. Services call this before validating input,
    so that nobody learns anything from the answers to a change they may not make.

    :raises AccessDenied: when refused (``AUTHZ_FAIL`` follows the rollback).
    """
    permission = (
        Permission.GRANT_REQUEST if change is GrantChange.REQUESTED else Permission.GRANT_MANAGE
    )
    _remember(_Attempt(actor, permission, subject_id, record_id))
    reason = _grant_change_refusal(
        actor,
        change,
        subject_id=subject_id,
        owner_agency_id=owner_agency_id,
        requested_by_id=requested_by_id,
    )
    if reason is not None:
        raise AccessDenied(
            reason,
            actor=actor,
            permission=permission,
            subject_id=subject_id,
            record_id=record_id,
            grant_id=grant_id,
        )


def authorize_grant_change(
    actor: Actor,
    change: GrantChange,
    *,
    grant_id: uuid.UUID,
    subject_id: uuid.UUID,
    owner_agency_id: uuid.UUID,
    record_id: uuid.UUID | None = None,
    requested_by_id: uuid.UUID | None = None,
    legal_gateway: str | None = None,
    dp_condition: str | None = None,
    justification: str | None = None,
    detail: dict[str, str] | None = None,
) -> int:
    """Decide whether ``actor`` may make ``change`` to a grant (as :func:`check_grant_change`),
    and record it: writes exactly one ``GRANT_CHANGED`` event in the caller's transaction and
    returns its sequence number; never commits.

    :raises AccessDenied: when refused (``AUTHZ_FAIL`` follows the rollback).
    """
    check_grant_change(
        actor,
        change,
        subject_id=subject_id,
        owner_agency_id=owner_agency_id,
        grant_id=grant_id,
        record_id=record_id,
        requested_by_id=requested_by_id,
    )
    return record(
        events.grant_changed(
            actor,
            grant_id=grant_id,
            reason=change.value,
            subject_id=subject_id,
            record_id=record_id,
            legal_gateway=legal_gateway,
            dp_condition=dp_condition,
            justification=justification,
            detail=detail,
        )
    )


def _grant_change_refusal(
    actor: Actor,
    change: GrantChange,
    *,
    subject_id: uuid.UUID,
    owner_agency_id: uuid.UUID,
    requested_by_id: uuid.UUID | None,
) -> str | None:
    if not access_facts.account_active(actor.user_id):
        return policy.ACCOUNT_DISABLED
    if change is GrantChange.REQUESTED:
        allowed = policy.may_request_access(
            actor_roles=actor.roles,
            actor_agency_id=actor.agency_id,
            owner_agency_id=owner_agency_id,
        )
        return None if allowed else policy.ROLE
    if not policy.may_manage_grants(
        actor_roles=actor.roles, actor_agency_id=actor.agency_id, owner_agency_id=owner_agency_id
    ):
        held = policy.allows(actor.roles, Permission.GRANT_MANAGE)
        return policy.NOT_OWNER if held else policy.ROLE
    if change in (GrantChange.APPROVED, GrantChange.REFUSED) and not policy.may_decide_request(
        actor_roles=actor.roles,
        actor_user_id=actor.user_id,
        actor_agency_id=actor.agency_id,
        owner_agency_id=owner_agency_id,
        requested_by_id=requested_by_id,
    ):
        return "own_request"
    lao, _ = access_facts.lao_lists(subject_id)
    if actor.user_id in lao.excluded:
        return policy.EXCLUDED
    if lao.restricted_to is not None and actor.user_id not in lao.restricted_to:
        return policy.NOT_ON_RESTRICTION_LIST
    return None
