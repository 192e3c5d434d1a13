"""Migrations 0005 and 0013: the CSODS tables match the models; down and up restore them."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

import portal.all_models  # noqa: F401 - every table in the metadata
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


def _triggers() -> set[str]:
    """The triggers on the delivery table (SQLite's fact_version ones; none on PostgreSQL)."""
    if db.engine.dialect.name != "sqlite":
        return set()
    with db.engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'csods_delivery'"
        )
        return {row[0] for row in rows}
