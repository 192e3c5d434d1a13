"""Access-log benchmark: bulk-generate N events, time ``verify``, measure write throughput.

Usage (DATABASE_URL names the database; it is migrated if needed):

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:55499/postgres \\
        .venv/bin/python bench/audit_verify.py generate --events 1000000
    DATABASE_URL=... .venv/bin/python bench/audit_verify.py verify
    DATABASE_URL=... .venv/bin/python bench/audit_verify.py writers --writers 1 --seconds 20

``generate`` writes in transactions of ``--batch`` events (never one transaction: the head row
would pile up a version per event, ``reference/security.md`` §4.4), computing exactly the hashes
the recorder computes; the database's own insert trigger re-checks every link and hash. It
finishes with a signed checkpoint. ``writers`` measures events committed per second through the
real recorder, one event per transaction, with N concurrent writers. Keys and checkpoints go to
``--state`` (default ``/tmp/portal-audit-bench``).
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sys
import tempfile
import time
import uuid
from multiprocessing import Barrier, Process, Queue
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import insert

from portal import create_app
from portal.audit import events
from portal.audit.chain import link_hash
from portal.audit.checkpoints import (
    generate_key,
    load_private_key,
    take_checkpoint,
    write_checkpoint_file,
)
from portal.audit.events import canonical_json, event_body, search_columns
from portal.audit.models import AuditEventRow
from portal.audit.recorder import lock_head, record
from portal.audit.verify import verify
from portal.config import Settings
from portal.core.clock import db_now
from portal.db.transaction import transaction
from portal.extensions import db


class Someone:
    def __init__(self, rng: random.Random) -> None:
        self.user_id = uuid.UUID(int=rng.getrandbits(128))
        self.agency_id = uuid.UUID(int=rng.getrandbits(128))


def make_app(state: Path, *, migrate: bool = True) -> Flask:
    url = os.environ.get("DATABASE_URL")
    if not url:
        sys.exit("set DATABASE_URL")
    settings = Settings(
        env="development",
        secret_key=secrets.token_urlsafe(48),
        database_url=url,
        instance_path=state,
        checkpoint_key_path=state / "checkpoint.key",
        checkpoint_dir=state / "checkpoints",
    )
    app = create_app(settings)
    if migrate:
        with app.app_context():
            upgrade()
    if not (state / "checkpoint.key").exists():
        generate_key(state / "checkpoint.key")
    return app


def sample_event(rng: random.Random, people: list[Someone]) -> events.AuditEvent:
    who = rng.choice(people)
    subject = uuid.UUID(int=rng.getrandbits(128))
    if rng.random() < 0.8:
        return events.consultation(
            who,
            subject_id=subject,
            record_id=uuid.UUID(int=rng.getrandbits(128)),
            grant_id=uuid.UUID(int=rng.getrandbits(128)),
            legal_gateway="GW-CJA03-S325",
            dp_condition="DP3-SCH8-4",
            marking="OFFICIAL-SENSITIVE",
            request_id=f"{rng.getrandbits(128):032x}",
        )
    return events.disclosure(
        who,
        subject_id=subject,
        recipients=("Probation (North)",),
        legal_gateway="GW-CJA03-S325",
        dp_condition="DP3-SCH8-4",
        marking="OFFICIAL-SENSITIVE PERSONAL DATA",
        justification="MAPPA level 2 review",
        request_id=f"{rng.getrandbits(128):032x}",
    )


def generate(app: Flask, state: Path, count: int, batch: int) -> None:
    rng = random.Random(42)
    people = [Someone(rng) for _ in range(200)]
    started = time.perf_counter()
    done = 0
    with app.app_context():
        while done < count:
            size = min(batch, count - done)
            with transaction() as session:
                head = lock_head(session)
                at = db_now()
                prev, rows = head.hash, []
                for seq in range(head.seq + 1, head.seq + 1 + size):
                    body = event_body(sample_event(rng, people), at)
                    text = canonical_json(body)
                    row_hash = link_hash(prev, seq, text)
                    rows.append(
                        {
                            "seq": seq,
                            "body": text,
                            "prev_hash": prev,
                            "row_hash": row_hash,
                            **search_columns(body),
                        }
                    )
                    prev = row_hash
                session.execute(insert(AuditEventRow), rows)
            done += size
            if done % 100_000 < batch:
                rate = done / (time.perf_counter() - started)
                print(f"  {done:>9,} events ({rate:,.0f}/s)", flush=True)
        key = load_private_key(state / "checkpoint.key")
        with transaction() as session:
            signed = take_checkpoint(session, key)
        write_checkpoint_file(signed, state / "checkpoints")
    elapsed = time.perf_counter() - started
    print(f"generated {count:,} events in {elapsed:.1f} s; checkpoint at seq {signed.seq}")


def run_verify(app: Flask, since_checkpoint: bool) -> None:
    with app.app_context():
        started = time.perf_counter()
        report = verify(since_checkpoint=since_checkpoint)
        elapsed = time.perf_counter() - started
    state = "intact" if report.intact else f"TAMPERED: {report.problem}"
    print(
        f"verify ({report.mode}): {report.rows:,} events in {elapsed:.2f} s "
        f"({report.rows / max(elapsed, 1e-9):,.0f} events/s) - {state}"
    )


def _writer(state: Path, n: int, seconds: float, start: Any, results: Queue[int]) -> None:
    """One writer process (processes, not threads: the GIL would cap threads at one core)."""
    app = make_app(state, migrate=False)
    rng = random.Random(n)
    people = [Someone(rng) for _ in range(20)]
    written = 0
    with app.app_context():
        with transaction():  # connect before the clock starts
            record(sample_event(rng, people))
        start.wait()
        stop = time.perf_counter() + seconds
        while time.perf_counter() < stop:
            with transaction():
                record(sample_event(rng, people))
            written += 1
        db.session.remove()
    results.put(written)


def writers(app: Flask, state: Path, count: int, seconds: float) -> None:
    results: Queue[int] = Queue()
    start = Barrier(count + 1)
    processes = [
        Process(target=_writer, args=(state, n, seconds, start, results)) for n in range(count)
    ]
    for process in processes:
        process.start()
    start.wait()  # every writer is connected and warm
    started = time.perf_counter()
    total = sum(results.get() for _ in processes)
    for process in processes:
        process.join()
    elapsed = time.perf_counter() - started
    if any(process.exitcode for process in processes):
        sys.exit("a writer failed")
    print(
        f"{count} writer process(es): {total:,} events in {elapsed:.1f} s = "
        f"{total / elapsed:,.0f} events/s (one event per committed transaction, via the recorder)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("generate", "verify", "writers"))
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--since-checkpoint", action="store_true")
    parser.add_argument("--writers", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument(
        "--state", type=Path, default=Path(tempfile.gettempdir()) / "portal-audit-bench"
    )
    args = parser.parse_args()
    args.state.mkdir(parents=True, exist_ok=True)
    app = make_app(args.state)
    if args.command == "generate":
        generate(app, args.state, args.events, args.batch)
    elif args.command == "verify":
        run_verify(app, args.since_checkpoint)
    else:
        writers(app, args.state, args.writers, args.seconds)


if __name__ == "__main__":
    main()
