"""Who may do what: pure decisions, no Flask, no SQLAlchemy, no I/O.

Everything the policy needs is passed in; the gate and the decorators fetch the facts. The
central function is :func:`decide`: given frozen facts about the actor, the thing being opened,
the actor's agency's grants for the subject, the subject's LAO lists and the database time, it
returns an :class:`Allow`, a :class:`NeedsAcknowledgement` or a :class:`Refusal`.

Grant states, scope kinds and view profiles are passed as their stored text values (the
``StrEnum`` classes live with the tables in :mod:`portal.access.models`, which this module may
not import).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from portal.access.permissions import Permission
from portal.core.identity import Clearance, Role
from portal.core.markings import Tier

#: Every signed-in user may see the home page and manage their own account.
_EVERYONE = frozenset({Permission.HOME_VIEW, Permission.ACCOUNT_MANAGE})

#: Police public-protection staff own subjects and records and decide who else sees them.
_OWNER_STAFF = _EVERYONE | {
    Permission.BREAK_GLASS,
    Permission.SUBJECT_READ,
    Permission.SUBJECT_READ_OWN,
    Permission.SUBJECT_WRITE,
    Permission.SUBJECT_PRINT,
    Permission.RECORD_WRITE,
    Permission.GRANT_MANAGE,
    Permission.LAO_MANAGE,
}
#: Partners read what is shared with them and ask for access; they never write another
#: agency's subjects.
_PARTNER = _EVERYONE | {
    Permission.BREAK_GLASS,
    Permission.SUBJECT_READ,
    Permission.SUBJECT_PRINT,
    Permission.GRANT_REQUEST,
}

#: Agencies that own MAPPA actions see theirs and record progress on them.
_ACTION_OWNER = frozenset({Permission.ACTIONS_VIEW, Permission.ACTION_UPDATE})

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.MOSOVO_OFFICER: _OWNER_STAFF | _ACTION_OWNER,
    Role.MAPPA_COORDINATOR: _OWNER_STAFF | _ACTION_OWNER | {Permission.MEETING_WRITE},
    Role.PROBATION_OFFICER: _PARTNER | _ACTION_OWNER,
    Role.SOCIAL_WORKER: _PARTNER | _ACTION_OWNER,
    Role.HOUSING_OFFICER: _PARTNER | _ACTION_OWNER,
    # IG officers read the access log; case content only through a grant to them or their
    # agency, like any partner (never as the owner's staff).
    Role.IG_OFFICER: _EVERYONE
    | {
        Permission.SUBJECT_READ,
        Permission.LOG_READ,
        Permission.LOG_EXPORT,
        Permission.ALERT_REVIEW,
    },
    # Administrators manage their agency's users only: no case content.
    Role.AGENCY_ADMIN: _EVERYONE | {Permission.USERS_MANAGE},
    Role.CSODS_OFFICER: _EVERYONE
    | {
        Permission.SUBJECT_READ,
        Permission.SUBJECT_READ_OWN,
        Permission.SUBJECT_PRINT,
        Permission.CSODS_READ,
        Permission.CSODS_WRITE,
        Permission.CSODS_APPROVE,
    },
}

#: The basis recorded when the owning agency's own staff open their records.
OWNER_GATEWAY: Final = "GW-CL-POLICING"
OWNER_DP_CONDITION: Final = "DP3-S35-LE"

# Stored text values (see portal.access.models).
ACTIVE: Final = "ACTIVE"
SUBJECT_SCOPE: Final = "SUBJECT"
RECORD_SCOPE: Final = "RECORD"
FULL: Final = "FULL"
#: View profiles, narrowest first.
PROFILE_RANK: Final = {"SUMMARY": 1, "SUMMARY_AND_ACTIONS": 2, "FULL": 3}

#: Refusal reasons (the ``reason`` of the ``AUTHZ_FAIL`` event).
ACCOUNT_DISABLED: Final = "account_disabled"
ROLE: Final = "role"
EXCLUDED: Final = "excluded"
NOT_ON_RESTRICTION_LIST: Final = "not_on_restriction_list"
CLEARANCE: Final = "clearance"
NOT_OWNER: Final = "not_owner"
NO_GRANT: Final = "no_grant"
GRANT_REVOKED: Final = "grant_revoked"
GRANT_SUSPENDED: Final = "grant_suspended"
GRANT_EXPIRED: Final = "grant_expired"
GRANT_NOT_YET_VALID: Final = "grant_not_yet_valid"
GRANT_PENDING: Final = "grant_pending"
GRANT_REFUSED: Final = "grant_refused"

#: When no grant is live, the refusal names the most telling of the covering grants' states.
_STALE_REASONS: Final = (
    GRANT_REVOKED,
    GRANT_SUSPENDED,
    GRANT_EXPIRED,
    GRANT_NOT_YET_VALID,
    GRANT_PENDING,
    GRANT_REFUSED,
)

#: LAO list kinds, as stored.
EXCLUSION: Final = "EXCLUSION"
RESTRICTION: Final = "RESTRICTION"


def permissions_for(roles: frozenset[Role]) -> frozenset[Permission]:
    """Every permission any of ``roles`` holds (everyone holds the home page and their account)."""
    granted = _EVERYONE
    for role in roles:
        granted |= ROLE_PERMISSIONS.get(role, frozenset())
    return granted


def allows(roles: frozenset[Role], permission: Permission) -> bool:
    """True if any of ``roles`` holds ``permission``."""
    return permission in permissions_for(roles)


# --- Facts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActorFacts:
    user_id: uuid.UUID
    agency_id: uuid.UUID
    roles: frozenset[Role]
    clearance: Clearance
    active: bool = True


@dataclass(frozen=True)
class TargetFacts:
    subject_id: uuid.UUID
    owning_agency_id: uuid.UUID
    tier: Tier
    record_id: uuid.UUID | None = None
    record_owner_agency_id: uuid.UUID | None = None


@dataclass(frozen=True)
class GrantFacts:
    """One grant row as the database holds it at the moment of access."""

    grant_id: uuid.UUID
    grantee_agency_id: uuid.UUID
    grantee_user_id: uuid.UUID | None
    subject_id: uuid.UUID
    scope_kind: str
    record_id: uuid.UUID | None
    view_profile: str | None
    status: str
    valid_from: datetime
    expires_at: datetime
    legal_gateway: str
    dp_condition: str
    justification: str


@dataclass(frozen=True)
class LaoFacts:
    """A subject's limited-access lists. ``restricted_to`` is None when there is no
    restriction list (an empty list admits nobody)."""

    excluded: frozenset[uuid.UUID] = frozenset()
    restricted_to: frozenset[uuid.UUID] | None = None


@dataclass(frozen=True)
class Allow:
    scope: str
    grant_id: uuid.UUID | None
    legal_gateway: str
    dp_condition: str
    justification: str | None


@dataclass(frozen=True)
class NeedsAcknowledgement:
    grant_id: uuid.UUID


@dataclass(frozen=True)
class Refusal:
    reason: str
    grant_id: uuid.UUID | None = None
    #: ``EXCLUSION`` or ``RESTRICTION`` when an LAO list refused (its message may be shown).
    lao_list: str | None = None


Outcome = Allow | NeedsAcknowledgement | Refusal


def decide(
    *,
    actor: ActorFacts,
    permission: Permission,
    target: TargetFacts,
    writes: bool,
    grants: Iterable[GrantFacts],
    lao: LaoFacts,
    acknowledged: frozenset[uuid.UUID],
    needs_acknowledgement: bool,
    now: datetime,
) -> Outcome:
    """Whether ``actor`` may use ``permission`` on ``target`` at ``now``.

    In order: an active account; a role holding the permission; not on the exclusion list
    and, when a restriction list exists, on it (both apply to the owner's staff too; an
    exclusion's message is shown to the people it names, a restriction's only to those the
    list alone keeps out: to anyone else the subject stays as unknown as one that does not
    exist);
    clearance at or above the tier. Writing (``writes``) is for the owning agency's staff
    only. Reading: the owning agency's case staff (``subject:read_own``; subject owner, or the
    record's owner for a record) see everything under the owner's policing purpose; anyone
    else, the owner's IG officers included, needs a live grant to their agency (or to them by
    name) covering the target, ``ACTIVE`` with ``valid_from <= now < expires_at``; among
    several, the widest profile wins. When ``needs_acknowledgement`` and the chosen grant has
    not been acknowledged by the actor, the answer is :class:`NeedsAcknowledgement`.
    """
    if not actor.active:
        return Refusal(ACCOUNT_DISABLED)
    if not allows(actor.roles, permission):
        return Refusal(ROLE)
    if actor.user_id in lao.excluded:
        # The owner named this person on the list and wrote the message for them.
        return Refusal(EXCLUDED, lao_list=EXCLUSION)
    if lao.restricted_to is not None and actor.user_id not in lao.restricted_to:
        # A restriction list refuses everyone it does not name: its message is for those it
        # alone keeps out (the owner's staff, partners with a live grant). To anyone else the
        # subject must look like one that does not exist.
        otherwise = decide(
            actor=actor,
            permission=permission,
            target=target,
            writes=writes,
            grants=grants,
            lao=NO_LISTS,
            acknowledged=acknowledged,
            needs_acknowledgement=needs_acknowledgement,
            now=now,
        )
        alone = not isinstance(otherwise, Refusal)
        return Refusal(NOT_ON_RESTRICTION_LIST, lao_list=RESTRICTION if alone else None)
    if actor.clearance.rank < target.tier.required_clearance.rank:
        return Refusal(CLEARANCE)
    if writes:
        if is_owner_writer(actor.agency_id, target):
            return Allow(FULL, None, OWNER_GATEWAY, OWNER_DP_CONDITION, None)
        return Refusal(NOT_OWNER)
    if actor.agency_id in (target.owning_agency_id, target.record_owner_agency_id) and allows(
        actor.roles, Permission.SUBJECT_READ_OWN
    ):
        return Allow(FULL, None, OWNER_GATEWAY, OWNER_DP_CONDITION, None)
    covering = [g for g in grants if _covers(g, actor, target)]
    live = [g for g in covering if is_live(g, now)]
    if not live:
        return _stale_refusal(covering, now)
    best = max(live, key=lambda g: (PROFILE_RANK[grant_scope(g)], g.expires_at, str(g.grant_id)))
    if needs_acknowledgement and best.grant_id not in acknowledged:
        return NeedsAcknowledgement(best.grant_id)
    return Allow(
        grant_scope(best), best.grant_id, best.legal_gateway, best.dp_condition, best.justification
    )


#: A subject without limited-access lists.
NO_LISTS: Final = LaoFacts()


def is_owner_writer(agency_id: uuid.UUID, target: TargetFacts) -> bool:
    """Only the subject's owning agency writes, and a record only when it also owns it."""
    return agency_id == target.owning_agency_id and target.record_owner_agency_id in (
        None,
        agency_id,
    )


def is_live(grant: GrantFacts, now: datetime) -> bool:
    """``ACTIVE`` and inside its window at ``now`` (expiry is never stored)."""
    return grant.status == ACTIVE and grant.valid_from <= now < grant.expires_at


def grant_scope(grant: GrantFacts) -> str:
    """The view profile a grant gives: its own, or ``FULL`` of the one record it names."""
    if grant.view_profile is not None and grant.view_profile in PROFILE_RANK:
        return grant.view_profile
    return FULL


def _covers(grant: GrantFacts, actor: ActorFacts, target: TargetFacts) -> bool:
    if grant.grantee_agency_id != actor.agency_id or grant.subject_id != target.subject_id:
        return False
    if grant.grantee_user_id is not None and grant.grantee_user_id != actor.user_id:
        return False
    if grant.scope_kind == SUBJECT_SCOPE:
        return grant.view_profile in PROFILE_RANK
    if grant.scope_kind == RECORD_SCOPE:
        return grant.record_id is not None and grant.record_id == target.record_id
    return False


def _stale_reason(grant: GrantFacts, now: datetime) -> str:
    if grant.status == ACTIVE:
        return GRANT_EXPIRED if grant.expires_at <= now else GRANT_NOT_YET_VALID
    return {
        "REVOKED": GRANT_REVOKED,
        "SUSPENDED": GRANT_SUSPENDED,
        "REQUESTED": GRANT_PENDING,
        "REFUSED": GRANT_REFUSED,
    }.get(grant.status, NO_GRANT)


def _stale_refusal(covering: list[GrantFacts], now: datetime) -> Refusal:
    by_reason: dict[str, list[GrantFacts]] = {}
    for grant in covering:
        by_reason.setdefault(_stale_reason(grant, now), []).append(grant)
    for reason in _STALE_REASONS:
        if reason in by_reason:
            latest = max(by_reason[reason], key=lambda g: (g.expires_at, str(g.grant_id)))
            return Refusal(reason, grant_id=latest.grant_id)
    return Refusal(NO_GRANT)


# --- Grant management -----------------------------------------------------------------------


def may_manage_grants(
    *, actor_roles: frozenset[Role], actor_agency_id: uuid.UUID, owner_agency_id: uuid.UUID
) -> bool:
    """The owning agency's MOSOVO officers and MAPPA co-ordinators grant and end access."""
    return allows(actor_roles, Permission.GRANT_MANAGE) and actor_agency_id == owner_agency_id


def may_decide_request(
    *,
    actor_roles: frozenset[Role],
    actor_user_id: uuid.UUID,
    actor_agency_id: uuid.UUID,
    owner_agency_id: uuid.UUID,
    requested_by_id: uuid.UUID | None,
) -> bool:
    """Approving or refusing a request: the owner's grant managers, never the requester."""
    return (
        may_manage_grants(
            actor_roles=actor_roles,
            actor_agency_id=actor_agency_id,
            owner_agency_id=owner_agency_id,
        )
        and actor_user_id != requested_by_id
    )


def may_request_access(
    *, actor_roles: frozenset[Role], actor_agency_id: uuid.UUID, owner_agency_id: uuid.UUID
) -> bool:
    """A partner asks another agency for access; nobody asks their own agency."""
    return allows(actor_roles, Permission.GRANT_REQUEST) and actor_agency_id != owner_agency_id


def may_manage_lao(
    *, actor_roles: frozenset[Role], actor_agency_id: uuid.UUID, owner_agency_id: uuid.UUID
) -> bool:
    """The owning agency's staff holding ``lao:manage`` keep the subject's LAO lists."""
    return allows(actor_roles, Permission.LAO_MANAGE) and actor_agency_id == owner_agency_id


def may_manage_user(
    *, actor_roles: frozenset[Role], actor_agency_id: uuid.UUID, target_agency_id: uuid.UUID
) -> bool:
    """Agency administrators manage the users of their own agency, and nobody else's."""
    return Role.AGENCY_ADMIN in actor_roles and actor_agency_id == target_agency_id


def may_change_roles(*, actor_user_id: uuid.UUID, target_user_id: uuid.UUID) -> bool:
    """Administrators change other users' roles and clearance, never their own: another
    administrator must, so no one raises their own access."""
    return actor_user_id != target_user_id


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


# --- Child Sex Offender Disclosure Scheme ---------------------------------------------------

#: A CSODS refusal for a user outside the police.
NOT_POLICE: Final = "not_police"
#: Approving one's own CSODS decision.
OWN_DECISION: Final = "own_decision"

CSODS_PERMISSIONS: Final = frozenset(
    {Permission.CSODS_READ, Permission.CSODS_WRITE, Permission.CSODS_APPROVE}
)


def csods_refusal(
    *,
    actor_roles: frozenset[Role],
    actor_agency_is_police: bool,
    actor_agency_id: uuid.UUID,
    owning_agency_id: uuid.UUID,
    permission: Permission,
) -> str | None:
    """Why a CSODS application may not be opened or changed, or None when it may.

    Applicants' and children's details are for the police force that holds the application,
    and within it for users holding the CSODS role only: never for another agency, never
    through a grant (the gate treats the CSODS permissions as owner-only as well).
    """
    if not actor_agency_is_police:
        return NOT_POLICE
    if not allows(actor_roles, permission):
        return ROLE
    if actor_agency_id != owning_agency_id:
        return NOT_OWNER
    return None


def may_approve_csods_decision(
    *, actor_roles: frozenset[Role], actor_user_id: uuid.UUID, decided_by_id: uuid.UUID
) -> bool:
    """A supervisor approves a CSODS decision: never the person who recorded it."""
    return allows(actor_roles, Permission.CSODS_APPROVE) and actor_user_id != decided_by_id


# --- MAPPA meetings and actions ---------------------------------------------------------------

#: View profiles under which a partner sees a subject's MAPPA actions and minutes.
ACTION_PROFILES: Final = frozenset({"SUMMARY_AND_ACTIONS", "FULL"})


def shows_actions(scope: str) -> bool:
    """Whether a decision's scope shows MAPPA actions and minutes (not a summary-only grant)."""
    return scope in ACTION_PROFILES


def may_update_action(*, actor_agency_id: uuid.UUID, action_owner_agency_id: uuid.UUID) -> bool:
    """Progress on an action is recorded by the agency that owns it, and by nobody else."""
    return actor_agency_id == action_owner_agency_id


def may_chair(
    *, actor_roles: frozenset[Role], actor_agency_id: uuid.UUID, owner_agency_id: uuid.UUID
) -> bool:
    """The meeting owner's co-ordinators record meetings and the chair's decisions."""
    return allows(actor_roles, Permission.MEETING_WRITE) and actor_agency_id == owner_agency_id


# --- Break-glass ----------------------------------------------------------------------------

#: The code every event in a break-glass window carries, and the condition it relies on.
EMERGENCY_GATEWAY: Final = "EMERGENCY"
EMERGENCY_DP_CONDITION: Final = "DP3-SCH8-3"
#: Refusals an emergency window may overcome: only the lack of a live grant. Exclusion and
#: restriction lists, clearance, role and a disabled account still refuse.
_GLASS_BREAKS: Final = frozenset({NO_GRANT, *_STALE_REASONS})


def break_glass_may_start(*, roles: frozenset[Role], refusal: Outcome) -> bool:
    """Whether a user may open an emergency window: they hold ``break_glass:use`` and the
    ordinary decision refused them for want of a live grant only."""
    return (
        allows(roles, Permission.BREAK_GLASS)
        and isinstance(refusal, Refusal)
        and refusal.reason in _GLASS_BREAKS
    )


def with_break_glass(
    outcome: Outcome,
    *,
    roles: frozenset[Role],
    permission: Permission,
    window_ends: datetime | None,
    now: datetime,
    reason: str | None,
) -> Outcome:
    """``outcome``, or an emergency allowance when it refused for want of a grant and the actor
    has a break-glass window for the subject open at ``now`` (``now < window_ends``).

    Only viewing (``subject:read``) is allowed; the allowance carries ``EMERGENCY``.
    """
    if window_ends is None or not now < window_ends or permission is not Permission.SUBJECT_READ:
        return outcome
    if not break_glass_may_start(roles=roles, refusal=outcome):
        return outcome
    return Allow(FULL, None, EMERGENCY_GATEWAY, EMERGENCY_DP_CONDITION, reason)
