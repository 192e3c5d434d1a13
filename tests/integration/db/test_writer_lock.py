"""SQLite writers queue on a file lock held for exactly the unit of work."""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import threading
import time
from pathlib import Path

import pytest
from flask import Flask

from portal.db import writer_lock as writer_lock_module
from portal.db.transaction import transaction
from portal.db.writer_lock import NoLock, WriterLock, writer_lock
from portal.extensions import db
from tests.conftest import backend


def _held_elsewhere(path: str) -> bool:
    """Whether another open file (as another process would have) finds the lock taken."""
    with open(path, "ab") as other:
        try:
            fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(other.fileno(), fcntl.LOCK_UN)
        return False


def _hold_for(path: str, seconds: float, held: object) -> None:
    lock = WriterLock(path)
    handle = lock.acquire()
    held.set()  # type: ignore[attr-defined]
    time.sleep(seconds)
    lock.release(handle)


def _acquire_while_another_process_holds(
    path: str, seconds: float
) -> tuple[WriterLock, int, float, multiprocessing.process.BaseProcess]:
    """Start a process that holds the lock for ``seconds``, then queue for it here.

    Returns the lock, its handle, how long the acquisition took and the holding process.
    """
    context = multiprocessing.get_context("fork")
    held = context.Event()
    holder = context.Process(target=_hold_for, args=(path, seconds, held))
    holder.start()
    assert held.wait(timeout=10)
    lock = WriterLock(path)
    started = time.monotonic()
    handle = lock.acquire()
    return lock, handle, time.monotonic() - started, holder


def test_a_writer_waits_for_another_process_and_goes_as_soon_as_it_releases(
    tmp_path: Path,
) -> None:
    path = str(tmp_path / "portal.db.writers")
    lock, handle, waited, holder = _acquire_while_another_process_holds(path, 0.5)
    lock.release(handle)
    holder.join(timeout=10)
    assert holder.exitcode == 0
    assert waited >= 0.3  # it queued behind the other process
    assert waited < 5  # and was woken, not left to time out


def test_a_writer_queues_no_longer_than_sqlites_busy_timeout_then_leaves_it_to_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer_lock_module, "WAIT_SECONDS", 0.2)
    path = str(tmp_path / "portal.db.writers")
    lock, handle, waited, holder = _acquire_while_another_process_holds(path, 2.0)
    assert 0.2 <= waited < 1.5
    assert _held_elsewhere(path)  # still the other process's
    lock.release(handle)  # nothing to release; the other process keeps its lock
    assert _held_elsewhere(path)
    holder.join(timeout=10)
    assert holder.exitcode == 0
    assert not _held_elsewhere(path)


def test_threads_of_one_process_queue_too(tmp_path: Path) -> None:
    path = str(tmp_path / "portal.db.writers")
    lock = WriterLock(path)
    inside: list[int] = []
    overlaps: list[int] = []

    def writer() -> None:
        for _ in range(50):
            handle = lock.acquire()
            inside.append(1)
            if len(inside) > 1:
                overlaps.append(1)
            time.sleep(0.0005)
            inside.pop()
            lock.release(handle)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not overlaps


@pytest.mark.skipif(backend() != "sqlite", reason="the queue exists for SQLite files only")
def test_transaction_holds_the_queue_for_the_unit_of_work_only(app: Flask) -> None:
    with app.app_context():
        lock = writer_lock(db.engine.url)
        assert isinstance(lock, WriterLock)
        database = os.path.abspath(db.engine.url.database or "")
        assert lock.path == database + ".writers"
        with transaction():
            assert _held_elsewhere(lock.path)
        assert not _held_elsewhere(lock.path)
        with pytest.raises(RuntimeError, match="injected"), transaction():  # noqa: PT012
            assert _held_elsewhere(lock.path)
            raise RuntimeError("injected")
        assert not _held_elsewhere(lock.path)
        # A second unit of work in the same thread is not blocked by the first.
        with transaction():
            pass


@pytest.mark.skipif(backend() != "postgresql", reason="PostgreSQL needs no queue")
def test_postgresql_has_no_writer_queue(app: Flask) -> None:
    with app.app_context():
        assert isinstance(writer_lock(db.engine.url), NoLock)
