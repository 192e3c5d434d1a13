"""``transaction(reads_only=True)``: on SQLite a page reads and renders without the write lock,
writes its access-log events only if nothing it read has changed, and otherwise runs again with
the lock first; on both databases such a unit may change nothing but the log. (A grant revoked
while the subject page renders: tests/integration/subjects/test_view_subject.py.)"""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import inspect, text

import portal.all_models  # noqa: F401 - every table in the metadata
from portal.agencies.models import Agency
from portal.audit import events as ev
from portal.audit.models import AuditEventRow
from portal.audit.recorder import record_at_commit
from portal.db.transaction import StaleRead, WriteInReadsOnlyUnit, transaction
from portal.extensions import db
from tests.conftest import backend
from tests.helpers import other_sqlite_connection

sqlite_only = pytest.mark.skipif(backend() != "sqlite", reason="SQLite's one write lock")

#: The access log's own tables: every audited page writes them and no decision reads them.
UNCOUNTED = {"audit_event", "audit_head"}


def _fact_version(app: Flask) -> int:
    with app.app_context():
        return int(db.session.execute(text("SELECT version FROM fact_version")).scalar_one())


def _events(app: Flask) -> int:
    with app.app_context():
        return int(db.session.query(AuditEventRow).count())


def _rename_an_agency(app: Flask, agency_id: uuid.UUID) -> None:
    other = other_sqlite_connection(app)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE agency SET name = name || '.' WHERE id = ?", (agency_id.hex,))
        other.execute("COMMIT")
    finally:
        other.close()


@pytest.fixture
def agency_id(app: Flask, factories: Any) -> uuid.UUID:
    return uuid.UUID(str(factories.agency().id))


def _an_event(agency_id: uuid.UUID) -> ev.AuditEvent:
    return ev.login_failed(reason="bad_credentials", method="password", agency_id=agency_id)


@sqlite_only
def test_every_table_but_the_access_logs_own_counts_its_changes(app: Flask) -> None:
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names()) - {"alembic_version", "fact_version"}
        rows = db.session.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        )
        triggers = {str(name): str(sql) for name, sql in rows}
    assert set(db.metadata.tables) <= tables
    for table in sorted(tables - UNCOUNTED):
        for action in ("insert", "update", "delete"):
            sql = " ".join(triggers.get(f"{table}_{action}_counts", "").split())
            assert f"AFTER {action.upper()} ON {table} " in sql, (
                f"{table} needs the {action} trigger of migration 0007"
            )
            assert "UPDATE fact_version SET version = version + 1" in sql
    for table in UNCOUNTED:
        assert not [name for name in triggers if name.startswith(f"{table}_") and "counts" in name]


@sqlite_only
def test_a_change_counts_and_an_access_log_event_does_not(app: Flask, agency_id) -> None:
    before = _fact_version(app)
    _rename_an_agency(app, agency_id)
    assert _fact_version(app) == before + 1

    with app.test_request_context("/", method="POST"), transaction():
        record_at_commit(_an_event(agency_id))
    assert _fact_version(app) == before + 1


@sqlite_only
def test_a_reads_only_unit_holds_no_lock_until_its_events_and_writes_them(
    app: Flask, agency_id
) -> None:
    events = _events(app)
    with app.test_request_context("/", method="GET"), transaction(reads_only=True):
        assert db.session.get(Agency, agency_id) is not None
        record_at_commit(_an_event(agency_id))
        other = other_sqlite_connection(app)
        try:  # another writer gets in at once: nothing holds the lock while the page reads
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
        finally:
            other.close()
    assert _events(app) == events + 1


@pytest.mark.parametrize("method", ["POST", None])
@sqlite_only
def test_outside_a_get_request_a_reads_only_unit_takes_the_lock_first(
    app: Flask, agency_id, method
) -> None:
    context = app.test_request_context("/", method=method) if method else app.app_context()
    with context, transaction(reads_only=True):
        assert db.session.get(Agency, agency_id) is not None
        other = other_sqlite_connection(app)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()


@sqlite_only
def test_a_change_while_the_page_reads_writes_nothing_and_asks_for_a_second_run(
    app: Flask, agency_id
) -> None:
    events = _events(app)

    def page_read_while_the_agency_was_renamed() -> None:
        with transaction(reads_only=True):
            assert db.session.get(Agency, agency_id) is not None
            record_at_commit(_an_event(agency_id))
            _rename_an_agency(app, agency_id)

    with app.test_request_context("/", method="GET"), pytest.raises(StaleRead):
        page_read_while_the_agency_was_renamed()
    assert _events(app) == events


def test_a_reads_only_unit_may_not_change_anything_but_the_log(app: Flask, agency_id) -> None:
    def rename() -> None:
        with transaction(reads_only=True):
            agency = db.session.get(Agency, agency_id)
            assert agency is not None
            agency.name = "Renamed"

    for method in ("GET", "POST"):
        with app.test_request_context("/", method=method), pytest.raises(WriteInReadsOnlyUnit):
            rename()
    with app.app_context():
        agency = db.session.get(Agency, agency_id)
        assert agency is not None
        assert agency.name != "Renamed"


def _agency_name(app: Flask, agency_id: uuid.UUID) -> str:
    with app.app_context():
        agency = db.session.get(Agency, agency_id)
        assert agency is not None
        return agency.name


PROBE = uuid.uuid4()
WRITES = {
    "an update": ["UPDATE agency SET name = 'Renamed' WHERE id = :id"],
    # Undone before the unit ends: nothing differs, but rows were written under the snapshot.
    "an insert deleted again": [
        "INSERT INTO agency (id, code, name, type, is_competent_authority)"
        " VALUES (:probe, 'PROBE', 'Probe', 'police', 0)",
        "DELETE FROM agency WHERE id = :probe",
    ],
}


@sqlite_only
@pytest.mark.parametrize("statements", WRITES.values(), ids=WRITES.keys())
def test_sqlite_refuses_a_statement_that_writes_in_a_reads_only_unit(
    app: Flask, agency_id: uuid.UUID, statements: list[str]
) -> None:
    name, events = _agency_name(app, agency_id), _events(app)

    def write() -> None:
        with transaction(reads_only=True):
            record_at_commit(_an_event(agency_id))
            for statement in statements:
                db.session.execute(text(statement), {"id": agency_id.hex, "probe": PROBE.hex})

    with app.test_request_context("/", method="GET"):
        with pytest.raises(WriteInReadsOnlyUnit):
            write()
        with transaction():  # the connection writes again once the unit is over
            db.session.execute(
                text("UPDATE agency SET name = name WHERE id = :id"), {"id": agency_id.hex}
            )
    assert _agency_name(app, agency_id) == name
    assert _events(app) == events


@sqlite_only
def test_a_write_flushed_in_a_reads_only_unit_is_refused_and_rolled_back(
    app: Flask, agency_id: uuid.UUID
) -> None:
    events = _events(app)

    def rename_through_the_orm() -> None:
        with transaction(reads_only=True):
            record_at_commit(_an_event(agency_id))
            agency = db.session.get(Agency, agency_id)
            assert agency is not None
            agency.name = "Renamed"
            db.session.flush()  # sent to the database: no pending change is left to see

    with app.test_request_context("/", method="GET"), pytest.raises(WriteInReadsOnlyUnit):
        rename_through_the_orm()
    assert _agency_name(app, agency_id) != "Renamed"
    assert _events(app) == events
    with app.test_request_context("/", method="POST"), transaction():
        agency = db.session.get(Agency, agency_id)
        assert agency is not None
        agency.name = "Renamed by a writer"
    assert _agency_name(app, agency_id) == "Renamed by a writer"
