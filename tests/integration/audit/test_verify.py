"""The verifier's checks beyond the tamper trials: checkpoints themselves, the published copies,
the search columns (through the command's concurrent path), the head, the resume point and the
stored results it and the IG panel read."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from sqlalchemy import Connection, delete, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from portal.audit.chain import ProblemKind
from portal.audit.checkpoints import SignedCheckpoint, sign
from portal.audit.models import AuditCheckpoint, AuditEventRow, AuditHead, AuditVerification
from portal.audit.verify import Report, last_result, record_result, verify
from portal.config import Settings
from portal.db.transaction import transaction
from portal.extensions import db
from tests.integration.audit.conftest import (
    checkpoint,
    disable_audit_triggers,
    fill,
    is_postgresql,
    verify_now,
)


def _committed_tamper(app: Flask, *statements: Any) -> None:
    with app.app_context(), db.engine.begin() as connection:
        disable_audit_triggers(connection)
        for statement in statements:
            connection.execute(statement)


@pytest.fixture
def chain(app: Flask, signing_key: Ed25519PrivateKey, settings: Settings) -> Flask:
    fill(app, 60)
    checkpoint(app, signing_key, publish_to=settings.checkpoint_dir)  # seq 61
    fill(app, 20, seed=2)
    checkpoint(app, signing_key, publish_to=settings.checkpoint_dir)  # seq 82
    assert verify_now(app).intact
    return app


SEARCH_COLUMN_EDITS = {
    "subject_id": lambda row: uuid.uuid4(),
    "actor_id": lambda row: uuid.uuid4(),
    "actor_agency_id": lambda row: None,
    "record_id": lambda row: uuid.uuid4(),
    "grant_id": lambda row: uuid.uuid4(),
    "target_user_id": lambda row: uuid.uuid4(),
    "legal_gateway": lambda row: "GW-OTHER",
    "dp_condition": lambda row: "DP3-OTHER",
    "marking": lambda row: "OFFICIAL",
    "request_id": lambda row: "other",
    "event_type": lambda row: "LOGOUT" if row.event_type != "LOGOUT" else "LOGIN",
    "outcome": lambda row: "failure" if row.outcome != "failure" else "success",
    "recorded_at": lambda row: row.recorded_at + timedelta(microseconds=1),
}


@pytest.mark.parametrize("column", sorted(SEARCH_COLUMN_EDITS))
def test_a_search_column_changed_without_its_body_is_detected(chain: Flask, column: str) -> None:
    with chain.app_context():
        row = db.session.get(AuditEventRow, 37)
        db.session.remove()
    new = SEARCH_COLUMN_EDITS[column](row)
    _committed_tamper(
        chain, update(AuditEventRow).where(AuditEventRow.seq == 37).values({column: new})
    )
    report = verify_now(chain)
    assert report.problem is not None
    assert (report.problem.kind, report.problem.seq) == (ProblemKind.COLUMNS_CHANGED, 37)


#: The same characters in a form the portal never writes on SQLite: IG search's ``column = ?``
#: and its time ranges compare storage classes and text, so these rows drop out of its results.
SQLITE_OTHER_FORMS = {
    "subject_id as a blob": ("subject_id", "CAST(subject_id AS BLOB)"),
    "actor_id as a blob": ("actor_id", "CAST(actor_id AS BLOB)"),
    "request_id as a blob": ("request_id", "CAST(request_id AS BLOB)"),
    "marking as a blob": ("marking", "CAST(marking AS BLOB)"),
    "recorded_at as a blob": ("recorded_at", "CAST(recorded_at AS BLOB)"),
    "recorded_at with a T": ("recorded_at", "replace(recorded_at, ' ', 'T')"),
}


@pytest.mark.skipif(is_postgresql(), reason="SQLite's storage classes and text times")
@pytest.mark.parametrize("form", sorted(SQLITE_OTHER_FORMS))
def test_verify_when_a_column_holds_its_text_in_another_form_reports_the_row(
    chain: Flask, form: str
) -> None:
    column, value = SQLITE_OTHER_FORMS[form]
    first_set = f"SELECT min(seq) FROM audit_event WHERE {column} IS NOT NULL AND seq > 1"
    with chain.app_context():
        seq = db.session.execute(text(first_set)).scalar_one()
        db.session.remove()
    change = f"UPDATE audit_event SET {column} = {value} WHERE seq = :seq"
    _committed_tamper(chain, text(change).bindparams(seq=seq))
    report = verify_now(chain)
    assert report.problem is not None
    assert (report.problem.kind, report.problem.seq) == (ProblemKind.COLUMNS_CHANGED, seq)


def test_a_checkpoint_with_a_changed_hash_fails_its_signature(chain: Flask) -> None:
    _committed_tamper(
        chain,
        update(AuditCheckpoint).where(AuditCheckpoint.seq == 61).values(head_hash=b"\x01" * 32),
    )
    report = verify_now(chain)
    assert report.problem is not None
    assert report.problem.kind == ProblemKind.BAD_CHECKPOINT


def test_a_checkpoint_signed_with_another_key_is_refused(chain: Flask) -> None:
    """Truncate, then sign the shortened head with a key of one's own: not a known key."""
    with chain.app_context():
        row = db.session.get(AuditEventRow, 70)
        db.session.remove()
    assert row is not None
    forged = sign(
        Ed25519PrivateKey.generate(), seq=70, head_hash=row.row_hash, signed_at=row.recorded_at
    )
    _committed_tamper(
        chain,
        delete(AuditEventRow).where(AuditEventRow.seq > 70),
        delete(AuditCheckpoint).where(AuditCheckpoint.seq > 70),
        update(AuditHead).values(seq=70, hash=row.row_hash),
        insert(AuditCheckpoint).values(
            seq=70,
            head_hash=forged.head_hash,
            signed_at=forged.signed_at,
            key_id=forged.key_id,
            signature=forged.signature,
        ),
    )
    report = verify_now(chain)
    assert report.problem is not None
    assert (report.problem.kind, report.problem.seq) == (ProblemKind.BAD_CHECKPOINT, 70)


def test_a_published_checkpoint_missing_from_the_database_is_reported(chain: Flask) -> None:
    _committed_tamper(chain, delete(AuditCheckpoint).where(AuditCheckpoint.seq == 61))
    report = verify_now(chain)
    assert report.problem is not None
    assert (report.problem.kind, report.problem.seq) == (ProblemKind.MISSING_CHECKPOINT, 61)


def test_a_published_checkpoint_that_differs_from_the_stored_one_is_reported(
    chain: Flask, settings: Settings, signing_key: Ed25519PrivateKey
) -> None:
    assert settings.checkpoint_dir is not None
    path = settings.checkpoint_dir / "checkpoint-000000000061.json"
    data = json.loads(path.read_text())
    original = SignedCheckpoint.from_json(data)
    with chain.app_context():
        row = db.session.get(AuditEventRow, 61)
        db.session.remove()
    assert row is not None
    later = row.recorded_at + timedelta(seconds=1)
    resigned = sign(signing_key, seq=61, head_hash=row.row_hash, signed_at=later)
    data.update(resigned.to_json())  # validly signed, but not the checkpoint that was stored
    assert resigned != original
    path.write_text(json.dumps(data))
    report = verify_now(chain)
    assert report.problem is not None
    assert (report.problem.kind, report.problem.seq) == (ProblemKind.BAD_CHECKPOINT, 61)


def test_a_malformed_file_in_the_checkpoint_directory_is_a_problem(
    chain: Flask, settings: Settings
) -> None:
    assert settings.checkpoint_dir is not None
    (settings.checkpoint_dir / "checkpoint-000000000099.json").write_text("{not json")
    report = verify_now(chain)
    assert report.problem is not None
    assert report.problem.kind == ProblemKind.BAD_CHECKPOINT


def test_a_head_that_does_not_match_the_chain_is_reported(chain: Flask) -> None:
    fill(chain, 3, seed=4)  # events after the last checkpoint: only the head vouches for them
    _committed_tamper(chain, update(AuditHead).values(hash=b"\x02" * 32))
    report = verify_now(chain)
    assert report.problem is not None
    assert report.problem.kind == ProblemKind.HEAD_MISMATCH


def test_since_checkpoint_refuses_when_the_verified_checkpoint_has_gone(chain: Flask) -> None:
    with chain.app_context(), transaction() as session:
        record_result(session, Report("full", None, 1, 82, b"\0" * 32, 82, 82, 2))
    assert verify_now(chain, since_checkpoint=True).rows == 1  # resumes at seq 82
    _committed_tamper(chain, delete(AuditCheckpoint).where(AuditCheckpoint.seq == 82))
    with chain.app_context():
        chain.extensions["portal.settings"] = chain.extensions["portal.settings"].with_changes(
            checkpoint_dir=None
        )
    report = verify_now(chain, since_checkpoint=True)
    assert report.problem is not None
    assert (report.problem.kind, report.problem.seq) == (ProblemKind.MISSING_CHECKPOINT, 82)


def _store_result_dated(app: Flask, at: datetime, *, intact: bool, checkpoint_seq: int) -> None:
    """A result row as any inserter may write it: dated as it likes, numbered next."""
    with app.app_context(), transaction() as session:
        session.execute(
            insert(AuditVerification).values(
                seq=select(func.coalesce(func.max(AuditVerification.seq), 0) + 1).scalar_subquery(),
                verified_at=at,
                mode="full",
                intact=intact,
                from_seq=1,
                through_seq=checkpoint_seq,
                checkpoint_seq=checkpoint_seq,
            )
        )


FAR_FUTURE = datetime(2999, 1, 1, tzinfo=UTC)
TAMPER_SEQ_5 = update(AuditEventRow).where(AuditEventRow.seq == 5).values(request_id="x")


def test_last_result_after_a_result_dated_in_the_future_is_the_run_stored_last(
    chain: Flask,
) -> None:
    _store_result_dated(chain, FAR_FUTURE, intact=True, checkpoint_seq=82)
    _committed_tamper(chain, TAMPER_SEQ_5)
    with chain.app_context():
        report = verify()
        with transaction() as session:
            record_result(session, report)
        shown = last_result(db.session())
        db.session.remove()
    assert not report.intact
    assert shown is not None
    assert (shown.intact, shown.problem) == (False, str(report.problem))


def test_since_checkpoint_after_a_run_found_a_problem_starts_from_genesis(chain: Flask) -> None:
    """A problem found once is looked for from genesis until a run finds none: neither an
    earlier intact run nor a result dated in the future lets the next run skip it."""
    with chain.app_context(), transaction() as session:
        record_result(session, Report("full", None, 1, 82, b"\0" * 32, 82, 82, 2))
    _store_result_dated(chain, FAR_FUTURE, intact=True, checkpoint_seq=82)
    _committed_tamper(chain, TAMPER_SEQ_5)
    full = verify_now(chain)
    with chain.app_context(), transaction() as session:
        record_result(session, full)
    report = verify_now(chain, since_checkpoint=True)
    assert report.from_seq == 1
    assert report.problem is not None
    assert (report.problem.kind, report.problem.seq) == (ProblemKind.COLUMNS_CHANGED, 5)


@pytest.mark.skipif(is_postgresql(), reason="PostgreSQL numbers results itself (a trigger)")
def test_storing_a_result_numbered_other_than_next_on_sqlite_is_refused(
    chain: Flask, raw_connection: Connection
) -> None:
    with chain.app_context(), transaction() as session:
        record_result(session, Report("full", None, 1, 82, b"\0" * 32, 82, 82, 2))
    refused = []
    with raw_connection.begin():
        for seq in (0, 1, 3, None):
            savepoint = raw_connection.begin_nested()
            try:
                raw_connection.execute(
                    insert(AuditVerification).values(
                        id=uuid.uuid4(),
                        seq=seq,
                        verified_at=FAR_FUTURE,
                        mode="full",
                        intact=True,
                        from_seq=1,
                        through_seq=82,
                    )
                )
            except DBAPIError:
                refused.append(seq)
            savepoint.rollback()
    assert refused == [0, 1, 3, None]


def test_verify_reads_only(chain: Flask, raw_connection: Connection) -> None:
    before = raw_connection.exec_driver_sql("SELECT count(*) FROM audit_event").scalar_one()
    raw_connection.rollback()
    assert verify_now(chain).intact
    after = raw_connection.exec_driver_sql("SELECT count(*) FROM audit_event").scalar_one()
    assert before == after == 82
