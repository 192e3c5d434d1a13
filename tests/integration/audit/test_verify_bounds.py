"""Rows the verifier must not skip and column values that must not run on into the body.

The attacker here is the one checkpoints exist to catch: triggers off, and the CHECK
constraints that keep seq positive and column values short switched off too (``PRAGMA
ignore_check_constraints`` on SQLite, dropped or widened on PostgreSQL).
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import Flask
from sqlalchemy import Connection, TextClause, select, text

from portal.audit.chain import ProblemKind
from portal.audit.events import SEARCH_FIELDS, UUID_FIELDS
from portal.audit.models import AuditEventRow
from portal.audit.verify import verify_connection
from portal.config import Settings
from portal.extensions import db
from tests.integration.audit.conftest import checkpoint, disable_audit_triggers, fill, verify_now

EVENTS = db.metadata.tables["audit_event"]


def _without_guards(connection: Connection, widen: tuple[str, ...] = ()) -> None:
    """Inside the current transaction: triggers off, CHECK constraints off, and on PostgreSQL
    the ``widen`` columns made plain text (their lengths no longer stop a long value)."""
    disable_audit_triggers(connection)
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA ignore_check_constraints = ON")
        return
    checks = connection.exec_driver_sql(
        "SELECT conname FROM pg_constraint "
        "WHERE conrelid = 'audit_event'::regclass AND contype = 'c'"
    ).scalars()
    for name in list(checks):
        connection.exec_driver_sql(f'ALTER TABLE audit_event DROP CONSTRAINT "{name}"')
    for column in widen:
        connection.exec_driver_sql(f"ALTER TABLE audit_event ALTER COLUMN {column} TYPE text")


@pytest.fixture
def chain(app: Flask, signing_key: Ed25519PrivateKey, settings: Settings) -> Flask:
    fill(app, 40)
    checkpoint(app, signing_key, publish_to=settings.checkpoint_dir)
    fill(app, 5, seed=2)
    assert verify_now(app).intact
    return app


def _forge_below_genesis(app: Flask, seq: int) -> None:
    """Commit a copy of event 5 numbered ``seq``: a real-looking event no run would hash."""
    with app.app_context(), db.engine.begin() as connection:
        _without_guards(connection)
        row = connection.execute(select(EVENTS).where(EVENTS.c.seq == 5)).mappings().one()
        connection.execute(EVENTS.insert().values({**row, "seq": seq}))


@pytest.mark.parametrize("seq", [0, -1])
@pytest.mark.parametrize("since_checkpoint", [False, True], ids=["full", "since_checkpoint"])
def test_an_event_forged_below_seq_1_is_reported(
    chain: Flask, seq: int, since_checkpoint: bool
) -> None:
    _forge_below_genesis(chain, seq)
    report = verify_now(chain, since_checkpoint=since_checkpoint)
    assert report.problem is not None
    assert (report.problem.kind, report.problem.seq) == (ProblemKind.GAP, seq)
    assert f"seq {seq}, before the first event" in report.problem.message


def test_the_command_exits_1_for_an_event_forged_below_seq_1(chain: Flask) -> None:
    _forge_below_genesis(chain, -7)
    result = chain.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "TAMPERED" in result.output
    assert "seq -7" in result.output


def _string_fields() -> list[str]:
    """The search fields whose column can hold run-on text: all but ``at`` on SQLite (its
    value is followed by ``Z`` in the template, which nothing below ends with); on PostgreSQL
    the uuid and timestamp columns cannot hold it at all."""
    skip = {"at"}
    if db.engine.dialect.name == "postgresql":
        skip |= UUID_FIELDS
    return [name for name in SEARCH_FIELDS if name not in skip]


def _column(name: str) -> str:
    return {"type": "event_type", "at": "recorded_at"}.get(name, name)


def _set_column(name: str) -> TextClause:
    """An update that stores the text as it is (no uuid conversion on the way)."""
    return text(f"UPDATE audit_event SET {_column(name)} = :value WHERE seq = :seq")


def _run_ons(body: str, name: str) -> list[str]:
    """Every column value that starts with the body's own value of ``name`` and runs on to a
    later closing quote followed by ``,``, ``]`` or ``}`` (what a prefix check without the next
    key would accept)."""
    opening = f'"{name}":"'
    start = body.index(opening) + len(opening)
    end = body.index('"', start)
    return [
        body[start:j]
        for j in range(end + 1, len(body) - 1)
        if body[j] == '"' and body[j - 1] != "\\" and body[j + 1] in ",]}"
    ]


def _disclosure_with_recipients(connection: Connection) -> tuple[int, str]:
    rows = connection.execute(
        select(AuditEventRow.seq, AuditEventRow.body).where(
            AuditEventRow.event_type == "DISCLOSURE"
        )
    ).all()
    for seq, body in rows:
        if '"recipients":[' in body and '"legal_gateway":"' in body:
            return int(seq), str(body)
    raise AssertionError("no disclosure with recipients")


def test_a_search_column_that_runs_on_into_the_body_is_detected(
    chain: Flask, public_keys: dict[str, Ed25519PublicKey]
) -> None:
    """For every search field holding a string in the body: each value that begins with the
    real one and carries on into the body's later text (the next fields, ``"v"``, the
    recipients) is reported at its row."""
    with chain.app_context(), db.engine.connect() as connection:
        fields = _string_fields()
        transaction = connection.begin()
        seq, body = _disclosure_with_recipients(connection)
        _without_guards(connection, widen=tuple(_column(name) for name in fields))
        tried: dict[str, int] = {}
        for name in fields:
            if f'"{name}":"' not in body:
                continue
            values = _run_ons(body, name)
            tried[name] = len(values)
            for value in values:
                savepoint = connection.begin_nested()
                connection.execute(_set_column(name), {"value": value, "seq": seq})
                report = verify_connection(connection, public_keys)
                savepoint.rollback()
                assert report.problem is not None, (name, value)
                assert (report.problem.kind, report.problem.seq) == (
                    ProblemKind.COLUMNS_CHANGED,
                    seq,
                ), (name, value)
        transaction.rollback()
    assert {"type", "legal_gateway", "marking", "request_id"} <= tried.keys()
    assert min(tried.values()) >= 2  # at least to the next field and beyond


def test_an_event_type_run_on_into_the_recipients_is_detected_by_the_command_path(
    chain: Flask,
) -> None:
    """The reviewer's case, committed, through :func:`verify` and its concurrent column check:
    the type column ends inside the first recipient, so the event drops out of type search."""
    with chain.app_context(), db.engine.begin() as connection:
        seq, body = _disclosure_with_recipients(connection)
        value = next(v for v in _run_ons(body, "type") if '"recipients":["' in v)
        _without_guards(connection, widen=("event_type",))
        connection.execute(_set_column("type"), {"value": value, "seq": seq})
    report = verify_now(chain)
    assert report.problem is not None
    assert (report.problem.kind, report.problem.seq) == (ProblemKind.COLUMNS_CHANGED, seq)
