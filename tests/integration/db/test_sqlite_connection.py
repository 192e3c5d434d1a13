"""Every SQLite connection the portal opens enforces foreign keys, journals to a WAL, syncs every
commit to disk (an acknowledged audit event survives a power cut), keeps the WAL file bounded and
fires DELETE triggers for the rows REPLACE removes (so it cannot rewrite the access log)."""

from __future__ import annotations

import pytest
from flask import Flask

from portal.db.transaction import WAL_SIZE_LIMIT
from portal.extensions import db
from tests.conftest import backend

pytestmark = pytest.mark.skipif(backend() != "sqlite", reason="SQLite's connection settings")

#: PRAGMA synchronous reports FULL as 2.
FULL = 2


def test_a_new_connection_has_the_portals_settings(app: Flask) -> None:
    with app.app_context():
        db.engine.dispose()  # a connection opened now, not one a test left in the pool
        with db.engine.connect() as connection:

            def pragma(name: str) -> object:
                return connection.exec_driver_sql(f"PRAGMA {name}").scalar()

            assert pragma("foreign_keys") == 1
            assert pragma("journal_mode") == "wal"
            assert pragma("synchronous") == FULL
            assert pragma("journal_size_limit") == WAL_SIZE_LIMIT
            assert pragma("busy_timeout") == 10000
            assert pragma("recursive_triggers") == 1
