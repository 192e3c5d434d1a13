"""Queries for shared records; flush, never commit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from portal.db.statements import uuid_param
from portal.extensions import db
from portal.records.models import SharedRecord


def find_record(record_id: uuid.UUID) -> SharedRecord | None:
    return db.session.get(SharedRecord, record_id)


def lock_record(record_id: uuid.UUID) -> SharedRecord | None:
    """The record row locked ``FOR UPDATE`` and freshly read, for an edit."""
    return db.session.execute(
        select(SharedRecord)
        .where(SharedRecord.id == record_id)
        .with_for_update(of=SharedRecord)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


# Built once: every subject page runs it (its SQL and cache key are worked out once a process).
_FOR_SUBJECT = (
    select(SharedRecord)
    .where(SharedRecord.subject_id == uuid_param("subject_id"))
    .order_by(SharedRecord.created_at.desc(), SharedRecord.id)
)


def list_records_for_subject(subject_id: uuid.UUID) -> Sequence[SharedRecord]:
    """Every record about the subject, newest first."""
    return db.session.execute(_FOR_SUBJECT, {"subject_id": subject_id}).scalars().all()


def add_record(record: SharedRecord) -> None:
    db.session.add(record)
    db.session.flush()


def flush() -> None:
    db.session.flush()
