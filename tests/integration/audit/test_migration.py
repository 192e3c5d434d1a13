"""Migrations 0002 and 0010: match the models, downgrade and upgrade again (0010 with results
stored), keep the roles."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DBAPIError

import portal.all_models  # noqa: F401 - every table in the metadata
from portal.audit.chain import GENESIS_HASH
from portal.audit.models import AuditHead, AuditVerification
from portal.audit.verify import Report, last_result, record_result
from portal.db.transaction import transaction
from portal.extensions import db
from tests.conftest import backend
from tests.integration.audit.conftest import event_count, fill

AUDIT_TABLES = {"audit_event", "audit_head", "audit_checkpoint", "audit_verification"}


def _audit_diffs(diffs: list[Any]) -> list[Any]:
    found = []
    for diff in diffs:
        flat = diff if isinstance(diff, tuple) else diff[0]
        if "audit_" in repr(flat):
            found.append(diff)
    return found


def test_the_migrated_schema_matches_the_models(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, db.metadata)
    assert _audit_diffs(diffs) == []


def test_downgrade_removes_the_log_and_upgrade_restores_it_empty(app: Flask) -> None:
    fill(app, 5)
    with app.app_context():
        downgrade(revision="0001")
        tables = set(inspect(db.engine).get_table_names())
        assert not tables & AUDIT_TABLES
        upgrade()
        head = db.session.execute(select(AuditHead.seq, AuditHead.hash)).one()
        db.session.remove()
    assert tuple(head) == (0, GENESIS_HASH)
    fill(app, 3)
    assert event_count(app) == 3
    with app.app_context(), pytest.raises(DBAPIError), db.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_event"))  # the triggers are back


def _store_result(through_seq: int) -> None:
    with transaction() as session:
        record_result(session, Report("full", None, 1, through_seq, None, None, 0, 0))


def test_0010_downgrade_keeps_results_and_upgrade_numbers_them_in_stored_order(
    app: Flask,
) -> None:
    with app.app_context():
        for through_seq in (10, 20, 30):
            _store_result(through_seq)
        downgrade(revision="0009")
        columns = {c["name"] for c in inspect(db.engine).get_columns("audit_verification")}
        upgrade()
        numbered = db.session.execute(
            select(AuditVerification.seq, AuditVerification.through_seq).order_by(
                AuditVerification.seq
            )
        ).all()
        db.session.remove()
        _store_result(40)  # the trigger numbers it next
        shown = last_result(db.session())
        assert shown is not None
        last = (shown.seq, shown.through_seq)
        db.session.remove()
        with pytest.raises(DBAPIError), db.engine.begin() as connection:
            connection.execute(text("UPDATE audit_verification SET intact = NOT intact"))
    assert "seq" not in columns
    assert [tuple(row) for row in numbered] == [(1, 10), (2, 20), (3, 30)]
    assert last == (4, 40)


@pytest.mark.postgresql_only
@pytest.mark.skipif(backend() != "postgresql", reason="roles exist on PostgreSQL only")
def test_roles_survive_a_downgrade_and_the_upgrade_is_idempotent_about_them(app: Flask) -> None:
    with app.app_context():
        downgrade(revision="0001")
        roles = db.session.execute(
            text("SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname LIKE 'portal_%'")
        ).all()
        db.session.remove()
        upgrade()  # the roles exist already: must not fail
        owner = db.session.execute(
            text("SELECT tableowner FROM pg_tables WHERE tablename = 'audit_event'")
        ).scalar_one()
        db.session.remove()
    assert sorted(roles) == [("portal_app", False), ("portal_owner", False)]
    assert owner == "portal_owner"
