"""Fill the access log with N realistic, correctly hash-chained events, then sign a checkpoint.

Usage:

    .venv/bin/python bench/generate_events.py --url DATABASE_URL --events 1000000 [--state DIR]

The database is migrated if needed. Events look like a live portal's: about six months up to
now, mostly in working hours on weekdays, ~60 users in 10 agencies, 2,500 subjects with their
records and grants, every event type, the lawful-basis codes and markings in use. They are
built with the portal's own event factories (so every value passes the log's patterns), turned
into bodies by ``portal.audit.body`` and chained by ``portal.audit.chain.link_hash``: exactly the
bytes the recorder would write.

On PostgreSQL the rows go in with ``COPY`` in one transaction in which the chain-check trigger
(``audit_event_extends_head``, which re-hashes each row) and the head guard are disabled; the
head is set once at the end and the triggers are enabled again before COMMIT, so no other
session ever sees them off. This needs the table owner (or a superuser). ``flask audit verify``
afterwards re-proves the whole chain. On SQLite rows are inserted in batches through the
ordinary triggers. A signed checkpoint ends the run; keys and published checkpoints live in
``--state`` (default ``/tmp/portal-generate-events``).
"""

from __future__ import annotations

import argparse
import bisect
import random
import secrets
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import Table, insert, select, text

from portal import create_app
from portal.audit import events
from portal.audit.chain import link_hash
from portal.audit.checkpoints import (
    generate_key,
    load_private_key,
    take_checkpoint,
    write_checkpoint_file,
)
from portal.audit.events import (
    EventType,
    canonical_json,
    event_body,
    format_time,
    search_columns,
)
from portal.audit.models import AuditEventRow, AuditHead
from portal.config import Settings
from portal.db.transaction import transaction
from portal.extensions import db

COLUMNS = [c.name for c in cast(Table, AuditEventRow.__table__).columns]
DAYS = 182
AGENCIES = 10
USERS = 60
SUBJECTS = 2500

GATEWAYS = (
    "GW-CJA03-S325",
    "GW-CJA03-S327A",
    "GW-CDA98-S115",
    "GW-OMA07-S14",
    "GW-CA89-S47",
    "GW-CA89-S17",
    "GW-CA04-S11",
    "GW-DVDS-DAA21",
)
DP_CONDITIONS = (
    "DP3-S35-LE",
    "DP3-SCH8-1",
    "DP3-SCH8-2",
    "DP3-SCH8-4",
    "GDPR-6-1-E",
    "GDPR-10-SCH1",
)
MARKINGS = (
    "OFFICIAL",
    "OFFICIAL-SENSITIVE",
    "OFFICIAL-SENSITIVE - PERSONAL DATA",
    "OFFICIAL-SENSITIVE - RECIPIENTS ONLY - PERSONAL DATA",
    "OFFICIAL-SENSITIVE - PERSONAL DATA - LEGAL PROFESSIONAL PRIVILEGE",
    "OFFICIAL - PERSONAL DATA",
)
JUSTIFICATIONS = (
    "MAPPA level 2 meeting preparation",
    "Risk assessment review for the visit on Thursday",
    "Safeguarding strategy discussion",
    "Housing allocation check under the information sharing agreement",
    "Home visit planning with the offender manager",
)
#: (event type, weight per 1,000 events).
MIX: tuple[tuple[EventType, int], ...] = (
    (EventType.CONSULTATION, 560),
    (EventType.DISCLOSURE, 70),
    (EventType.COLLECTION, 35),
    (EventType.ALTERATION, 50),
    (EventType.COMBINATION, 10),
    (EventType.ERASURE, 5),
    (EventType.AUTHZ_FAIL, 30),
    (EventType.LOGIN, 80),
    (EventType.LOGIN_FAILED, 10),
    (EventType.LOGOUT, 60),
    (EventType.SESSION_ENDED, 20),
    (EventType.MFA_RESET, 2),
    (EventType.USER_CHANGED, 4),
    (EventType.GRANT_CHANGED, 30),
    (EventType.BREAK_GLASS, 2),
    (EventType.LOG_READ, 25),
    (EventType.LOG_EXPORTED, 2),
    (EventType.CHECKPOINT, 5),
)


@dataclass(frozen=True)
class Person:
    user_id: uuid.UUID
    agency_id: uuid.UUID


@dataclass(frozen=True)
class Grant:
    grant_id: uuid.UUID
    subject_id: uuid.UUID
    agency_id: uuid.UUID
    legal_gateway: str
    dp_condition: str


class World:
    """The people, subjects, records and grants the events talk about."""

    def __init__(self, rng: random.Random) -> None:
        def new_id() -> uuid.UUID:
            return uuid.UUID(int=rng.getrandbits(128), version=4)

        self.agencies = [new_id() for _ in range(AGENCIES)]
        self.people = [Person(new_id(), self.agencies[i % AGENCIES]) for i in range(USERS)]
        self.subjects = [new_id() for _ in range(SUBJECTS)]
        self.markings = {s: rng.choice(MARKINGS) for s in self.subjects}
        self.records = {s: [new_id() for _ in range(rng.randint(1, 5))] for s in self.subjects}
        self.grants: dict[uuid.UUID, list[Grant]] = {}
        for subject in self.subjects:
            self.grants[subject] = [
                Grant(new_id(), subject, agency, rng.choice(GATEWAYS), rng.choice(DP_CONDITIONS))
                for agency in rng.sample(self.agencies[3:], rng.randint(1, 3))
            ]
        self.request_seed = rng.getrandbits(64)


def event_times(rng: random.Random, count: int, end: datetime) -> list[datetime]:
    """``count`` times over the ``DAYS`` days before ``end``, in order: weekdays busier than
    weekends, working hours busier than nights."""
    start = end - timedelta(days=DAYS)
    hours = [(start + timedelta(hours=h)) for h in range(DAYS * 24)]
    weights = []
    for moment in hours:
        local_hour = moment.hour
        weekday = moment.weekday() < 5
        weight = 10.0 if 7 <= local_hour < 19 else 0.6
        weights.append(weight * (1.0 if weekday else 0.25))
    cumulative = []
    total = 0.0
    for weight in weights:
        total += weight
        cumulative.append(total)
    micros = []
    for _ in range(count):
        hour = bisect.bisect_left(cumulative, rng.random() * total)
        micros.append(hour * 3_600_000_000 + rng.randrange(3_600_000_000))
    micros.sort()
    last = (end - start) // timedelta(microseconds=1) - 1
    return [start + timedelta(microseconds=min(m, last)) for m in micros]


def make_event(  # noqa: C901 - one branch per event type
    rng: random.Random, world: World, kind: EventType, n: int
) -> events.AuditEvent:
    who = rng.choice(world.people)
    rid = f"{(world.request_seed + n) & ((1 << 64) - 1):016x}{n:016x}"
    subject = rng.choice(world.subjects)
    marking = world.markings[subject]
    grant = rng.choice(world.grants[subject])
    record = rng.choice(world.records[subject]) if rng.random() < 0.6 else None
    if kind in events.PROCESSING_TYPES:
        shared = rng.random() < 0.55
        actor = Person(who.user_id, grant.agency_id) if shared else who
        return events.processing(
            kind,
            actor,
            subject_id=subject,
            record_id=record,
            grant_id=grant.grant_id if shared else None,
            legal_gateway=grant.legal_gateway if shared else "GW-CL-POLICING",
            dp_condition=grant.dp_condition if shared else "DP3-S35-LE",
            justification=rng.choice(JUSTIFICATIONS) if shared else None,
            marking=marking,
            recipients=("Probation (North)",) if kind is EventType.DISCLOSURE else (),
            detail={"purpose": "view"},
            request_id=rid,
        )
    if kind is EventType.AUTHZ_FAIL:
        reason = rng.choice(("no_grant", "grant_expired", "grant_revoked", "clearance", "role"))
        return events.authz_fail(
            who, reason=reason, subject_id=subject, grant_id=grant.grant_id, request_id=rid
        )
    if kind is EventType.LOGIN:
        return events.login(
            user_id=who.user_id, agency_id=who.agency_id, method="password+totp", request_id=rid
        )
    if kind is EventType.LOGIN_FAILED:
        return events.login_failed(
            reason="bad_password", method="password", user_id=who.user_id, request_id=rid
        )
    if kind is EventType.LOGOUT:
        return events.logout(user_id=who.user_id, agency_id=who.agency_id, request_id=rid)
    if kind is EventType.SESSION_ENDED:
        return events.session_ended(user_id=who.user_id, reason="idle_timeout", request_id=rid)
    if kind is EventType.MFA_RESET:
        return events.mfa_reset(who, user_id=rng.choice(world.people).user_id, request_id=rid)
    if kind is EventType.USER_CHANGED:
        return events.user_changed(
            who, user_id=rng.choice(world.people).user_id, reason="roles_changed", request_id=rid
        )
    if kind is EventType.GRANT_CHANGED:
        return events.grant_changed(
            who,
            grant_id=grant.grant_id,
            reason=rng.choice(("granted", "renewed", "revoked", "requested", "approved")),
            subject_id=subject,
            legal_gateway=grant.legal_gateway,
            dp_condition=grant.dp_condition,
            request_id=rid,
        )
    if kind is EventType.BREAK_GLASS:
        return events.break_glass(
            who,
            subject_id=subject,
            justification="Immediate risk to a child reported out of hours by the duty team",
            marking=marking,
            request_id=rid,
        )
    if kind is EventType.LOG_READ:
        return events.log_read(who, detail={"filter_subject_id": subject.hex}, request_id=rid)
    if kind is EventType.LOG_EXPORTED:
        return events.log_exported(
            who,
            recipients=("Information Commissioner's Office",),
            detail={"format": "csv"},
            request_id=rid,
        )
    return events.checkpoint(key_id="0123456789abcdef", request_id=rid)


POOL = 40_000


def rows(app: Flask, count: int, seed: int) -> Iterator[tuple[dict[str, Any], int]]:
    """(column values, seq) for ``count`` new events after the current head, in order.

    A pool of distinct events is built through the portal's event factories (every value
    checked against the log's patterns) and turned into bodies and search columns by
    ``portal.audit.body``; each generated event is one of them with its own time and request
    id, serialised by ``canonical_json`` and chained by ``link_hash``.
    """
    rng = random.Random(seed)
    world = World(rng)
    kinds = [kind for kind, _ in MIX]
    weights = [weight for _, weight in MIX]
    with app.app_context():
        head = db.session.execute(select(AuditHead.seq, AuditHead.hash)).one()
        db_end = db.session.execute(text("SELECT CURRENT_TIMESTAMP")).scalar_one()
        db.session.remove()
    end = db_end if isinstance(db_end, datetime) else datetime.fromisoformat(str(db_end))
    end = (end if end.tzinfo else end.replace(tzinfo=UTC)) - timedelta(seconds=1)
    seq, prev = int(head[0]), bytes(head[1])
    # Every type at least once, whatever the count.
    size = min(count, POOL)
    chosen = kinds + rng.choices(kinds, weights, k=max(0, size - len(kinds)))
    pool = []
    for n, kind in enumerate(chosen[:size]):
        body = event_body(make_event(rng, world, kind, n), end)
        pool.append((body, search_columns(body)))
    order = list(range(len(pool))) + [rng.randrange(len(pool)) for _ in range(count - len(pool))]
    rng.shuffle(order)
    request_base = rng.getrandbits(64)
    for n, at in enumerate(event_times(rng, count, end)):
        template, columns = pool[order[n]]
        body = dict(template)
        body["at"] = format_time(at)
        body["request_id"] = f"{request_base:016x}{n:016x}"
        body_text = canonical_json(body)
        seq += 1
        row_hash = link_hash(prev, seq, body_text)
        values = dict(columns)
        values.update(
            recorded_at=at,
            request_id=body["request_id"],
            seq=seq,
            body=body_text,
            prev_hash=prev,
            row_hash=row_hash,
        )
        yield values, seq
        prev = row_hash


def make_app(url: str, state: Path) -> Flask:
    state.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        env="development",
        secret_key=secrets.token_urlsafe(48),
        database_url=url,
        instance_path=state,
        checkpoint_key_path=state / "checkpoint.key",
        checkpoint_dir=state / "checkpoints",
    )
    app = create_app(settings)
    with app.app_context():
        upgrade()
        db.session.remove()
    if not (state / "checkpoint.key").exists():
        generate_key(state / "checkpoint.key")
    return app


def _drop_indexes_for_load(cur: Any, count: int) -> list[str]:
    """When the load is larger than what is there, drop the secondary indexes of
    ``audit_event`` (returning their definitions to recreate them before COMMIT): building an
    index once by sorting is far cheaper than maintaining it row by row."""
    cur.execute("SELECT count(*) FROM audit_event")
    existing = cur.fetchone()[0]
    if count < max(50_000, existing):
        return []
    cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
    cur.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes AS i "
        "JOIN pg_class AS c ON c.relname = i.indexname "
        "JOIN pg_index AS x ON x.indexrelid = c.oid "
        "WHERE i.tablename = 'audit_event' AND i.schemaname = current_schema() "
        "AND NOT x.indisprimary ORDER BY i.indexname"
    )
    found = cur.fetchall()
    for name, _ in found:
        cur.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in found]


def load_postgresql(app: Flask, count: int, seed: int, report: Any) -> int:
    """COPY the events in one transaction with the chain triggers off; returns the last seq."""
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            conn = cast(Any, raw).driver_connection
            with conn.cursor() as cur:
                cur.execute("SET LOCAL synchronous_commit = on")
                cur.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_extends_head")
                cur.execute("ALTER TABLE audit_head DISABLE TRIGGER audit_head_guard")
                rebuild = _drop_indexes_for_load(cur, count)
                last_seq, last_hash = None, None
                sql = f"COPY audit_event ({', '.join(COLUMNS)}) FROM STDIN"
                with cur.copy(sql) as copy:
                    for values, seq in rows(app, count, seed):
                        copy.write_row([values[c] for c in COLUMNS])
                        last_seq, last_hash = seq, values["row_hash"]
                        if seq % 100_000 == 0:
                            report(f"seq {seq:,}")
                if last_seq is not None:
                    cur.execute(
                        "UPDATE audit_head SET seq = %s, hash = %s WHERE id = 1",
                        (last_seq, last_hash),
                    )
                for definition in rebuild:
                    cur.execute(definition)
                if rebuild:
                    report(f"indexes rebuilt ({len(rebuild)})")
                cur.execute("ALTER TABLE audit_head ENABLE TRIGGER audit_head_guard")
                cur.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_extends_head")
                cur.execute("ANALYZE audit_event")
            conn.commit()
        finally:
            raw.close()
    return last_seq or 0


def load_sqlite(app: Flask, count: int, seed: int, report: Any, batch: int = 2000) -> int:
    """Insert in batches through the ordinary triggers (SQLite: small runs and tests)."""
    table = cast(Table, AuditEventRow.__table__)
    pending: list[dict[str, Any]] = []
    last = 0
    with app.app_context():
        for values, seq in rows(app, count, seed):
            pending.append(values)
            last = seq
            if len(pending) >= batch:
                with transaction() as session:
                    session.execute(insert(table), pending)
                pending = []
                report(f"seq {seq:,}")
        if pending:
            with transaction() as session:
                session.execute(insert(table), pending)
        db.session.remove()
    return last


def checkpoint(app: Flask, state: Path) -> int:
    with app.app_context():
        key = load_private_key(state / "checkpoint.key")
        with transaction() as session:
            signed = take_checkpoint(session, key)
        write_checkpoint_file(signed, state / "checkpoints")
        db.session.remove()
    return signed.seq


def _set_aside_foreign_checkpoints(app: Flask, state: Path) -> None:
    """Published checkpoints in ``state`` that are beyond this database's head belong to
    another database (an earlier run): move them aside, or verification would report them."""
    directory = state / "checkpoints"
    if not directory.is_dir():
        return
    with app.app_context():
        head = int(db.session.execute(select(AuditHead.seq)).scalar_one())
        db.session.remove()
    published = sorted(directory.glob("checkpoint-*.json"))
    if published and (head == 0 or int(published[-1].stem.split("-")[1]) > head):
        aside = state / f"checkpoints.old-{int(time.time())}"
        directory.rename(aside)
        print(f"moved checkpoints of another database aside to {aside}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="SQLAlchemy database URL")
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument(
        "--state", type=Path, default=Path(tempfile.gettempdir()) / "portal-generate-events"
    )
    parser.add_argument("--seed", type=int, default=20261123)
    args = parser.parse_args(argv)
    if args.events < 0:
        parser.error("--events must not be negative")
    app = make_app(args.url, args.state)
    _set_aside_foreign_checkpoints(app, args.state)
    started = time.perf_counter()

    def report(what: str) -> None:
        elapsed = time.perf_counter() - started
        print(f"  ... {what} ({elapsed:.0f} s)", flush=True)

    with app.app_context():
        dialect = db.engine.dialect.name
    if dialect == "postgresql":
        load_postgresql(app, args.events, args.seed, report)
    else:
        load_sqlite(app, args.events, args.seed, report)
    loaded = time.perf_counter() - started
    seq = checkpoint(app, args.state)
    elapsed = time.perf_counter() - started
    print(
        f"generated {args.events:,} events in {loaded:.1f} s "
        f"({args.events / max(loaded, 1e-9):,.0f}/s); checkpoint at seq {seq} "
        f"({elapsed:.1f} s in all); state in {args.state}"
    )


if __name__ == "__main__":
    main()
