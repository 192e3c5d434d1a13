"""Time that decides validity comes from the database clock.

Grant expiry, session timeouts and audit times are judged against the database's ``now``, not
the web server's, so that every process agrees. The embedded SQLite database has no clock of its
own: its ``now`` is the operating system's clock of the machine every process of the portal runs
on, the one Python reads, so there it is read without a statement. Tests install a
:class:`ShiftedClock` to move time forward without waiting.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol, cast

from flask import current_app, has_app_context
from sqlalchemy import text

from portal.core.uk_time import uk_day
from portal.extensions import db

#: Where the session keeps the database time it last read, with the transaction it was read in.
_KNOWN = "portal.clock.now"
_NOW = text("SELECT now()")


class Clock(Protocol):
    def now(self) -> datetime: ...


class DatabaseClock:
    """The database's current time (the transaction's start time on PostgreSQL), in UTC.

    On SQLite, the time of the machine the database file is on (SQLite's own ``'now'``).
    """

    def now(self) -> datetime:
        session = db.session()
        if session.get_bind().dialect.name != "postgresql":
            # SQLite's 'now' reads this machine's clock, as datetime.now() does (SQLite keeps
            # milliseconds, Python microseconds): a statement would only add its own cost.
            return datetime.now(UTC)
        # On the session's connection, without a flush: the time needs nothing the unit has
        # pending (as the session's own execute of a text() statement never flushed either).
        connection = session.connection()
        # now() is the transaction's start: asked again in the same transaction, it is the same
        # instant, so it is asked once per transaction (connection() has begun one).
        transaction = session.get_transaction()
        known = session.info.get(_KNOWN)
        if known is not None and known[0] is transaction:
            return cast(datetime, known[1])
        moment = connection.execute(_NOW).scalar_one()
        if not isinstance(moment, datetime):
            raise TypeError("the database clock did not return a time")
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        session.info[_KNOWN] = (transaction, moment)
        return moment


class ShiftedClock:
    """The database clock moved by an offset the caller controls (tests and drills only)."""

    def __init__(self, base: Clock | None = None) -> None:
        self.base = base or DatabaseClock()
        self.offset = timedelta(0)

    def advance(self, delta: timedelta) -> None:
        self.offset += delta

    def now(self) -> datetime:
        return self.base.now() + self.offset


def current_clock() -> Clock:
    clock: Clock = current_app.extensions["portal.clock"]
    return clock


def db_now() -> datetime:
    """The time that decides validity: the database clock (or the test's shifted clock)."""
    return current_clock().now()


def uk_today() -> date:
    """Today in the UK on the database clock; the machine's clock outside the portal (a form
    built with no application, as in a unit test)."""
    return uk_day(db_now() if has_app_context() else datetime.now(UTC))
