"""Writing to the access log: one event, in the caller's transaction, never committed here.

The recorder locks the chain head (``SELECT ... FOR UPDATE`` through the ``audit_lock_head()``
function on PostgreSQL; on SQLite, ``transaction()`` already began with ``BEGIN IMMEDIATE``, which
holds the database's write lock), numbers the event ``head.seq + 1``, hashes it onto the chain
and inserts it. A trigger checks the link and advances the head in the same statement, so the
application never updates ``audit_head`` itself. The lock is held until the caller's transaction
ends, which makes chain order equal to commit order; a rollback leaves no gap because nothing was
consumed.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, insert, select, text
from sqlalchemy.orm import Session

from portal.audit.chain import Anchor, link_hash
from portal.audit.events import AuditEvent, canonical_json, event_body, search_columns
from portal.audit.models import AuditEventRow, AuditHead
from portal.core.clock import db_now
from portal.db.transaction import in_transaction
from portal.extensions import db

_INSERT_EVENT = insert(cast(Table, AuditEventRow.__table__))


class OutsideTransaction(RuntimeError):
    """``record()`` was called outside ``with transaction():``."""


class LogNotInitialised(RuntimeError):
    """The ``audit_head`` row is missing: the access-log migration has not run."""


def record(event: AuditEvent) -> int:
    """Add exactly one event to the access log in the caller's transaction; never commits.

    The event is written if and only if the caller's transaction commits. Returns the event's
    sequence number.

    :raises OutsideTransaction: if not inside ``with transaction():``.
    """
    if not in_transaction():
        raise OutsideTransaction("audit events are recorded inside transaction() only")
    session = db.session()
    at = db_now()
    body = event_body(event, at)
    body_text = canonical_json(body)
    head = lock_head(session)
    seq = head.seq + 1
    row = {
        "seq": seq,
        "body": body_text,
        "prev_hash": head.hash,
        "row_hash": link_hash(head.hash, seq, body_text),
        **search_columns(body),
    }
    # A Core insert of the table: half the cost of an ORM-enabled INSERT, and no identity map.
    session.execute(_INSERT_EVENT, row)
    return seq


def lock_head(session: Session) -> Anchor:
    """Read the chain head and hold its lock until the transaction ends.

    On PostgreSQL the row is locked ``FOR UPDATE`` by a function that runs as the owner of the
    access-log tables (the application role may not update the head, and ``FOR UPDATE`` needs
    that privilege). On SQLite the transaction already holds the write lock.
    """
    if session.get_bind().dialect.name == "postgresql":
        row = session.execute(text("SELECT seq, hash FROM audit_lock_head()")).one_or_none()
    else:
        row = session.execute(
            select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)
        ).one_or_none()
    if row is None:
        raise LogNotInitialised("the audit_head row is missing")
    return Anchor(int(row[0]), bytes(row[1]))
