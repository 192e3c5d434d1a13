"""Where a unit of work's transaction starts, and how often the database time is asked.

On PostgreSQL a page's unit of work continues the read transaction its request began (checking
the session, loading the user), and so does a ``reads_only`` page on SQLite in a GET; outside a
request, and for any other unit on SQLite (``BEGIN IMMEDIATE``), it starts its own. PostgreSQL's
``now()`` is the transaction's start, so it is asked once per transaction.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, text

from portal.core.clock import db_now
from portal.core.identity import Role
from portal.db.transaction import transaction
from portal.extensions import db
from tests.conftest import backend
from tests.helpers import sign_in

_CLOCK = {"SELECT now()", "SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')"}


@pytest.fixture
def seen(app: Flask) -> Iterator[dict[str, Any]]:
    """What the engine runs: statements, and transactions begun (the connection-level event)."""
    record: dict[str, Any] = {"statements": [], "begins": 0}

    def statement(_conn: Any, _cursor: Any, text: str, *_args: Any) -> None:
        record["statements"].append(" ".join(text.split()))

    def begin(_conn: Any) -> None:
        record["begins"] += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "begin", begin)
    yield record
    event.remove(engine, "before_cursor_execute", statement)
    event.remove(engine, "begin", begin)


def test_a_signed_in_page_is_one_transaction(app, client, factories, clock, seen):
    clock.advance(timedelta(seconds=31))  # a fresh TOTP step for the sign-in
    user = factories.user(roles=(Role.PROBATION_OFFICER,))
    assert sign_in(app, client, user).status_code == 302
    assert client.get("/shared").status_code == 200  # the first page may refresh last_seen_at
    seen["statements"].clear()
    seen["begins"] = 0

    assert client.get("/shared").status_code == 200  # a page rendered in a unit of work

    # The session check's read transaction is the page's unit of work: on PostgreSQL always; on
    # SQLite because the page reads only (reads_only=True) and writes no event, so it never
    # takes the write lock at all.
    assert seen["begins"] == 1
    assert not any(s.startswith("BEGIN IMMEDIATE") for s in seen["statements"])
    # The page's decision time: on PostgreSQL the session check's instant (one transaction, one
    # now()); SQLite's clock is the machine's, read without a statement.
    assert sum(s in _CLOCK for s in seen["statements"]) == (1 if backend() == "postgresql" else 0)


def _naive_utc(value: datetime | str) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def test_the_clock_is_the_databases_own_now_in_utc(app):
    own = {
        "postgresql": "SELECT now()",
        "sqlite": "SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')",
    }[backend()]
    with app.app_context(), transaction():
        before = db.session.execute(text(own)).scalar_one()
        moment = db_now()
        after = db.session.execute(text(own)).scalar_one()
    before, after = (_naive_utc(v) for v in (before, after))
    assert moment.utcoffset() == timedelta(0)
    # SQLite's 'now' is to the millisecond; the clock's reading lies between the two.
    naive = moment.replace(tzinfo=None)
    assert before - timedelta(milliseconds=1) <= naive <= after + timedelta(milliseconds=1)


def test_outside_a_request_a_unit_of_work_starts_its_own_transaction(app):
    # A CLI command may read, wait on its user, then write: its unit must judge time afresh.
    with app.app_context():
        read_at = db_now()  # on PostgreSQL, begins a read transaction
        time.sleep(0.05)
        with transaction():
            unit_at = db_now()
    assert unit_at - read_at >= timedelta(milliseconds=40)


def test_the_database_time_is_asked_once_per_transaction_on_postgresql(app, seen):
    with app.app_context():
        with transaction():
            first, second = db_now(), db_now()
        asked_in_first = sum(s in _CLOCK for s in seen["statements"])
        time.sleep(0.01)
        with transaction():
            later = db_now()
    on_postgresql = backend() == "postgresql"
    assert asked_in_first == (1 if on_postgresql else 0)
    assert first <= second < later
    assert sum(s in _CLOCK for s in seen["statements"]) == (2 if on_postgresql else 0)
