"""Append-only: triggers refuse changes on both databases; on PostgreSQL the application role
has no privilege to change the log or to switch the triggers off."""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from flask import Flask
from psycopg import errors
from sqlalchemy import Connection
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from portal import create_app
from portal.audit.chain import Problem, ProblemKind
from portal.audit.recorder import record
from portal.audit.verify import Report, last_result, record_result, verify
from portal.config import Settings
from portal.db.transaction import transaction
from portal.extensions import db
from tests.conftest import backend
from tests.integration.audit.conftest import (
    FakeActor,
    checkpoint,
    disable_audit_triggers,
    event_count,
    fill,
    head_seq,
    random_event,
)

needs_postgresql = pytest.mark.skipif(
    backend() != "postgresql",
    reason="database roles and privileges exist on PostgreSQL only (SQLite has none)",
)

#: What the application role must not be able to do (reference/security.md §7 item 20).
APP_ROLE_ATTEMPTS = {
    "update an event": "UPDATE audit_event SET body = body || ' ' WHERE seq = 1",
    "delete an event": "DELETE FROM audit_event WHERE seq = 1",
    "truncate the log": "TRUNCATE audit_event",
    "disable the triggers": "ALTER TABLE audit_event DISABLE TRIGGER ALL",
    "bypass triggers": "SET session_replication_role = replica",
    "move the head": "UPDATE audit_head SET seq = 1",
    # PostgreSQL's counterparts of SQLite's REPLACE: both need UPDATE on the table.
    "upsert an event": "INSERT INTO audit_event SELECT * FROM audit_event WHERE seq = 1 "
    "ON CONFLICT (seq) DO UPDATE SET request_id = 'forged'",
    "upsert a checkpoint": "INSERT INTO audit_checkpoint SELECT * FROM audit_checkpoint "
    "ON CONFLICT (seq) DO UPDATE SET key_id = 'forged'",
    "upsert a verification": "INSERT INTO audit_verification SELECT * FROM audit_verification "
    "ON CONFLICT (id) DO UPDATE SET intact = true",
    "merge into the log": "MERGE INTO audit_event AS e USING (SELECT 1 AS seq) AS s "
    "ON e.seq = s.seq WHEN MATCHED THEN UPDATE SET request_id = 'forged'",
}


def _statements_refused(connection: Connection, statements: list[str]) -> list[str]:
    """Run each statement in a savepoint; return those the database refused."""
    refused = []
    for statement in statements:
        savepoint = connection.begin_nested()
        try:
            connection.exec_driver_sql(statement)
        except DBAPIError:
            savepoint.rollback()
            refused.append(statement)
        else:
            savepoint.rollback()
    return refused


def test_triggers_refuse_update_and_delete_of_events(
    app: Flask, raw_connection: Connection
) -> None:
    fill(app, 5)
    attempts = [
        "UPDATE audit_event SET body = body || ' ' WHERE seq = 1",
        "DELETE FROM audit_event WHERE seq = 1",
    ]
    with raw_connection.begin():
        refused = _statements_refused(raw_connection, attempts)
    assert refused == attempts  # 2/2, even for the database owner
    assert event_count(app) == 5


def test_triggers_guard_head_checkpoints_and_verifications(
    app: Flask, raw_connection: Connection, signing_key: Any
) -> None:
    fill(app, 3)
    checkpoint(app, signing_key)
    with app.app_context(), transaction() as session:
        record_result(session, Report("full", None, 1, 4, b"\0" * 32, 4, 4, 1))
    attempts = [
        "UPDATE audit_head SET seq = 2",
        "DELETE FROM audit_head",
        "UPDATE audit_checkpoint SET seq = seq + 1",
        "DELETE FROM audit_checkpoint",
        "UPDATE audit_verification SET intact = NOT intact",
        "DELETE FROM audit_verification",
    ]
    if raw_connection.dialect.name == "postgresql":
        attempts += ["TRUNCATE audit_event", "TRUNCATE audit_head", "TRUNCATE audit_checkpoint"]
    with raw_connection.begin():
        refused = _statements_refused(raw_connection, attempts)
    assert refused == attempts
    assert head_seq(app) == 4


#: Inserts that change an existing row on a conflict, per dialect: each is a change the triggers
#: must refuse. SQLite's REPLACE deletes the row it collides with, and fires DELETE triggers for
#: that only under ``PRAGMA recursive_triggers`` (set on every connection the portal opens). To
#: replace an event, the head must first be moved back onto the one before it: its own guard is
#: dropped inside the attempt so that the event's guard is what is tested.
CONFLICT_ATTEMPTS = {
    "sqlite": {
        "replace the head": (
            "INSERT OR REPLACE INTO audit_head (id, seq, hash) "
            "SELECT 1, seq, row_hash FROM audit_event WHERE seq = 3",
        ),
        "replace an event": (
            "DROP TRIGGER audit_head_no_delete",
            "INSERT OR REPLACE INTO audit_head (id, seq, hash) "
            "SELECT 1, seq, row_hash FROM audit_event WHERE seq = 3",
            "REPLACE INTO audit_event SELECT * FROM audit_event WHERE seq = 4",
        ),
        "replace a checkpoint": ("REPLACE INTO audit_checkpoint SELECT * FROM audit_checkpoint",),
        # The next seq, so that the numbering trigger (migration 0010) lets it through.
        "replace a verification": (
            "REPLACE INTO audit_verification (id, seq, verified_at, mode, intact, from_seq, "
            "through_seq) SELECT id, seq + 1, verified_at, mode, intact, from_seq, through_seq "
            "FROM audit_verification",
        ),
        "upsert the head": (
            "INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, zeroblob(32)) "
            "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
        ),
        "upsert an event": (
            "INSERT INTO audit_event SELECT * FROM audit_event WHERE seq = 4 "
            "ON CONFLICT (seq) DO UPDATE SET request_id = 'forged'",
        ),
    },
    "postgresql": {
        "upsert the head": (
            "INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '\\x00') "
            "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
        ),
        "upsert an event": (
            "INSERT INTO audit_event SELECT * FROM audit_event WHERE seq = 4 "
            "ON CONFLICT (seq) DO UPDATE SET request_id = 'forged'",
        ),
        "upsert a checkpoint": (
            "INSERT INTO audit_checkpoint SELECT * FROM audit_checkpoint "
            "ON CONFLICT (seq) DO UPDATE SET key_id = 'forged'",
        ),
        "upsert a verification": (
            "INSERT INTO audit_verification SELECT * FROM audit_verification "
            "ON CONFLICT (id) DO UPDATE SET intact = NOT audit_verification.intact",
        ),
    },
}


def test_replace_or_upsert_of_an_audit_row_on_an_app_connection_is_refused(
    app: Flask, raw_connection: Connection, signing_key: Any
) -> None:
    fill(app, 3)
    checkpoint(app, signing_key)  # seq 4
    with app.app_context(), transaction() as session:
        record_result(session, Report("full", None, 1, 4, b"\0" * 32, 4, 4, 1))
    allowed = []
    with raw_connection.begin():
        for what, statements in CONFLICT_ATTEMPTS[raw_connection.dialect.name].items():
            savepoint = raw_connection.begin_nested()
            try:
                for statement in statements:
                    raw_connection.exec_driver_sql(statement)
            except DBAPIError:
                pass
            else:
                allowed.append(what)
            savepoint.rollback()
    assert allowed == []
    assert head_seq(app) == 4


def test_the_same_statements_work_with_triggers_off_so_the_refusals_mean_something(
    app: Flask, raw_connection: Connection
) -> None:
    fill(app, 3)
    with raw_connection.begin() as outer:
        disable_audit_triggers(raw_connection)
        refused = _statements_refused(
            raw_connection,
            [
                "UPDATE audit_event SET body = body || ' ' WHERE seq = 1",
                "DELETE FROM audit_event WHERE seq = 1",
                "UPDATE audit_head SET seq = 1",
            ],
        )
        outer.rollback()
    assert refused == []
    assert event_count(app) == 3


# --- PostgreSQL: the application role ------------------------------------------------------


@pytest.fixture
def app_login_role(database_url: str) -> Iterator[str]:
    """A LOGIN role that is a member of ``portal_app``, as production's web role is."""
    name = f"t_web_{secrets.token_hex(6)}"
    admin = _connect(database_url)
    admin.execute(f"CREATE ROLE {name} LOGIN IN ROLE portal_app")
    try:
        yield name
    finally:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (name,)
        )
        admin.execute(f"DROP ROLE IF EXISTS {name}")
        admin.close()


def _connect(database_url: str, user: str | None = None) -> psycopg.Connection[Any]:
    url = make_url(database_url)
    return psycopg.connect(
        host=url.host,
        port=url.port,
        user=user or url.username,
        dbname=url.database,
        autocommit=True,
    )


@pytest.mark.postgresql_only
@needs_postgresql
def test_app_role_cannot_change_the_log_or_switch_off_its_triggers(
    app: Flask, database_url: str, app_login_role: str
) -> None:
    fill(app, 5)
    refused: dict[str, str] = {}
    with _connect(database_url, app_login_role) as web:
        for what, statement in APP_ROLE_ATTEMPTS.items():
            try:
                web.execute(statement)
            except errors.InsufficientPrivilege as exc:
                refused[what] = exc.sqlstate or ""
        # It may read the log, but not lock the head except through the owner's function.
        assert web.execute("SELECT count(*) FROM audit_event").fetchone() == (5,)
        with pytest.raises(errors.InsufficientPrivilege):
            web.execute("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE")
        with pytest.raises(errors.InsufficientPrivilege):
            web.execute("DROP TABLE audit_event")
        with pytest.raises(errors.InsufficientPrivilege):
            web.execute("INSERT INTO audit_head (id, seq, hash) VALUES (2, 0, '\\x00')")
    assert sorted(refused) == sorted(APP_ROLE_ATTEMPTS), (
        f"allowed: {set(APP_ROLE_ATTEMPTS) - set(refused)}"
    )
    assert event_count(app) == 5


@pytest.mark.postgresql_only
@needs_postgresql
def test_the_portal_runs_as_the_app_role_records_and_verifies(
    settings: Settings, database_url: str, app_login_role: str, signing_key: Any, actor: FakeActor
) -> None:
    url = make_url(database_url).set(username=app_login_role).render_as_string(hide_password=False)
    app = create_app(settings.with_changes(database_url=url))
    try:
        fill(app, 20)
        checkpoint(app, signing_key, publish_to=settings.checkpoint_dir)
        with app.app_context():
            with transaction():
                record(random_event(random.Random(5), [actor]))
            report = verify()
            who = db.session.execute(db.text("SELECT current_user")).scalar_one()
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    assert who == app_login_role
    assert report.intact, report.problem
    assert report.through_seq == 22


@pytest.mark.postgresql_only
@needs_postgresql
def test_app_role_insert_of_a_result_gets_the_next_number_and_the_database_time(
    app: Flask, database_url: str, app_login_role: str
) -> None:
    """The web role must store results (the IG panel runs the verifier), but it cannot date one
    in the future nor number it past the runs stored after it (migration 0010)."""
    with app.app_context(), transaction() as session:
        record_result(session, Report("full", None, 1, 4, b"\0" * 32, 4, 4, 1))
    with _connect(database_url, app_login_role) as web:
        web.execute(
            "INSERT INTO audit_verification (id, seq, verified_at, mode, intact, from_seq, "
            "through_seq, checkpoint_seq) VALUES (gen_random_uuid(), 1000000, "
            "'2999-01-01T00:00:00Z', 'full', true, 1, 4, 4)"
        )
        stored = web.execute(
            "SELECT seq, verified_at <= now() FROM audit_verification ORDER BY seq"
        ).fetchall()
        for statement in (
            "SELECT nextval('audit_verification_seq')",
            "SELECT setval('audit_verification_seq', 1000000)",
            "ALTER TABLE audit_verification DISABLE TRIGGER audit_verification_stamp",
        ):
            with pytest.raises(errors.InsufficientPrivilege):
                web.execute(statement)
    with app.app_context():
        with transaction() as session:
            record_result(
                session, Report("full", Problem(ProblemKind.GAP, "x", 3), 1, 2, None, None, 2, 1)
            )
        shown = last_result(db.session())
        db.session.remove()
    assert stored == [(1, True), (2, True)]
    assert shown is not None
    assert (shown.seq, shown.intact) == (3, False)
