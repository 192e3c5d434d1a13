"""Queue SQLite writers on a file lock, so a waiting writer goes within a millisecond of its turn.

SQLite lets one writer in at a time. A second ``BEGIN IMMEDIATE`` that finds the database locked
does not wait on anything it can be woken from: its busy handler sleeps 1, 2, 5, 10 ... 100 ms and
tries again, so under load the database sits idle between writers and an unlucky request waits
hundreds of milliseconds. ``transaction()`` on a SQLite file therefore first takes an exclusive
``flock`` on ``<database>.writers`` (asking again every 0.1-1 ms while it is taken), and
releases it once the unit of work has committed or rolled back.

This is a queue, not the guarantee: SQLite's own lock still decides who writes (a process that
writes without ``transaction()``, a migration say, simply does not queue here), and PostgreSQL
needs none of it. Each acquisition opens the file afresh, so threads and forked processes never
share an open file (and so never share its lock), and closing it releases the lock. A writer
waits at most :data:`WAIT_SECONDS` (SQLite's own busy timeout) checking every millisecond at
most, then goes on without the queue and leaves the decision to SQLite, as before it existed.
"""

from __future__ import annotations

import fcntl
import functools
import os
import time

from sqlalchemy.engine import URL

_NOT_HELD = -1
#: How long a writer queues before leaving it to SQLite's busy handler (``busy_timeout``).
WAIT_SECONDS = 10.0
_LONGEST_PAUSE = 0.001


class WriterLock:
    """One SQLite database file's writer queue."""

    def __init__(self, path: str) -> None:
        self.path = path

    def acquire(self) -> int:
        """Wait for the lock; returns the handle to give :meth:`release`."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        deadline = time.monotonic() + WAIT_SECONDS
        pause = 0.0001
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return fd
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        os.close(fd)
                        return _NOT_HELD
                    time.sleep(pause)
                    pause = min(pause * 2, _LONGEST_PAUSE)
        except BaseException:
            os.close(fd)
            raise

    def release(self, handle: int) -> None:
        if handle != _NOT_HELD:
            os.close(handle)  # closing the file releases its lock


class NoLock:
    """PostgreSQL (its row locks queue writers) and in-memory SQLite (one connection)."""

    def acquire(self) -> int:
        return _NOT_HELD

    def release(self, handle: int) -> None:
        return None


_NO_LOCK = NoLock()


@functools.lru_cache(maxsize=64)
def writer_lock(url: URL) -> WriterLock | NoLock:
    """The writer queue for the database at ``url`` (a no-op unless it is a SQLite file).

    Worked out once per database: every unit of work asks.
    """
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return _NO_LOCK
    return WriterLock(os.path.abspath(database) + ".writers")
