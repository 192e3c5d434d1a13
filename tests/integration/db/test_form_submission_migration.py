"""Migration 0012: ``form_submission`` matches its model and goes down and up."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

import portal.all_models  # noqa: F401 - every table in the metadata
from portal.extensions import db


def test_0012_the_form_submission_table_matches_the_model_and_goes_down_and_up(
    app: Flask,
) -> None:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, db.metadata)
    assert [d for d in diffs if "form_submission" in repr(d)] == []
    with app.app_context():
        downgrade(revision="0011")
        tables = set(inspect(db.engine).get_table_names())
        upgrade()
        again = set(inspect(db.engine).get_table_names())
        db.session.remove()
    assert "form_submission" not in tables
    assert "form_submission" in again
