"""Migrations 0009 and 0011: ``mappa_action.minutes_version`` matches the model, existing
actions take the minutes version whose draft raised them; ``mappa_minutes_withheld`` matches
the model; both go down and up again."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, update

import portal.all_models  # noqa: F401 - every table in the metadata
from portal.extensions import db
from portal.meetings.models import MeetingAction
from tests.integration.meetings.conftest import MeetingWorld, distributed_meeting, post


def test_the_migrated_action_table_matches_the_model(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, db.metadata)
    assert [d for d in diffs if "mappa_action" in repr(d)] == []


def test_upgrade_gives_existing_actions_the_version_that_raised_them(
    mw: MeetingWorld, make_client: Any
) -> None:
    subject = mw.subject()
    chair = mw.browser(mw.coordinator, make_client)
    meeting_id, owned = distributed_meeting(mw, chair, subject)
    amend = post(chair, f"/meetings/{meeting_id}/amend", {"reason": "New intelligence"})
    assert amend.status_code == 302
    late = mw.add_action(chair, meeting_id, "probation", description="raised in version 2")
    table = MeetingAction.__table__
    with mw.app.app_context():
        downgrade(revision="0008")
        columns = {c["name"] for c in inspect(db.engine).get_columns("mappa_action")}
        assert "minutes_version" not in columns
        # An action older than every version of its minutes is taken as the first's.
        with db.engine.begin() as connection:
            connection.execute(
                update(table)
                .where(table.c.id == owned["csc"])
                .values(created_at=datetime(2020, 1, 1, tzinfo=UTC))
            )
        upgrade()
        with db.engine.connect() as connection:
            found = dict(connection.execute(select(table.c.id, table.c.minutes_version)).all())
        db.session.remove()
    assert found == {
        owned["probation"]: 1,
        owned["csc"]: 1,
        owned["housing"]: 1,
        late: 2,
    }


def test_0011_the_withheld_table_matches_the_model_and_goes_down_and_up(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, db.metadata)
    assert [d for d in diffs if "mappa_minutes_withheld" in repr(d)] == []
    with app.app_context():
        downgrade(revision="0010")
        tables = set(inspect(db.engine).get_table_names())
        upgrade()
        again = set(inspect(db.engine).get_table_names())
        db.session.remove()
    assert "mappa_minutes_withheld" not in tables
    assert "mappa_minutes_withheld" in again
