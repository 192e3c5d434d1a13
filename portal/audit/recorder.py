"""Writing to the access log: one event, in the caller's transaction, never committed here.

Events are queued in the unit of work and written by its last step, just before COMMIT
(:func:`record_at_commit`; :func:`record` writes at once, for callers that need the sequence
number). Writing locks the chain head (``SELECT ... FOR UPDATE`` through the ``audit_lock_head()``
function on PostgreSQL; on SQLite, ``transaction()`` already began with ``BEGIN IMMEDIATE``, which
holds the database's write lock), numbers the event ``head.seq + 1``, hashes it onto the chain
and inserts it. A trigger checks the link and advances the head in the same statement, so the
application never updates ``audit_head`` itself. The lock is held until the caller's transaction
ends, which makes chain order equal to commit order; a rollback leaves no gap because nothing was
consumed.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, insert, select, text
from sqlalchemy.orm import Session

from portal.audit.chain import Anchor, link_hash
from portal.audit.events import AuditEvent, canonical_json, event_body, search_columns
from portal.audit.models import AuditEventRow, AuditHead
from portal.core.clock import db_now
from portal.db.transaction import before_commit, in_transaction, unit_state
from portal.extensions import db

_INSERT_EVENT = insert(cast(Table, AuditEventRow.__table__))
#: Where a unit of work keeps the events queued for its commit (``unit_state()``).
_PENDING = "portal.audit.pending"


class OutsideTransaction(RuntimeError):
    """``record()`` was called outside ``with transaction():``."""


class LogNotInitialised(RuntimeError):
    """The ``audit_head`` row is missing: the access-log migration has not run."""


def record(event: AuditEvent, *, at: datetime | None = None) -> int:
    """Add exactly one event to the access log in the caller's transaction now; never commits.

    The event is written if and only if the caller's transaction commits. Returns the event's
    sequence number. Events queued earlier in the transaction by :func:`record_at_commit` are
    written first, so the chain keeps the order the events were made in. ``at`` is the database
    time already read in this transaction, so the clock is not asked twice; by default the clock
    is read here.

    :raises OutsideTransaction: if not inside ``with transaction():``.
    """
    return record_at_commit(event, at=at).seq


def record_at_commit(event: AuditEvent, *, at: datetime | None = None) -> PendingEvent:
    """Add exactly one event to the access log in the caller's transaction, written at COMMIT.

    The event is inserted by the last step of ``transaction()``, just before it commits (or as
    soon as anyone asks for its :attr:`PendingEvent.seq`), so the chain-head lock, which every
    access in the portal queues for, is held only for the insert and the commit rather than
    while the page renders. It is still the caller's transaction: the event commits with the
    rest or not at all. The event's time is read now (or is ``at``), not at the commit.

    :raises OutsideTransaction: if not inside ``with transaction():``.
    """
    if not in_transaction():
        raise OutsideTransaction("audit events are recorded inside transaction() only")
    pending = PendingEvent(event, at if at is not None else db_now())
    queue: list[PendingEvent] = unit_state().setdefault(_PENDING, [])
    queue.append(pending)
    return pending


class PendingEvent:
    """An event queued in this transaction; its sequence number exists once it is written."""

    __slots__ = ("_seq", "at", "event")

    def __init__(self, event: AuditEvent, at: datetime) -> None:
        self.event = event
        self.at = at
        self._seq: int | None = None

    @property
    def seq(self) -> int:
        """The event's place in the chain; writes the queued events now if need be."""
        if self._seq is None:
            write_pending(db.session())
        if self._seq is None:  # pragma: no cover - write_pending numbers every queued event
            raise RuntimeError("the event was not written")
        return self._seq


def write_pending(session: Session) -> None:
    """Lock the chain head and insert the events queued in this transaction, in order."""
    queue: list[PendingEvent] = unit_state(session).pop(_PENDING, [])
    if not queue:
        return
    # The unit's own changes go first, so the head lock is held for the events and COMMIT only.
    session.flush()
    head = lock_head(session)
    for pending in queue:
        body = event_body(pending.event, pending.at)
        body_text = canonical_json(body)
        seq = head.seq + 1
        row_hash = link_hash(head.hash, seq, body_text)
        row = {
            "seq": seq,
            "body": body_text,
            "prev_hash": head.hash,
            "row_hash": row_hash,
            **search_columns(body),
        }
        # A Core insert of the table: half the cost of an ORM-enabled INSERT, no identity map.
        session.connection().execute(_INSERT_EVENT, row)
        pending._seq = seq
        head = Anchor(seq, row_hash)


before_commit(write_pending)


# Built once: every audited access runs one of them.
_LOCK_HEAD_PG = text("SELECT seq, hash FROM audit_lock_head()")
_HEAD_SQLITE = select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)


def lock_head(session: Session) -> Anchor:
    """Read the chain head and hold its lock until the transaction ends.

    On PostgreSQL the row is locked ``FOR UPDATE`` by a function that runs as the owner of the
    access-log tables (the application role may not update the head, and ``FOR UPDATE`` needs
    that privilege). On SQLite the transaction already holds the write lock.
    """
    if session.get_bind().dialect.name == "postgresql":
        row = session.connection().execute(_LOCK_HEAD_PG).one_or_none()
    else:
        row = session.connection().execute(_HEAD_SQLITE).one_or_none()
    if row is None:
        raise LogNotInitialised("the audit_head row is missing")
    return Anchor(int(row[0]), bytes(row[1]))
