"""Migration 0006 matches the governance models and the search indexes, and downgrades."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

import portal.all_models  # noqa: F401 - every table in the metadata
from portal.extensions import db
from portal.governance.models import SEARCH_INDEX_COLUMNS, search_index_name

MINE = ("ig_alert", "break_glass_window", "audit_event")


def _mine(diffs: list[Any]) -> list[Any]:
    return [d for d in diffs if any(name in repr(d) for name in MINE)]


def test_the_schema_matches_the_models_and_has_the_search_indexes(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, db.metadata)
        indexes = {i["name"] for i in inspect(connection).get_indexes("audit_event")}
    assert _mine(diffs) == []
    expected = {search_index_name(c) for c, _ in SEARCH_INDEX_COLUMNS} | {"ix_audit_event_at_seq"}
    assert expected <= indexes


def test_downgrade_and_upgrade_again(app: Flask) -> None:
    with app.app_context():
        downgrade(revision="0003")
        tables = set(inspect(db.engine).get_table_names())
        assert not {"ig_alert", "ig_alert_disposition", "break_glass_window"} & tables
        upgrade()
        assert "ig_alert_disposition" in set(inspect(db.engine).get_table_names())
        db.session.remove()
