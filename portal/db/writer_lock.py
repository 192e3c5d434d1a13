"""Queue SQLite writers on a file lock, so a waiting writer wakes the moment the lock is free.

SQLite lets one writer in at a time. A second ``BEGIN IMMEDIATE`` that finds the database locked
does not wait on anything it can be woken from: its busy handler sleeps 1, 2, 5, 10 ... 100 ms and
tries again, so under load the database sits idle between writers and an unlucky request waits
hundreds of milliseconds. ``transaction()`` on a SQLite file therefore first takes an exclusive
``flock`` on ``<database>.writers``, which the kernel hands to the next waiter as soon as it is
released, and releases it once the unit of work has committed or rolled back.

This is a queue, not the guarantee: SQLite's own lock still decides who writes (a process that
writes without ``transaction()``, a migration say, simply does not queue here), and PostgreSQL
needs none of it. Each acquisition opens the file afresh, so threads and forked processes never
share an open file (and so never share its lock), and closing it releases the lock.
"""

from __future__ import annotations

import fcntl
import os

from sqlalchemy.engine import URL

_NOT_HELD = -1


class WriterLock:
    """One SQLite database file's writer queue."""

    def __init__(self, path: str) -> None:
        self.path = path

    def acquire(self) -> int:
        """Wait for the lock; returns the handle to give :meth:`release`."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        return fd

    def release(self, handle: int) -> None:
        os.close(handle)  # closing the file releases its lock


class NoLock:
    """PostgreSQL (its row locks queue writers) and in-memory SQLite (one connection)."""

    def acquire(self) -> int:
        return _NOT_HELD

    def release(self, handle: int) -> None:
        return None


_NO_LOCK = NoLock()


def writer_lock(url: URL) -> WriterLock | NoLock:
    """The writer queue for the database at ``url`` (a no-op unless it is a SQLite file)."""
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return _NO_LOCK
    return WriterLock(os.path.abspath(database) + ".writers")
