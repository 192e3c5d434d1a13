"""Sign-in throttling per account name, identical for names that exist and names that don't.

After ``throttle_after`` consecutive failures each further attempt must wait, 30 seconds at
first and doubling up to an hour; an attempt made while waiting is refused unseen and still
counts. At ``hard_stop`` consecutive failures the name is locked until an agency administrator
unlocks it. A successful sign-in resets the count.

A name's row, once made, is never deleted: a reset sets the count back to zero. An attempt
waiting on the row's lock when another request resets it then wakes to the zeroed row; had
the row been deleted, PostgreSQL would hand the waiting ``SELECT ... FOR UPDATE`` no row at
all (and the attempt would fail uncounted).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from portal.auth.models import LoginThrottle
from portal.db.statements import conflict_insert
from portal.extensions import db

BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)
#: Tries at creating-and-locking a name's row before giving up (each retry follows a delete).
LOCK_ATTEMPTS = 3


def key_for(account_name: str) -> str:
    return hashlib.sha256(account_name.strip().lower().encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ThrottleState:
    failures: int
    allowed: bool
    locked: bool


def delay_after(failures: int, throttle_after: int) -> timedelta:
    if failures < throttle_after:
        return timedelta(0)
    exponent = min(failures - throttle_after, 16)
    delay: timedelta = min(BASE_DELAY * (2**exponent), MAX_DELAY)
    return delay


def state(key: str, now: datetime, *, throttle_after: int, hard_stop: int) -> ThrottleState:
    """The name's throttle as it stands (for showing it; an attempt uses :func:`begin_attempt`)."""
    return _judge(db.session.get(LoginThrottle, key), now, throttle_after, hard_stop)


def begin_attempt(key: str, now: datetime, *, throttle_after: int, hard_stop: int) -> ThrottleState:
    """The name's throttle for an attempt about to be checked. The row is created if need be
    and locked ``FOR UPDATE`` until the caller's transaction ends: attempts on one name made at
    the same moment queue here, and each is judged on the failures the ones before it recorded
    (SQLite's write lock already queues them)."""
    row: LoginThrottle | None = None
    for _ in range(LOCK_ATTEMPTS):
        row = _insert_and_lock(key)
        if row is not None:
            break
    if row is None:  # pragma: no cover - the row vanished under us every time
        raise RuntimeError("the sign-in throttle row could not be locked")
    return _judge(row, now, throttle_after, hard_stop)


def _insert_and_lock(key: str) -> LoginThrottle | None:
    """The name's row, created if missing, locked; None if it was deleted while we waited on
    its lock (nothing in the portal deletes one today, but the retry keeps that harmless)."""
    db.session.execute(
        conflict_insert()(LoginThrottle)
        .values(key=key, failures=0, last_failure_at=None)
        .on_conflict_do_nothing(index_elements=[LoginThrottle.key])
    )
    return db.session.execute(
        select(LoginThrottle)
        .where(LoginThrottle.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def _judge(
    row: LoginThrottle | None, now: datetime, throttle_after: int, hard_stop: int
) -> ThrottleState:
    if row is None or row.failures == 0:
        return ThrottleState(failures=0, allowed=True, locked=False)
    if row.failures >= hard_stop:
        return ThrottleState(failures=row.failures, allowed=False, locked=True)
    wait = delay_after(row.failures, throttle_after)
    last = row.last_failure_at or now
    return ThrottleState(failures=row.failures, allowed=now >= last + wait, locked=False)


def record_failure(key: str, now: datetime) -> None:
    """Count one more consecutive failure, in the caller's transaction (race-free upsert)."""
    stmt = conflict_insert()(LoginThrottle).values(key=key, failures=1, last_failure_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=[LoginThrottle.key],
        set_={"failures": LoginThrottle.failures + 1, "last_failure_at": now},
    )
    db.session.execute(stmt)


def reset(key: str) -> None:
    """Clear the name's consecutive failures, keeping its row (see the module docstring)."""
    db.session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == key)
        .values(failures=0, last_failure_at=None)
    )
