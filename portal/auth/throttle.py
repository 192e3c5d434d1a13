"""Sign-in throttling per account name, identical for names that exist and names that don't.

After ``throttle_after`` consecutive failures each further attempt must wait, 30 seconds at
first and doubling up to an hour; an attempt made while waiting is refused unseen and still
counts. At ``hard_stop`` consecutive failures the name is locked until an agency administrator
unlocks it. A successful sign-in resets the count.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite

from portal.auth.models import LoginThrottle
from portal.extensions import db

BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)


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
    row = db.session.get(LoginThrottle, key)
    if row is None or row.failures == 0:
        return ThrottleState(failures=0, allowed=True, locked=False)
    if row.failures >= hard_stop:
        return ThrottleState(failures=row.failures, allowed=False, locked=True)
    wait = delay_after(row.failures, throttle_after)
    last = row.last_failure_at or now
    return ThrottleState(failures=row.failures, allowed=now >= last + wait, locked=False)


def record_failure(key: str, now: datetime) -> None:
    """Count one more consecutive failure, in the caller's transaction (race-free upsert)."""
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(LoginThrottle).values(key=key, failures=1, last_failure_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=[LoginThrottle.key],
        set_={"failures": LoginThrottle.failures + 1, "last_failure_at": now},
    )
    db.session.execute(stmt)


def reset(key: str) -> None:
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))
