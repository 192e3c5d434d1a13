"""The access-log tables.

``audit_event`` is append-only (database triggers refuse UPDATE, DELETE and TRUNCATE; on
PostgreSQL the application role may only INSERT and SELECT). ``seq`` is gapless and assigned under
the lock on the single ``audit_head`` row, so chain order is commit order. ``body`` is the
canonical JSON that is hashed; every other column except the hashes is derived from it
(:func:`portal.audit.events.search_columns`) and checked against it by the verifier.

``audit_head`` is advanced by a trigger on insert, never by the application. ``audit_checkpoint``
holds signed (sequence, head) statements and ``audit_verification`` the result of each verifier
run, numbered in the order they were stored; both are append-only too.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from portal.audit.chain import HASH_SIZE
from portal.audit.events import EventType, Outcome
from portal.db.base import Base, UUIDPrimaryKey
from portal.db.types import enum_check


def _search_index(column: str) -> Index:
    """An index for paging by ``column`` in ``seq`` order, over the rows where it is set."""
    where = text(f"{column} IS NOT NULL")
    return Index(
        f"ix_audit_event_{column}_seq", column, "seq", postgresql_where=where, sqlite_where=where
    )


class AuditEventRow(Base):
    __tablename__ = "audit_event"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    recorded_at: Mapped[datetime]
    event_type: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[uuid.UUID | None]
    actor_agency_id: Mapped[uuid.UUID | None]
    subject_id: Mapped[uuid.UUID | None]
    record_id: Mapped[uuid.UUID | None]
    grant_id: Mapped[uuid.UUID | None]
    target_user_id: Mapped[uuid.UUID | None]
    legal_gateway: Mapped[str | None] = mapped_column(String(48))
    dp_condition: Mapped[str | None] = mapped_column(String(48))
    marking: Mapped[str | None] = mapped_column(String(200))
    request_id: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary(HASH_SIZE))
    row_hash: Mapped[bytes] = mapped_column(LargeBinary(HASH_SIZE))

    __table_args__ = (
        CheckConstraint("seq > 0", name="seq_positive"),
        CheckConstraint(enum_check("event_type", EventType), name="event_type"),
        CheckConstraint(enum_check("outcome", Outcome), name="outcome"),
        Index("ix_audit_event_recorded_at", "recorded_at"),
        Index("ix_audit_event_event_type_seq", "event_type", "seq"),
        _search_index("actor_id"),
        _search_index("actor_agency_id"),
        _search_index("subject_id"),
        _search_index("record_id"),
        _search_index("grant_id"),
        _search_index("target_user_id"),
    )


class AuditHead(Base):
    """The chain head: the last sequence number and its hash (one row, id 1)."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[bytes] = mapped_column(LargeBinary(HASH_SIZE))

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


class AuditCheckpoint(Base):
    """A signed statement that the chain had ``head_hash`` at ``seq``."""

    __tablename__ = "audit_checkpoint"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    head_hash: Mapped[bytes] = mapped_column(LargeBinary(HASH_SIZE))
    signed_at: Mapped[datetime]
    key_id: Mapped[str] = mapped_column(String(32))
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))


class AuditVerification(UUIDPrimaryKey, Base):
    """The outcome of one run of the verifier (``flask audit verify``).

    ``seq`` numbers the results in the order they were stored, which the inserter cannot choose
    (migration 0010): on PostgreSQL a trigger sets it, and ``verified_at`` to the database's
    ``now()``; on SQLite a trigger refuses any ``seq`` but the next.
    """

    __tablename__ = "audit_verification"

    seq: Mapped[int] = mapped_column(BigInteger)
    verified_at: Mapped[datetime]
    mode: Mapped[str] = mapped_column(String(16))
    intact: Mapped[bool] = mapped_column(Boolean)
    from_seq: Mapped[int] = mapped_column(BigInteger)
    through_seq: Mapped[int] = mapped_column(BigInteger)
    head_hash: Mapped[bytes | None] = mapped_column(LargeBinary(HASH_SIZE))
    checkpoint_seq: Mapped[int | None] = mapped_column(BigInteger)
    problem: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (
        CheckConstraint("mode IN ('full', 'since_checkpoint')", name="mode"),
        Index("ix_audit_verification_verified_at", "verified_at"),
        Index("ix_audit_verification_seq", "seq", unique=True),
    )
