"""Migrations 0005, 0013 and 0014: the CSODS tables match the models; down and up restore them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import insert, inspect
from sqlalchemy.exc import IntegrityError

import portal.all_models  # noqa: F401 - every table in the metadata
from portal.csods.models import CsodsStageChange
from portal.extensions import db

CSODS_TABLES = {
    "csods_application",
    "csods_child",
    "csods_agency_check",
    "csods_stage_change",
    "csods_pause",
    "csods_referral",
    "csods_decision",
    "csods_delivery",
}


def _csods_diffs(diffs: list[Any]) -> list[Any]:
    return [d for d in diffs if "csods_" in repr(d if isinstance(d, tuple) else d[0])]


def test_the_migrated_csods_schema_matches_the_models(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, db.metadata)
    assert _csods_diffs(diffs) == []


def test_downgrade_removes_the_csods_tables_and_upgrade_restores_them(app: Flask) -> None:
    with app.app_context():
        assert set(inspect(db.engine).get_table_names()) >= CSODS_TABLES
        downgrade(revision="0003")
        assert not CSODS_TABLES & set(inspect(db.engine).get_table_names())
        upgrade()
        assert set(inspect(db.engine).get_table_names()) >= CSODS_TABLES
        db.session.remove()


def test_0013_the_discloser_column_goes_down_and_up_keeping_the_triggers(app: Flask) -> None:
    def columns() -> set[str]:
        return {c["name"] for c in inspect(db.engine).get_columns("csods_delivery")}

    with app.app_context():
        triggers = _triggers()
        assert triggers or db.engine.dialect.name != "sqlite"
        assert "disclosed_by" in columns()
        downgrade(revision="0012")
        assert "disclosed_by" not in columns()
        upgrade()
        assert "disclosed_by" in columns()
        assert _triggers() == triggers
        db.session.remove()


def _triggers(table: str = "csods_delivery") -> set[str]:
    """The triggers on ``table`` (SQLite's fact_version ones; none on PostgreSQL)."""
    if db.engine.dialect.name != "sqlite":
        return set()
    with db.engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (table,)
        )
        return {row[0] for row in rows}


def _stage_change_row(transition: str, from_stage: str = "DECIDED") -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "transition": transition,
        "from_stage": from_stage,
        "to_stage": "DECISION_FORUM",
        "at": datetime.now(UTC),
    }


def _insert_change(row: dict[str, Any], application_id: Any, by_id: Any) -> None:
    # A plain INSERT: the database's CHECK constraints decide, not the model.
    db.session.execute(
        insert(CsodsStageChange.__table__),
        {**row, "application_id": application_id, "by_id": by_id},
    )


def test_0014_stage_changes_allow_send_back_and_still_refuse_anything_else(
    world: Any, officer: Any
) -> None:
    """SQLite rebuilds csods_stage_change to change its CHECK: the other checks, the keys, the
    index and the fact_version triggers must come through it."""
    from tests.integration.csods.support import record

    application_id = record(officer)
    app = world.app
    with app.app_context():
        triggers = _triggers("csods_stage_change")
        assert triggers or db.engine.dialect.name != "sqlite"
        downgrade(revision="0013")
        upgrade()
        assert _triggers("csods_stage_change") == triggers
        indexes = {i["name"] for i in inspect(db.engine).get_indexes("csods_stage_change")}
        assert "ix_csods_stage_change_application_id" in indexes
        ids = (application_id, world.csods.id)
        with db.session.begin():
            _insert_change(_stage_change_row("SEND_BACK"), *ids)
        for bad in (_stage_change_row("NONSENSE"), _stage_change_row("SEND_BACK", "LIMBO")):
            with pytest.raises(IntegrityError), db.session.begin():
                _insert_change(bad, *ids)
        with pytest.raises(IntegrityError), db.session.begin():
            _insert_change(_stage_change_row("SEND_BACK"), uuid.uuid4(), world.csods.id)
        db.session.remove()
