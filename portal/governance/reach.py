"""Who accessed a subject (from the log) and who can access it now (from the rules).

"Who can access now" asks the gate's own pure policy (:func:`portal.access.policy.decide`) for
every active user, with the facts the gate would read (the user's agency's grants for the
subject, the LAO lists, the subject's whole-page marking, the database time), so it agrees
with the gate by construction; confidentiality acknowledgements are left out because they only
delay an opening, never refuse it. Live break-glass windows are listed as well.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from portal.access import facts as access_facts
from portal.access import policy
from portal.access.gate import AccessDenied
from portal.access.models import AccessGrant
from portal.access.permissions import Permission
from portal.audit import events
from portal.audit.events import PROCESSING_TYPES, EventType
from portal.audit.models import AuditEventRow
from portal.audit.recorder import record
from portal.core.actor import Actor
from portal.core.clock import db_now
from portal.core.identity import Clearance
from portal.core.markings import combine
from portal.extensions import db
from portal.governance import directory
from portal.governance.service import require
from portal.records.repository import list_records_for_subject
from portal.subjects.repository import find_subject
from portal.subjects.service import stored_marking
from portal.users.models import User


@dataclass(frozen=True)
class CodePair:
    """One legal gateway and DP condition as recorded together on the same events.

    Pairs are kept whole: a maximum per column would both hide the ``EMERGENCY`` gateway
    ('E' sorts before 'GW-') and join one event's gateway to another's condition."""

    legal_gateway: str | None
    dp_condition: str | None
    events: int

    @property
    def emergency(self) -> bool:
        return self.legal_gateway == policy.EMERGENCY_GATEWAY


@dataclass(frozen=True)
class Accessor:
    """One person who opened the subject, with how often, when last, and on what footing."""

    user_id: uuid.UUID | None
    agency_id: uuid.UUID | None
    name: str
    agency: str
    events: int
    last: datetime
    codes: tuple[CodePair, ...]

    @property
    def emergency(self) -> bool:
        return any(c.emergency for c in self.codes)


@dataclass(frozen=True)
class WhoAccessed:
    subject_id: uuid.UUID
    accessors: tuple[Accessor, ...]


_ACCESS_TYPES = sorted(t.value for t in (*PROCESSING_TYPES, EventType.BREAK_GLASS))


def who_accessed(actor: Actor, subject_id: uuid.UUID) -> WhoAccessed:
    """Everyone the log shows opening, changing or sharing the subject; records ``LOG_READ``."""
    require(actor, Permission.LOG_READ, subject_id=subject_id)
    e = AuditEventRow
    rows = db.session.execute(
        select(
            e.actor_id,
            e.actor_agency_id,
            e.legal_gateway,
            e.dp_condition,
            func.count(),
            func.max(e.recorded_at),
        )
        .where(e.subject_id == subject_id, e.event_type.in_(_ACCESS_TYPES))
        .group_by(e.actor_id, e.actor_agency_id, e.legal_gateway, e.dp_condition)
    ).all()
    people: dict[tuple[uuid.UUID | None, uuid.UUID | None], list[tuple[CodePair, datetime]]]
    people = {}
    for actor_id, agency_id, gateway, condition, count, last in rows:
        people.setdefault((actor_id, agency_id), []).append(
            (CodePair(gateway, condition, int(count)), last)
        )
    names = directory.names_for(db.session(), [k[0] for k in people], [k[1] for k in people])
    accessors = sorted(
        (
            Accessor(
                user_id=key[0],
                agency_id=key[1],
                name=names.user(key[0]),
                agency=names.agency(key[1]),
                events=sum(pair.events for pair, _ in pairs),
                last=max(last for _, last in pairs),
                codes=tuple(sorted((pair for pair, _ in pairs), key=_pair_order)),
            )
            for key, pairs in people.items()
        ),
        key=lambda a: a.last,
        reverse=True,
    )
    record(
        events.log_read(
            actor,
            reason="who_accessed",
            subject_id=subject_id,
            detail={"filter_subject_id": subject_id.hex, "rows": str(len(accessors))},
        )
    )
    return WhoAccessed(subject_id, tuple(accessors))


def _pair_order(pair: CodePair) -> tuple[bool, str, str]:
    """Emergency access first (it is what a reviewer looks for), then by code."""
    return (not pair.emergency, pair.legal_gateway or "", pair.dp_condition or "")


@dataclass(frozen=True)
class Reach:
    """One user who can open the subject now, and on what footing."""

    user_id: uuid.UUID
    name: str
    agency: str
    how: str
    grant_id: uuid.UUID | None
    profile: str
    legal_gateway: str
    dp_condition: str


@dataclass(frozen=True)
class LiveGrant:
    grant_id: uuid.UUID
    agency: str
    named_user: str | None
    scope: str
    profile: str
    legal_gateway: str
    dp_condition: str
    expires_at: datetime


@dataclass(frozen=True)
class WhoCanAccess:
    subject_id: uuid.UUID
    now: datetime
    required_clearance: Clearance
    reach: tuple[Reach, ...]
    grants: tuple[LiveGrant, ...]
    excluded: tuple[str, ...]
    restricted_to: tuple[str, ...] | None
    refused: int


def reach_now(subject_id: uuid.UUID) -> tuple[WhoCanAccess, set[uuid.UUID]] | None:
    """Who can open the whole subject now (no permission check, nothing recorded): the page
    and the agreement test share it. None when there is no such subject."""
    subject = find_subject(subject_id)
    if subject is None:
        return None
    records = list_records_for_subject(subject.id)
    marking = combine(
        [stored_marking(subject.marking), *(stored_marking(r.marking) for r in records)]
    )
    now = db_now()
    lao, _ = access_facts.lao_lists(subject.id)
    target = policy.TargetFacts(
        subject_id=subject.id, owning_agency_id=subject.owning_agency_id, tier=marking.tier
    )
    users = list(db.session.execute(select(User).order_by(User.full_name, User.id)).scalars())
    agency_ids = {u.agency_id for u in users}
    names = directory.names_for(db.session(), [u.id for u in users], agency_ids)
    grants_by_agency = {
        agency: access_facts.lock_grants(agency_id=agency, subject_id=subject.id)
        for agency in sorted(agency_ids)
    }
    reach: list[Reach] = []
    allowed: set[uuid.UUID] = set()
    refused = 0
    for user in users:
        outcome = policy.decide(
            actor=policy.ActorFacts(
                user_id=user.id,
                agency_id=user.agency_id,
                roles=frozenset(user.roles),
                clearance=Clearance(user.clearance),
                active=user.status == "active",
            ),
            permission=Permission.SUBJECT_READ,
            target=target,
            writes=False,
            grants=grants_by_agency[user.agency_id],
            lao=lao,
            acknowledged=frozenset(),
            needs_acknowledgement=False,
            now=now,
        )
        if policy.break_glass_may_start(roles=frozenset(user.roles), refusal=outcome):
            window = access_facts.break_glass_window(
                user_id=user.id, subject_id=subject.id, now=now
            )
            if window is not None:
                outcome = policy.with_break_glass(
                    outcome,
                    roles=frozenset(user.roles),
                    permission=Permission.SUBJECT_READ,
                    window_ends=window.ends_at,
                    now=now,
                    reason=window.reason,
                )
        if not isinstance(outcome, policy.Allow):
            refused += 1
            continue
        allowed.add(user.id)
        reach.append(
            Reach(
                user_id=user.id,
                name=user.full_name,
                agency=names.agency(user.agency_id),
                how=_how(outcome),
                grant_id=outcome.grant_id,
                profile=outcome.scope,
                legal_gateway=outcome.legal_gateway,
                dp_condition=outcome.dp_condition,
            )
        )
    live = [
        g
        for g in db.session.execute(
            select(AccessGrant)
            .where(AccessGrant.subject_id == subject.id)
            .order_by(AccessGrant.expires_at)
        ).scalars()
        if g.status == policy.ACTIVE and g.valid_from <= now < g.expires_at
    ]
    user_names = {u.id: u.full_name for u in users}
    grant_names = directory.names_for(db.session(), [], [g.grantee_agency_id for g in live])
    return (
        WhoCanAccess(
            subject_id=subject.id,
            now=now,
            required_clearance=marking.tier.required_clearance,
            reach=tuple(reach),
            grants=tuple(
                LiveGrant(
                    grant_id=g.id,
                    agency=grant_names.agency(g.grantee_agency_id),
                    named_user=user_names.get(g.grantee_user_id) if g.grantee_user_id else None,
                    scope=g.scope_kind,
                    profile=g.view_profile or "FULL",
                    legal_gateway=g.legal_gateway,
                    dp_condition=g.dp_condition,
                    expires_at=g.expires_at,
                )
                for g in live
            ),
            excluded=tuple(sorted(user_names.get(u, str(u)) for u in lao.excluded)),
            restricted_to=None
            if lao.restricted_to is None
            else tuple(sorted(user_names.get(u, str(u)) for u in lao.restricted_to)),
            refused=refused,
        ),
        allowed,
    )


def _how(outcome: policy.Allow) -> str:
    if outcome.legal_gateway == policy.EMERGENCY_GATEWAY:
        return "Break-glass (emergency window)"
    return "Owning agency" if outcome.grant_id is None else "Grant"


def who_can_access(actor: Actor, subject_id: uuid.UUID) -> WhoCanAccess:
    """The reverse view for an IG officer; records ``LOG_READ`` (reason ``who_can_access``).

    :raises AccessDenied: for non-IG users and for an unknown subject (the same 404).
    """
    require(actor, Permission.LOG_READ, subject_id=subject_id)
    found = reach_now(subject_id)
    if found is None:
        raise AccessDenied("not_found", actor=actor, permission=Permission.LOG_READ)
    view, _ = found
    record(
        events.log_read(
            actor,
            reason="who_can_access",
            subject_id=subject_id,
            detail={"filter_subject_id": subject_id.hex, "rows": str(len(view.reach))},
        )
    )
    return view


__all__ = [
    "Accessor",
    "CodePair",
    "WhoAccessed",
    "WhoCanAccess",
    "reach_now",
    "who_accessed",
    "who_can_access",
]
