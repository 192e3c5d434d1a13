"""IG use cases over the access log: search, one event, who accessed a subject.

Every function starts with :func:`require`: anyone without the IG permission gets the uniform
404 (``AccessDenied``), recorded as ``AUTHZ_FAIL`` after the rollback, exactly as the gate
refuses a record. Every read of the log writes one ``LOG_READ`` event naming the filters and
how many rows were shown, in the caller's transaction, after the rows were read.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.access import facts as access_facts
from portal.access import policy
from portal.access.gate import AccessDenied
from portal.access.permissions import Permission
from portal.audit import events
from portal.audit.models import AuditEventRow
from portal.audit.recorder import record
from portal.audit.verify import vouched
from portal.core.actor import Actor
from portal.extensions import db
from portal.governance import directory
from portal.governance.search import Cursor, LogFilters, LogPage, LogRow, event_at, search


def require(actor: Actor, permission: Permission, *, subject_id: uuid.UUID | None = None) -> None:
    """Refuse (404, ``AUTHZ_FAIL``) unless ``actor`` is active and holds ``permission``.

    :raises AccessDenied: when refused.
    """
    if not policy.allows(actor.roles, permission):
        raise AccessDenied(policy.ROLE, actor=actor, permission=permission, subject_id=subject_id)
    if not access_facts.account_active(actor.user_id):
        raise AccessDenied(
            policy.ACCOUNT_DISABLED, actor=actor, permission=permission, subject_id=subject_id
        )


@dataclass(frozen=True)
class SearchResult:
    page: LogPage
    names: directory.Names
    filters: LogFilters
    after: Cursor | None
    event_seq: int


def search_log(actor: Actor, filters: LogFilters, *, after: Cursor | None = None) -> SearchResult:
    """One page of the access log for an IG officer; records ``LOG_READ`` (filters, rows)."""
    require(actor, Permission.LOG_READ, subject_id=filters.subject_id)
    session = db.session()
    page = search(session, filters, after=after)
    names = _names(page.rows)
    detail = {**filters.detail(), "rows": str(len(page.rows)), "page": "next" if after else "first"}
    seq = record(
        events.log_read(actor, reason="search", subject_id=filters.subject_id, detail=detail)
    )
    return SearchResult(page, names, filters, after, seq)


def _names(rows: tuple[LogRow, ...]) -> directory.Names:
    users = [r.actor_id for r in rows] + [r.target_user_id for r in rows]
    return directory.names_for(db.session(), users, [r.actor_agency_id for r in rows])


def search_choices(actor: Actor) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The user and agency lists of the search form (IG officers only; nothing recorded)."""
    require(actor, Permission.LOG_READ)
    session = db.session()
    return directory.all_users(session), directory.all_agencies(session)


@dataclass(frozen=True)
class VerifiedCheckpoint:
    """The newest checkpoint an intact verification reached, and when that run was stored."""

    seq: int
    verified_at: datetime


@dataclass(frozen=True)
class Verified:
    """What the verifications stored so far vouch for."""

    checkpoint: VerifiedCheckpoint | None
    #: When the newest run that found a problem was stored (it withdraws earlier runs' word).
    problem_at: datetime | None


def verified(session: Session) -> Verified:
    """The checkpoint the verifications vouch for (:func:`portal.audit.verify.vouched`: the
    verifier resumes from the same one), never the newest row of ``audit_checkpoint``."""
    found = vouched(session)
    checkpoint = None
    if found.checkpoint_seq is not None and found.verified_at is not None:
        checkpoint = VerifiedCheckpoint(found.checkpoint_seq, found.verified_at)
    return Verified(checkpoint=checkpoint, problem_at=found.problem_at)


@dataclass(frozen=True)
class EventView:
    row: LogRow
    names: directory.Names
    prev_hash: str
    row_hash: str
    #: The verified checkpoint (:func:`verified`) when it is at or after this event, if any.
    checkpoint: VerifiedCheckpoint | None


def show_event(actor: Actor, seq: int) -> EventView:
    """One event in full, with its chain position; records ``LOG_READ`` (reason ``event``).

    :raises AccessDenied: for non-IG users, and for a sequence number that does not exist.
    """
    require(actor, Permission.LOG_READ)
    session = db.session()
    row = event_at(session, seq)
    if row is None:
        raise AccessDenied("not_found", actor=actor, permission=Permission.LOG_READ)
    hashes = session.execute(
        select(AuditEventRow.prev_hash, AuditEventRow.row_hash).where(AuditEventRow.seq == seq)
    ).one()
    checkpoint = verified(session).checkpoint
    names = _names((row,))
    record(
        events.log_read(
            actor, reason="event", subject_id=row.subject_id, detail={"event_seq": str(seq)}
        )
    )
    return EventView(
        row=row,
        names=names,
        prev_hash=bytes(hashes[0]).hex(),
        row_hash=bytes(hashes[1]).hex(),
        checkpoint=checkpoint if checkpoint is not None and checkpoint.seq >= seq else None,
    )
