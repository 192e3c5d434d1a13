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
from typing import Any, TypeVar, cast

from flask import has_request_context, request
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from portal.db.writer_lock import writer_lock
from portal.extensions import db

_IN_TRANSACTION = "portal.in_transaction"
_UNIT = "portal.unit_of_work"
_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "portal_write_intent", default=False
)

#: Set while a request runs again after :class:`StaleRead`: every unit takes the lock first.
_lock_first: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "portal_lock_first", default=False
)
#: In a request's WSGI environ once one of its units of work has committed.
_COMMITTED = "portal.unit_committed"
_SAFE_METHODS = frozenset({"GET", "HEAD"})
_FACT_VERSION = text("SELECT version FROM fact_version WHERE id = 1")
T = TypeVar("T")

RollbackHandler = Callable[[BaseException], None]
_rollback_handlers: list[tuple[type[BaseException], RollbackHandler]] = []
CommitHandler = Callable[[Session], None]
_commit_handlers: list[CommitHandler] = []


class NestedTransactionError(RuntimeError):
    """``transaction()`` was entered inside another ``transaction()``."""


class StaleRead(RuntimeError):
    """What a ``reads_only`` unit read changed before its events could be written.

    Nothing was written. :func:`run_again_if_stale` (the portal's request dispatch) runs the
    request again with every unit taking the lock first.
    """


class WriteInReadsOnlyUnit(RuntimeError):
    """A ``transaction(reads_only=True)`` unit tried to change something other than the log."""


def before_commit(handler: CommitHandler) -> None:
    """Run ``handler(session)`` as the last work of every unit of work, just before COMMIT.

    The handler runs inside the transaction: whatever it writes commits with the rest, and if
    it raises, the whole unit of work rolls back. The access log writes the events the gate
    queued here, so the chain-head lock is held only for the insert and the commit. Registering
    the same handler twice has no effect.
    """
    if handler not in _commit_handlers:
        _commit_handlers.append(handler)


def on_rollback(exc_type: type[BaseException], handler: RollbackHandler) -> None:
    """Run ``handler(exc)`` after a transaction is rolled back because of ``exc_type``.

    The handler runs outside the failed unit of work; it may open its own ``transaction()``.
    Registering the same pair twice has no effect.
    """
    if (exc_type, handler) not in _rollback_handlers:
        _rollback_handlers.append((exc_type, handler))


@contextmanager
def transaction(*, reads_only: bool = False) -> Iterator[Session]:
    """Run one unit of work and commit it; the only commit in the portal.

    A read-only transaction already begun (loading the signed-in user, say) is closed first, so
    the unit of work starts fresh: on SQLite with ``BEGIN IMMEDIATE``, which takes the write
    lock up front and keeps audit-chain order equal to commit order, after queueing for it on
    the file lock of :mod:`portal.db.writer_lock`. On PostgreSQL, inside a web request, the
    unit of work continues the request's own read transaction instead (see :func:`_close_read`).

    ``reads_only=True`` declares a unit that changes nothing but the access log (a page that
    shows protected data and records that it did). It may not add, change or delete anything
    else (:class:`WriteInReadsOnlyUnit`). On SQLite, in a GET request, such a unit reads and
    renders without the write lock and takes it only to write its events (see
    :func:`_reads_first`); everywhere else it runs as any other unit.

    On any exception the work is rolled back, the registered rollback handlers run, and the
    exception propagates; a failed commit propagates too, so no response is built from it.

    :raises NestedTransactionError: if called inside another ``transaction()``.
    """
    session = db.session()
    if session.info.get(_IN_TRANSACTION):
        raise NestedTransactionError("transaction() is already open")
    if reads_only and _may_read_first(session):
        yield from _reads_first(session)
        return
    _close_read(session)
    writers = writer_lock(session.get_bind().engine.url)
    held = writers.acquire()
    queued = True
    _open_unit(session)
    token = _write_intent.set(True)
    try:
        yield session
        if reads_only:
            _refuse_changes(session)
        _commit_unit(session)
    except BaseException as exc:
        session.rollback()
        # The unit's state (events queued for its commit, say) goes before any handler runs,
        # and so does the writer queue: a handler may open a transaction of its own.
        _close_unit(session)
        _write_intent.reset(token)
        queued = False
        writers.release(held)
        _after_rollback(exc)
        raise
    finally:
        _close_unit(session)
        if _write_intent.get():
            _write_intent.reset(token)
        if queued:
            writers.release(held)


def _may_read_first(session: Session) -> bool:
    """A ``reads_only`` unit reads first on SQLite, in a GET request nothing has committed in.

    Only then can :class:`StaleRead` be answered by running the request again: a GET changes
    nothing, and no earlier unit of the request would be repeated.
    """
    return (
        not _lock_first.get()
        and has_request_context()
        and request.method in _SAFE_METHODS
        and not request.environ.get(_COMMITTED)
        and session.get_bind().dialect.name == "sqlite"
    )


def _reads_first(session: Session) -> Iterator[Session]:
    """A ``reads_only`` unit on SQLite: read and render first, then lock, check, write, commit.

    SQLite has one write lock, and a unit that begins ``BEGIN IMMEDIATE`` holds it while it
    reads, decides and renders, so every page waits for every other. Here the unit instead
    continues the request's read transaction (one snapshot: the session check, the user, the
    page), refuses the unit if it changed any row (the ORM's pending changes, and the
    connection's ``total_changes`` for anything already sent), and notes ``fact_version``,
    which triggers advance on every change to every table but the access log's own
    (migration 0007). The snapshot then ends, the unit queues for the lock as any
    writer does, and the commit handlers write its events in a ``BEGIN IMMEDIATE`` transaction.
    That commits only if ``fact_version`` is unchanged: nothing the gate decided on or the page
    shows has changed, so the events are what a unit holding the lock throughout would have
    written, in the order it would have written them. If it has changed, nothing is written and
    :class:`StaleRead` is raised for the request to run again, lock first.
    """
    _refuse_outside_changes(session)
    _open_unit(session)
    try:
        raw = session.connection().connection.dbapi_connection
        if raw is None:  # pragma: no cover - a checked-out connection always has one
            raise RuntimeError("no database connection")
        # Counted, not prevented (``PRAGMA query_only`` would): setting a pragma expires every
        # statement SQLite has prepared on the connection, so each view would compile all its
        # statements again. A row written here is found before the snapshot ends and rolled back.
        written_before = raw.total_changes
        yield session
        _refuse_changes(session)
        if raw.total_changes != written_before:
            raise WriteInReadsOnlyUnit("a reads_only unit of work may only write access-log events")
        read_at = _fact_version(session)
        session.commit()  # ends the snapshot; nothing was written
        writers = writer_lock(session.get_bind().engine.url)
        held = writers.acquire()
        token = _write_intent.set(True)
        try:
            _commit_unit(session, read_at=read_at)
        except BaseException:
            session.rollback()  # before the queue moves on: SQLite's lock goes with it
            raise
        finally:
            _write_intent.reset(token)
            writers.release(held)
    except BaseException as exc:
        session.rollback()
        _close_unit(session)
        if not isinstance(exc, StaleRead):
            _after_rollback(exc)
        raise
    finally:
        _close_unit(session)


def _open_unit(session: Session) -> None:
    session.info[_IN_TRANSACTION] = True
    session.info[_UNIT] = {}


def _close_unit(session: Session) -> None:
    session.info.pop(_IN_TRANSACTION, None)
    session.info.pop(_UNIT, None)


def _commit_unit(session: Session, *, read_at: int | None = None) -> None:
    """The unit's last step: the commit handlers (the access log's events), then COMMIT.

    ``read_at`` is the ``fact_version`` a reads-first unit read at: if a handler wrote, which
    holds the lock from its ``BEGIN IMMEDIATE``, the version must still be that.

    :raises StaleRead: the version has moved; nothing is committed.
    """
    for handler in _commit_handlers:
        handler(session)
    began = session.in_transaction()
    if began and read_at is not None and _fact_version(session) != read_at:
        raise StaleRead("what the page read changed before its events were written")
    session.commit()
    if began and has_request_context():
        request.environ[_COMMITTED] = True


def _fact_version(session: Session) -> int:
    return int(session.connection().execute(_FACT_VERSION).scalar_one())


def _has_changes(session: Session) -> bool:
    return bool(session.new or session.dirty or session.deleted)


def _refuse_outside_changes(session: Session) -> None:
    if _has_changes(session):
        raise RuntimeError("changes were made outside transaction()")


def _refuse_changes(session: Session) -> None:
    if _has_changes(session):
        raise WriteInReadsOnlyUnit("a reads_only unit of work may only write access-log events")


def run_again_if_stale(dispatch: Callable[[], T]) -> T:
    """Run ``dispatch`` (a request's view); after :class:`StaleRead`, once more, lock first."""
    try:
        return dispatch()
    except StaleRead:
        token = _lock_first.set(True)
        try:
            return dispatch()
        finally:
            _lock_first.reset(token)


def in_transaction() -> bool:
    """True inside ``with transaction():`` (used by code that must only run inside one)."""
    return bool(db.session().info.get(_IN_TRANSACTION))


def unit_state(session: Session | None = None) -> dict[str, Any]:
    """Scratch state that lives exactly as long as the current ``transaction()``.

    Dropped when the unit of work commits or rolls back, before any rollback handler runs.

    :raises RuntimeError: outside ``transaction()``.
    """
    state = (session or db.session()).info.get(_UNIT)
    if state is None:
        raise RuntimeError("unit_state() is only available inside transaction()")
    return cast(dict[str, Any], state)


def _close_read(session: Session) -> None:
    """End the read-only transaction already begun, unless the unit of work may continue it.

    On PostgreSQL (READ COMMITTED: every statement sees what was committed before it began,
    whenever its transaction began) the unit of work continues a read transaction this same web
    request began, checking the session and loading the user a moment earlier: two round trips
    fewer on every page, and the database time (``now()``, the transaction's start) is the
    instant the request was checked at. A read begun outside a request (a CLI command, which
    may have waited on its user) is ended, so time is never judged at a stale instant.
    """
    if not session.in_transaction():
        return
    _refuse_outside_changes(session)
    if has_request_context() and session.get_bind().dialect.name == "postgresql":
        return
    # Nothing was written: ending it with COMMIT keeps the loaded objects (no expiry).
    session.commit()


def _after_rollback(exc: BaseException) -> None:
    for exc_type, handler in _rollback_handlers:
        if isinstance(exc, exc_type):
            handler(exc)


#: Bytes of WAL file kept after a checkpoint restarts it (SQLite's ``journal_size_limit``).
WAL_SIZE_LIMIT = 64 * 1024 * 1024


def configure_engine(engine: Engine) -> None:
    """Give SQLite real transactions (SQLAlchemy's documented pysqlite recipe) and safe pragmas.

    pysqlite's own transaction handling is switched off; the engine emits ``BEGIN`` itself,
    ``BEGIN IMMEDIATE`` inside :func:`transaction`. Foreign keys are enforced, the journal is
    WAL and every commit is synced (``synchronous=FULL``): an acknowledged audit event is on disk.
    The WAL file is cut back to ``WAL_SIZE_LIMIT`` whenever it restarts, so a burst of pages read
    while others write (a reader holds back the checkpoint) does not keep its disk space.
    ``recursive_triggers`` is on because only then does SQLite fire DELETE triggers for the rows
    that ``INSERT OR REPLACE`` removes: without it, REPLACE rewrites an access-log row, or moves
    the chain head back, past the append-only triggers of migration 0002.
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
    cursor.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
    cursor.execute("PRAGMA recursive_triggers=ON")
    cursor.close()


def _begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")
