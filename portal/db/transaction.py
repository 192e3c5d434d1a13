"""The one place in ``portal/`` that commits or rolls back.

A request handler or CLI command wraps its unit of work in ``with transaction():``. Services and
repositories only flush. The response is rendered inside the block and returned after it, so
nothing protected leaves before its audit event is committed.

This module imports nothing above ``portal.db``: the access gate registers, through
:func:`on_rollback`, what must happen after a refused unit of work (recording ``AUTHZ_FAIL`` in a
short transaction of its own).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from portal.extensions import db

_IN_TRANSACTION = "portal.in_transaction"
_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "portal_write_intent", default=False
)

RollbackHandler = Callable[[BaseException], None]
_rollback_handlers: list[tuple[type[BaseException], RollbackHandler]] = []


class NestedTransactionError(RuntimeError):
    """``transaction()`` was entered inside another ``transaction()``."""


def on_rollback(exc_type: type[BaseException], handler: RollbackHandler) -> None:
    """Run ``handler(exc)`` after a transaction is rolled back because of ``exc_type``.

    The handler runs outside the failed unit of work; it may open its own ``transaction()``.
    Registering the same pair twice has no effect.
    """
    if (exc_type, handler) not in _rollback_handlers:
        _rollback_handlers.append((exc_type, handler))


@contextmanager
def transaction() -> Iterator[Session]:
    """Run one unit of work and commit it; the only commit in the portal.

    Any read-only transaction the request had already begun (loading the signed-in user, say)
    is closed first, so the unit of work starts fresh: on SQLite with ``BEGIN IMMEDIATE``, which
    takes the write lock up front and keeps audit-chain order equal to commit order.

    On any exception the work is rolled back, the registered rollback handlers run, and the
    exception propagates; a failed commit propagates too, so no response is built from it.

    :raises NestedTransactionError: if called inside another ``transaction()``.
    """
    session = db.session()
    if session.info.get(_IN_TRANSACTION):
        raise NestedTransactionError("transaction() is already open")
    _close_read(session)
    session.info[_IN_TRANSACTION] = True
    token = _write_intent.set(True)
    try:
        yield session
        session.commit()
    except BaseException as exc:
        session.rollback()
        session.info.pop(_IN_TRANSACTION, None)
        _write_intent.reset(token)
        _after_rollback(exc)
        raise
    finally:
        session.info.pop(_IN_TRANSACTION, None)
        if _write_intent.get():
            _write_intent.reset(token)


def in_transaction() -> bool:
    """True inside ``with transaction():`` (used by code that must only run inside one)."""
    return bool(db.session().info.get(_IN_TRANSACTION))


def _close_read(session: Session) -> None:
    if not session.in_transaction():
        return
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("changes were made outside transaction()")
    # Nothing was written: ending it with COMMIT keeps the loaded objects (no expiry).
    session.commit()


def _after_rollback(exc: BaseException) -> None:
    for exc_type, handler in _rollback_handlers:
        if isinstance(exc, exc_type):
            handler(exc)


def configure_engine(engine: Engine) -> None:
    """Give SQLite real transactions (SQLAlchemy's documented pysqlite recipe) and safe pragmas.

    pysqlite's own transaction handling is switched off; the engine emits ``BEGIN`` itself,
    ``BEGIN IMMEDIATE`` inside :func:`transaction`. Foreign keys are enforced, the journal is
    WAL and every commit is synced (``synchronous=FULL``): an acknowledged audit event is on disk.
    """
    if engine.dialect.name != "sqlite" or event.contains(engine, "begin", _begin):
        return

    event.listen(engine, "connect", _connect)
    event.listen(engine, "begin", _begin)


def _connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def _begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")
