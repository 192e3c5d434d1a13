"""``flask audit keygen | checkpoint | verify``: files, exit codes, what is stored."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Connection, create_engine, select, update

import portal.audit.verify as verify_module
from portal import create_app
from portal.audit.checkpoints import SignedCheckpoint, load_public_keys, public_key_path
from portal.audit.models import AuditCheckpoint, AuditEventRow, AuditVerification
from portal.config import Settings
from portal.extensions import db
from tests.integration.audit.conftest import disable_audit_triggers, event_count, fill


def _cli(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["audit", *args])


def _tamper_body(app: Flask, seq: int) -> None:
    """Commit a changed body with the triggers off (a privileged attacker)."""
    with app.app_context(), db.engine.begin() as connection:
        disable_audit_triggers(connection)
        connection.execute(
            update(AuditEventRow)
            .where(AuditEventRow.seq == seq)
            .values(body=AuditEventRow.body + " ")
        )


def test_keygen_writes_a_private_key_0600_and_its_public_key(
    app: Flask, settings: Settings
) -> None:
    result = _cli(app, "keygen")
    assert result.exit_code == 0, result.output
    key = settings.checkpoint_key_path
    assert key is not None
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    keys = load_public_keys(public_key_path(key))
    assert len(keys) == 1
    assert next(iter(keys)) in result.output  # the key id is shown
    assert "PRIVATE" not in result.output


def test_keygen_refuses_to_overwrite_an_existing_key(app: Flask, settings: Settings) -> None:
    assert _cli(app, "keygen").exit_code == 0
    assert settings.checkpoint_key_path is not None
    before = settings.checkpoint_key_path.read_bytes()
    again = _cli(app, "keygen")
    assert again.exit_code == 1
    assert "refusing to overwrite" in again.output
    assert settings.checkpoint_key_path.read_bytes() == before
    assert _cli(app, "keygen", "--if-missing").exit_code == 0
    assert settings.checkpoint_key_path.read_bytes() == before


def test_checkpoint_stores_a_signed_checkpoint_and_publishes_it(
    app: Flask, settings: Settings
) -> None:
    assert _cli(app, "keygen").exit_code == 0
    fill(app, 10)
    result = _cli(app, "checkpoint")
    assert result.exit_code == 0, result.output
    assert settings.checkpoint_dir is not None
    published = settings.checkpoint_dir / "checkpoint-000000000011.json"
    assert published.is_file()
    signed = SignedCheckpoint.from_json(json.loads(published.read_text()))
    with app.app_context():
        stored = db.session.execute(select(AuditCheckpoint)).scalar_one()
        checkpoint_event = db.session.get(AuditEventRow, 11)
    assert checkpoint_event is not None
    assert checkpoint_event.event_type == "CHECKPOINT"
    assert (stored.seq, stored.head_hash, stored.signature) == (
        11,
        signed.head_hash,
        signed.signature,
    )
    assert stored.head_hash == checkpoint_event.row_hash
    assert settings.checkpoint_key_path is not None
    assert signed.signature_valid(load_public_keys(public_key_path(settings.checkpoint_key_path)))


def test_checkpoint_without_a_key_fails_and_stores_nothing(app: Flask) -> None:
    result = _cli(app, "checkpoint")
    assert result.exit_code == 1
    assert "cannot read the checkpoint key" in result.output
    assert event_count(app) == 0


def test_verify_exits_0_when_intact_and_stores_the_result(app: Flask) -> None:
    assert _cli(app, "keygen").exit_code == 0
    fill(app, 30)
    assert _cli(app, "checkpoint").exit_code == 0
    result = _cli(app, "verify")
    assert result.exit_code == 0, result.output
    assert "Intact: 31 events" in result.output
    assert "Verifying" not in result.output  # no progress bar when not on a terminal
    with app.app_context():
        stored = db.session.execute(select(AuditVerification)).scalar_one()
    assert (stored.intact, stored.mode, stored.through_seq, stored.checkpoint_seq) == (
        True,
        "full",
        31,
        31,
    )


def test_verify_exits_1_and_names_the_first_problem_when_tampered(app: Flask) -> None:
    assert _cli(app, "keygen").exit_code == 0
    fill(app, 30)
    assert _cli(app, "checkpoint").exit_code == 0
    _tamper_body(app, 17)
    _tamper_body(app, 23)
    result = _cli(app, "verify")
    assert result.exit_code == 1, result.output
    assert "TAMPERED: content changed at seq 17" in result.output
    with app.app_context():
        stored = db.session.execute(select(AuditVerification)).scalar_one()
    assert not stored.intact
    assert stored.problem is not None
    assert "17" in stored.problem


def test_verify_exits_2_without_a_public_key(app: Flask, settings: Settings) -> None:
    fill(app, 3)
    result = _cli(app, "verify")  # no keygen: no public key file
    assert result.exit_code == 2
    assert "Cannot verify" in result.output
    unconfigured = create_app(settings.with_changes(checkpoint_key_path=None))
    result = _cli(unconfigured, "verify")
    assert result.exit_code == 2
    assert "PORTAL_CHECKPOINT_KEY is not set" in result.output


def test_verify_exits_2_when_the_checkpoint_directory_is_missing(
    app: Flask, settings: Settings
) -> None:
    """A configured directory that is not there (an unmounted write-once mount) is not "nothing
    published": a verifier that read it so would pass a truncation the published copies show."""
    assert settings.checkpoint_dir is not None
    assert _cli(app, "keygen").exit_code == 0
    fill(app, 10)
    assert _cli(app, "checkpoint").exit_code == 0
    published = settings.checkpoint_dir.rename(settings.checkpoint_dir.with_name("unmounted"))
    result = _cli(app, "verify")
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Cannot verify: PORTAL_CHECKPOINT_DIR" in result.output
    assert str(settings.checkpoint_dir) in result.output
    with app.app_context():
        assert db.session.execute(select(AuditVerification)).scalars().all() == []
        db.session.remove()
    published.rename(settings.checkpoint_dir)
    assert _cli(app, "verify").exit_code == 0


def test_verify_exits_2_when_the_database_cannot_be_reached(
    app: Flask, settings: Settings, tmp_path: Path
) -> None:
    assert _cli(app, "keygen").exit_code == 0
    assert settings.checkpoint_dir is not None
    settings.checkpoint_dir.mkdir()  # mounted: only the database is missing
    if settings.database_url.startswith("sqlite"):
        unreachable = f"sqlite:///{tmp_path}/missing-dir/portal.db"
    else:
        unreachable = "postgresql+psycopg://postgres@127.0.0.1:9/nowhere"
    broken = create_app(settings.with_changes(database_url=unreachable))
    result = _cli(broken, "verify")
    assert result.exit_code == 2, result.output
    assert "the database failed" in result.output


def test_verify_since_checkpoint_starts_where_the_last_intact_run_reached(app: Flask) -> None:
    assert _cli(app, "keygen").exit_code == 0
    fill(app, 40)
    assert _cli(app, "checkpoint").exit_code == 0  # seq 41
    first = _cli(app, "verify", "--since-checkpoint")  # no earlier run: from genesis
    assert first.exit_code == 0
    assert "Intact: 41 events checked (seq 1 to 41)" in first.output
    fill(app, 5, seed=9)
    second = _cli(app, "verify", "--since-checkpoint")
    assert second.exit_code == 0, second.output
    assert "Intact: 6 events checked (seq 41 to 46)" in second.output
    _tamper_body(app, 44)
    third = _cli(app, "verify", "--since-checkpoint")
    assert third.exit_code == 1
    assert "content changed at seq 44" in third.output


def test_verify_exits_2_when_the_database_fails_mid_scan(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chain is read through the driver's own cursor, whose errors are not SQLAlchemy's:
    a failure there is still "cannot run" (2, one line), not "tampered" (1, a traceback)."""
    assert _cli(app, "keygen").exit_code == 0
    fill(app, 20)
    assert _cli(app, "checkpoint").exit_code == 0
    real_batches = verify_module._batches

    def failing_batches(connection: Connection, *args: Any) -> Iterator[list[Any]]:
        for rows in real_batches(connection, *args):
            yield rows
            cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
            cursor.execute("SELECT * FROM no_such_table")  # the driver raises its own error

    monkeypatch.setattr(verify_module, "_batches", failing_batches)
    result = _cli(app, "verify")
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert result.output.strip().splitlines() == [
        next(line for line in result.output.splitlines() if line.startswith("Cannot verify"))
    ]
    assert "the database failed (" in result.output
    with app.app_context():
        stored = db.session.execute(select(AuditVerification)).scalars().all()
        db.session.remove()
    assert stored == []


def test_verify_exits_2_when_the_log_stays_locked(
    app: Flask, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reviewer's case on PostgreSQL: the log is locked past ``lock_timeout``."""
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("lock_timeout and LOCK TABLE are PostgreSQL's")
    monkeypatch.setenv("PGOPTIONS", "-c lock_timeout=1000")
    assert _cli(app, "keygen").exit_code == 0
    fill(app, 20)
    assert _cli(app, "checkpoint").exit_code == 0
    with app.app_context():
        db.engine.dispose()  # the verifier's connections start afresh, with the lock timeout
    engine = create_engine(settings.database_url)
    try:
        with engine.connect() as locker:
            locker.exec_driver_sql("LOCK TABLE audit_event IN ACCESS EXCLUSIVE MODE")
            result = _cli(app, "verify")
            locker.rollback()
    finally:
        engine.dispose()
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Cannot verify: the database failed (" in result.output
