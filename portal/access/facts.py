"""What the gate reads before it asks the policy: grants, LAO lists, acknowledgement, time.

Every read happens in the caller's transaction. The actor's agency's grant rows for the subject
are read ``FOR SHARE`` (PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already serialises writers), so
a revocation committed by another transaction waits for an access in flight, and an access
that starts after it sees the grant revoked: a revocation applies to the very next request.
Rows are read as plain values, never as ORM objects, so no stale copy in the session's
identity map can answer for the database.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    Text,
    Uuid,
    column,
    literal_column,
    null,
    select,
    table,
    union_all,
)

from portal.access.models import (
    AccessGrant,
    BreakGlassWindow,
    ConfidentialityAcknowledgement,
    LaoList,
    LaoMember,
)
from portal.access.policy import EXCLUSION, RESTRICTION, GrantFacts, LaoFacts
from portal.core.clock import db_now
from portal.db.statements import run, time_param, uuid_param, uuids_param
from portal.extensions import db

# The account table by name only: the kernel imports no feature (portal.users).
_USER_ACCOUNT = table("user_account", column("id", Uuid()), column("status", String(16)))
_ACTIVE_STATUS = "active"


@dataclass(frozen=True)
class AccessFacts:
    now: datetime
    actor_active: bool
    grants: tuple[GrantFacts, ...]
    lao: LaoFacts
    lao_messages: dict[str, str]
    acknowledged: frozenset[uuid.UUID]


def load(
    *, user_id: uuid.UUID, agency_id: uuid.UUID, subject_id: uuid.UUID, with_grants: bool = True
) -> AccessFacts:
    """Read the facts for one decision in the caller's transaction; never writes.

    The database time is read first: on PostgreSQL ``now()`` is the transaction's start, the
    instant the decision is taken at.
    """
    now = db_now()
    grants = lock_grants(agency_id=agency_id, subject_id=subject_id) if with_grants else ()
    grant_ids = [grant.grant_id for grant in grants]
    # The rest in one round trip: the LAO lists and members, the account, the acknowledgements.
    list_rows: list[tuple[str, str]] = []
    member_rows: list[tuple[str, uuid.UUID]] = []
    status: str | None = None
    acknowledged: set[uuid.UUID] = set()
    params = {"subject_id": subject_id, "user_id": user_id, "grant_ids": grant_ids}
    for part, kind, message, ref in run(_SUBJECT_AND_ACTOR, params):
        if part == _PART_LIST:
            list_rows.append((kind, message))
        elif part == _PART_MEMBER:
            member_rows.append((kind, ref))
        elif part == _PART_ACCOUNT:
            status = kind
        elif part == _PART_ACKNOWLEDGED:
            acknowledged.add(ref)
    lao, messages = _lao_facts(list_rows, member_rows)
    return AccessFacts(
        now=now,
        actor_active=status == _ACTIVE_STATUS,
        grants=grants,
        lao=lao,
        lao_messages=messages,
        acknowledged=frozenset(acknowledged),
    )


def lock_grants(*, agency_id: uuid.UUID, subject_id: uuid.UUID) -> tuple[GrantFacts, ...]:
    """The agency's grants for the subject, in every state, read ``FOR SHARE``.

    The shared row locks are held until the caller's transaction ends, so a revocation (which
    updates the row ``FOR UPDATE``) waits for this access to commit, and an access that starts
    after the revocation committed reads the grant revoked. Never writes.
    """
    rows = run(_AGENCY_GRANTS, {"agency_id": agency_id, "subject_id": subject_id})
    return tuple(_grant_facts(row) for row in rows)


_GRANT_COLUMNS = (
    AccessGrant.id,
    AccessGrant.grantee_agency_id,
    AccessGrant.grantee_user_id,
    AccessGrant.subject_id,
    AccessGrant.scope_kind,
    AccessGrant.record_id,
    AccessGrant.view_profile,
    AccessGrant.status,
    AccessGrant.valid_from,
    AccessGrant.expires_at,
    AccessGrant.legal_gateway,
    AccessGrant.dp_condition,
    AccessGrant.justification,
)


def _grant_facts(row: Any) -> GrantFacts:
    return GrantFacts(
        grant_id=row[0],
        grantee_agency_id=row[1],
        grantee_user_id=row[2],
        subject_id=row[3],
        scope_kind=row[4],
        record_id=row[5],
        view_profile=row[6],
        status=row[7],
        valid_from=row[8],
        expires_at=row[9],
        legal_gateway=row[10],
        dp_condition=row[11],
        justification=row[12],
    )


# Grant rows as plain values, read ``FOR SHARE``, in id order (conditions added by each use).
_GRANTS_FOR_SHARE = select(*_GRANT_COLUMNS).order_by(AccessGrant.id).with_for_update(read=True)


def _grants_read_for_share(*conditions: ColumnElement[bool]) -> list[GrantFacts]:
    """Grant rows matching ``conditions`` as plain values, read ``FOR SHARE``, in id order."""
    return [_grant_facts(row) for row in db.session.execute(_GRANTS_FOR_SHARE.where(*conditions))]


# The reads of every single decision, built once (see portal.db.statements): the gate runs them
# on every access, so their SQL and cache keys are worked out once per process.
_AGENCY_GRANTS = _GRANTS_FOR_SHARE.where(
    AccessGrant.grantee_agency_id == uuid_param("agency_id"),
    AccessGrant.subject_id == uuid_param("subject_id"),
)
_LAO_LISTS = select(LaoList.kind, LaoList.message).where(
    LaoList.subject_id == uuid_param("subject_id")
)
_LAO_MEMBERS = select(LaoMember.kind, LaoMember.user_id).where(
    LaoMember.subject_id == uuid_param("subject_id")
)
_ACCOUNT_STATUS = select(_USER_ACCOUNT.c.status).where(_USER_ACCOUNT.c.id == uuid_param("user_id"))
_ACKNOWLEDGED = select(ConfidentialityAcknowledgement.grant_id).where(
    ConfidentialityAcknowledgement.user_id == uuid_param("user_id"),
    ConfidentialityAcknowledgement.grant_id.in_(uuids_param("grant_ids")),
)
# One decision's reads after the grants, as (part, kind, message, ref) rows in one round trip:
# the subject's LAO lists (kind, message), their members (kind, user id), the actor's account
# (status in ``kind``) and which of the grants read (``grant_ids``) the actor has acknowledged
# confidentiality under (grant id in ``ref``).
_PART_LIST, _PART_MEMBER, _PART_ACCOUNT, _PART_ACKNOWLEDGED = "list", "member", "account", "ack"
_NO_TEXT = null().cast(Text())
_NO_REF = null().cast(Uuid())
_SUBJECT_AND_ACTOR = union_all(
    # The four reads above, each with its own conditions, padded to the same four columns.
    _LAO_LISTS.with_only_columns(
        literal_column(f"'{_PART_LIST}'", Text()).label("part"),
        LaoList.kind.label("kind"),
        LaoList.message.label("message"),
        _NO_REF.label("ref"),
    ),
    _LAO_MEMBERS.with_only_columns(
        literal_column(f"'{_PART_MEMBER}'", Text()), LaoMember.kind, _NO_TEXT, LaoMember.user_id
    ),
    _ACCOUNT_STATUS.with_only_columns(
        literal_column(f"'{_PART_ACCOUNT}'", Text()), _USER_ACCOUNT.c.status, _NO_TEXT, _NO_REF
    ),
    _ACKNOWLEDGED.with_only_columns(
        literal_column(f"'{_PART_ACKNOWLEDGED}'", Text()),
        _NO_TEXT,
        _NO_TEXT,
        ConfidentialityAcknowledgement.grant_id,
    ),
)
_WINDOW = (
    select(BreakGlassWindow.ends_at, BreakGlassWindow.reason)
    .where(
        BreakGlassWindow.user_id == uuid_param("user_id"),
        BreakGlassWindow.subject_id == uuid_param("subject_id"),
        BreakGlassWindow.started_at <= time_param("now"),
        BreakGlassWindow.ends_at > time_param("now"),
    )
    .order_by(BreakGlassWindow.ends_at.desc())
    .limit(1)
)


def lao_lists(subject_id: uuid.UUID) -> tuple[LaoFacts, dict[str, str]]:
    """The subject's exclusion and restriction lists and their messages; never writes."""
    lists = run(_LAO_LISTS, {"subject_id": subject_id}).all()
    members = run(_LAO_MEMBERS, {"subject_id": subject_id}).all()
    return _lao_facts(lists, members)


def _lao_facts(
    list_rows: Iterable[tuple[str, str]], member_rows: Iterable[tuple[str, uuid.UUID]]
) -> tuple[LaoFacts, dict[str, str]]:
    """LAO facts from the list rows (kind, message) and member rows (kind, user id).

    A restriction list exists when it has a row or any member (an empty one admits nobody).
    """
    lists = {kind: message for kind, message in list_rows}
    members: dict[str, set[uuid.UUID]] = {EXCLUSION: set(), RESTRICTION: set()}
    for kind, user_id in member_rows:
        members.setdefault(kind, set()).add(user_id)
    # A restriction list exists if it has a row or any member (fails closed either way).
    has_restriction = RESTRICTION in lists or bool(members[RESTRICTION])
    restricted = frozenset(members[RESTRICTION]) if has_restriction else None
    return LaoFacts(excluded=frozenset(members[EXCLUSION]), restricted_to=restricted), lists


def account_active(user_id: uuid.UUID) -> bool:
    """Whether the account is active now (a disabled account opens nothing); never writes."""
    status = run(_ACCOUNT_STATUS, {"user_id": user_id}).scalar_one_or_none()
    return status == _ACTIVE_STATUS


def acknowledged_grants(user_id: uuid.UUID, grant_ids: list[uuid.UUID]) -> frozenset[uuid.UUID]:
    """Which of ``grant_ids`` the user has acknowledged confidentiality under; never writes."""
    if not grant_ids:
        return frozenset()
    return frozenset(run(_ACKNOWLEDGED, {"user_id": user_id, "grant_ids": grant_ids}).scalars())


@dataclass(frozen=True)
class ManyFacts:
    now: datetime
    actor_active: bool
    grants: dict[uuid.UUID, tuple[GrantFacts, ...]]
    lao: dict[uuid.UUID, LaoFacts]
    acknowledged: frozenset[uuid.UUID]


def load_many(
    *, user_id: uuid.UUID, agency_id: uuid.UUID, subject_ids: list[uuid.UUID]
) -> ManyFacts:
    """The facts for a list page's decisions, for many subjects at once; never writes.

    The same reads as :func:`load` (database time first, the agency's grant rows ``FOR SHARE``,
    the LAO lists, the account, the acknowledgements) in a fixed number of queries whatever
    the number of subjects.
    """
    now = db_now()
    grants: dict[uuid.UUID, list[GrantFacts]] = {}
    lao: dict[uuid.UUID, LaoFacts] = {}
    if subject_ids:
        g = AccessGrant
        for grant in _grants_read_for_share(
            g.grantee_agency_id == agency_id, g.subject_id.in_(subject_ids)
        ):
            grants.setdefault(grant.subject_id, []).append(grant)
        kinds: dict[uuid.UUID, set[str]] = {}
        for subject_id, kind in db.session.execute(
            select(LaoList.subject_id, LaoList.kind).where(LaoList.subject_id.in_(subject_ids))
        ):
            kinds.setdefault(subject_id, set()).add(kind)
        members: dict[uuid.UUID, dict[str, set[uuid.UUID]]] = {}
        for subject_id, kind, member in db.session.execute(
            select(LaoMember.subject_id, LaoMember.kind, LaoMember.user_id).where(
                LaoMember.subject_id.in_(subject_ids)
            )
        ):
            members.setdefault(subject_id, {}).setdefault(kind, set()).add(member)
        for subject_id in set(kinds) | set(members):
            found = members.get(subject_id, {})
            restricted = RESTRICTION in kinds.get(subject_id, set()) or bool(found.get(RESTRICTION))
            lao[subject_id] = LaoFacts(
                excluded=frozenset(found.get(EXCLUSION, set())),
                restricted_to=frozenset(found.get(RESTRICTION, set())) if restricted else None,
            )
    grant_ids = [grant.grant_id for listed in grants.values() for grant in listed]
    return ManyFacts(
        now=now,
        actor_active=account_active(user_id),
        grants={subject_id: tuple(listed) for subject_id, listed in grants.items()},
        lao=lao,
        acknowledged=acknowledged_grants(user_id, grant_ids),
    )


@dataclass(frozen=True)
class EmergencyWindow:
    ends_at: datetime
    reason: str


def break_glass_window(
    *, user_id: uuid.UUID, subject_id: uuid.UUID, now: datetime
) -> EmergencyWindow | None:
    """The user's break-glass window on the subject open at ``now`` (the latest), or None."""
    row = run(_WINDOW, {"user_id": user_id, "subject_id": subject_id, "now": now}).one_or_none()
    return None if row is None else EmergencyWindow(row[0], row[1])
