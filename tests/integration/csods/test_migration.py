"""Migration 0005: the CSODS tables match the models; down to 0003 removes them, up restores."""

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
