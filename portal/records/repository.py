"""Queries for shared records; flush, never commit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

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


def list_records_for_subject(subject_id: uuid.UUID) -> Sequence[SharedRecord]:
    """Every record about the subject, newest first."""
    return (
        db.session.execute(
            select(SharedRecord)
            .where(SharedRecord.subject_id == subject_id)
            .order_by(SharedRecord.created_at.desc(), SharedRecord.id)
        )
        .scalars()
        .all()
    )


def add_record(record: SharedRecord) -> None:
    db.session.add(record)
    db.session.flush()


def flush() -> None:
    db.session.flush()
