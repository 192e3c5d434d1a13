"""Tamper trials (reference/security.md §4.4 and §7 item 19), on the database under test.

A chain of more than 2,000 events with signed checkpoints (the newest at the head) is tampered
with the way a privileged attacker could: triggers off (``session_replication_role = replica``
as the PostgreSQL superuser; dropped triggers on SQLite), inside a transaction that is rolled
back after the verifier has read the tampered state on the same connection. Every trial must be
detected; tail truncations and full rewrites must also be shown to pass unnoticed once the
checkpoints are gone, which proves the verifier relies on them rather than on ``audit_head``.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask import Flask
from sqlalchemy import Connection, delete, select, update

from portal import create_app
from portal.audit.chain import GENESIS_HASH, ProblemKind, link_hash
from portal.audit.checkpoints import (
    generate_key,
    load_private_key,
    load_public_keys,
    public_key_path,
    read_checkpoint_files,
)
from portal.audit.events import EventType, Outcome
from portal.audit.models import AuditCheckpoint, AuditEventRow, AuditHead
from portal.audit.verify import Report, verify, verify_connection
from portal.extensions import db
from tests.conftest import TemplateDatabase, backend, base_settings
from tests.integration.audit.conftest import checkpoint, disable_audit_triggers, fill
from tests.leaks import leaks_in

pytestmark = pytest.mark.slow

EVENTS = 2_100
#: Small batches, so a trial detected early stops reading early (the command reads 20,000).
TRIAL_BATCH = 1000
CHECKPOINT_EVERY = 300
EVENT = AuditEventRow.__table__
event_seq = EVENT.c.seq

Tamper = Callable[[Connection, random.Random, int], None]


@dataclass
class Chain:
    app: Flask
    keys: dict[str, Ed25519PublicKey]
    head: int
    published: Path


@pytest.fixture(scope="module")
def chain(
    template_db: TemplateDatabase, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Chain]:
    """One chain for every trial of the module (building it is the slow part): its own copy
    of the migrated database, a signing key, 2,100 events and a checkpoint every 300."""
    tmp = tmp_path_factory.mktemp("tamper")
    url = template_db.clone(tmp)
    settings = base_settings(
        url,
        tmp,
        checkpoint_key_path=tmp / "keys" / "checkpoint.key",
        checkpoint_dir=tmp / "published",
    )
    assert settings.checkpoint_key_path is not None
    assert settings.checkpoint_dir is not None
    app = create_app(settings)
    generate_key(settings.checkpoint_key_path)
    key = load_private_key(settings.checkpoint_key_path)
    written = 0
    while written < EVENTS:
        fill(app, CHECKPOINT_EVERY, per_transaction=150, seed=written)
        written += CHECKPOINT_EVERY
        signed = checkpoint(app, key, publish_to=settings.checkpoint_dir)
    assert signed.seq == EVENTS + EVENTS // CHECKPOINT_EVERY  # the newest checkpoint is the head
    keys = load_public_keys(public_key_path(settings.checkpoint_key_path))
    built = Chain(app, keys, signed.seq, settings.checkpoint_dir)
    _assert_intact(built)
    yield built
    _assert_intact(built)
    with app.app_context():
        bodies = list(db.session.execute(select(EVENT.c.body)).scalars())
        db.session.remove()
        db.engine.dispose()
    template_db.drop(url)
    assert not leaks_in(bodies)


def _assert_intact(chain: Chain) -> None:
    """The untouched chain verifies, through the command's own path and on a raw connection."""
    with chain.app.app_context():
        report = verify()
        assert report.intact, report.problem
        assert report.through_seq == chain.head
        with db.engine.connect() as connection:
            again = verify_connection(connection, chain.keys)
    assert again.intact, again.problem


def _trials(
    chain: Chain,
    count: int,
    tamper: Tamper,
    *,
    seed: int,
    then_without_checkpoints: bool = False,
    published: bool = False,
    parallel: bool = False,
) -> tuple[list[Report], list[Report]]:
    """Run ``count`` trials; each tampers, verifies on the same connection, and rolls back.

    With ``then_without_checkpoints`` each trial also deletes every checkpoint and verifies
    again. With ``parallel`` (only for trials that lock a single row, and only on PostgreSQL,
    where one trial's verification can run while another waits for the server) the trials are
    shared between two connections; the results do not depend on it.
    """
    files = read_checkpoint_files(chain.published) if published else []
    found: list[Report] = []
    without: list[Report] = []

    def run(share: int, rng: random.Random) -> None:
        with chain.app.app_context(), db.engine.connect() as connection:
            for _ in range(share):
                trial = connection.begin()
                try:
                    disable_audit_triggers(connection)
                    tamper(connection, rng, chain.head)
                    found.append(
                        verify_connection(
                            connection, chain.keys, published=files, batch_size=TRIAL_BATCH
                        )
                    )
                    if then_without_checkpoints:
                        connection.execute(delete(AuditCheckpoint))
                        without.append(
                            verify_connection(connection, chain.keys, batch_size=TRIAL_BATCH)
                        )
                finally:
                    trial.rollback()

    workers = 2 if parallel and backend() == "postgresql" else 1
    shares = [count // workers + (1 if i < count % workers else 0) for i in range(workers)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        done = [
            pool.submit(run, share, random.Random(seed * 10 + i)) for i, share in enumerate(shares)
        ]
        for future in done:
            future.result()
    _assert_intact(chain)  # the rollbacks left the chain as it was
    return found, without


def _kinds(reports: list[Report]) -> Counter[str]:
    return Counter(str(r.problem.kind) if r.problem else "intact" for r in reports)


# --- The tampering ---------------------------------------------------------------------------

_UUID_COLUMNS = (
    "actor_id",
    "actor_agency_id",
    "subject_id",
    "record_id",
    "grant_id",
    "target_user_id",
)
_TEXT_COLUMNS = ("legal_gateway", "dp_condition", "marking", "request_id")
EDITABLE = (
    "body",
    "prev_hash",
    "row_hash",
    "seq",
    "recorded_at",
    "event_type",
    "outcome",
    *_UUID_COLUMNS,
    *_TEXT_COLUMNS,
)


def _row(connection: Connection, seq: int) -> Any:
    return connection.execute(select(EVENT).where(event_seq == seq)).one()


def _flip(value: bytes, rng: random.Random) -> bytes:
    i = rng.randrange(len(value))
    return value[:i] + bytes([value[i] ^ (1 << rng.randrange(8))]) + value[i + 1 :]


def _changed_text(value: str, rng: random.Random) -> str:
    i = rng.randrange(len(value))
    replacement = rng.choice([c for c in "ABCXYZ019-" if c != value[i]])
    return value[:i] + replacement + value[i + 1 :]


def edit_one_row(connection: Connection, rng: random.Random, head: int) -> None:
    """Change one field of one row: the body, a hash, its number, its time or a search column."""
    seq = rng.randint(1, head)
    row = _row(connection, seq)
    field = rng.choice(EDITABLE)
    value = getattr(row, field)
    new: Any
    if field == "body":
        new = _changed_text(value, rng)
    elif field in ("prev_hash", "row_hash"):
        new = _flip(value, rng)
    elif field == "seq":
        new = head + rng.randint(1, 1000)
    elif field == "recorded_at":
        new = value + timedelta(microseconds=rng.choice([-1, 1, 1000, 3_600_000_000]))
    elif field == "event_type":
        new = rng.choice([t.value for t in EventType if t.value != value])
    elif field == "outcome":
        new = rng.choice([o.value for o in Outcome if o.value != value])
    elif field in _UUID_COLUMNS:
        new = uuid.uuid4() if value is None or rng.random() < 0.5 else None
    elif value is None:
        new = "GW-FORGED"
    elif value == "":
        new = "x"  # events recorded outside a request have an empty request id
    else:
        new = None if field != "request_id" and rng.random() < 0.3 else _changed_text(value, rng)
    assert new != value
    connection.execute(update(EVENT).where(event_seq == seq).values({field: new}))


def delete_one_row(connection: Connection, rng: random.Random, head: int) -> None:
    connection.execute(delete(EVENT).where(event_seq == rng.randint(1, head)))


def swap_two_rows(connection: Connection, rng: random.Random, head: int) -> None:
    """Exchange the sequence numbers of two rows (reordering)."""
    a, b = rng.sample(range(1, head + 1), 2)
    parked = head + 1_000_000
    connection.execute(update(EVENT).where(event_seq == a).values(seq=parked))
    connection.execute(update(EVENT).where(event_seq == b).values(seq=a))
    connection.execute(update(EVENT).where(event_seq == parked).values(seq=b))


def truncate_tail(connection: Connection, rng: random.Random, head: int) -> None:
    """Delete the newest 1-50 events and move the head back onto the new last event."""
    keep = head - rng.randint(1, 50)
    connection.execute(delete(EVENT).where(event_seq > keep))
    new_hash = connection.execute(select(EVENT.c.row_hash).where(event_seq == keep)).scalar_one()
    connection.execute(update(AuditHead).values(seq=keep, hash=new_hash))


def rewrite_from_random_row(connection: Connection, rng: random.Random, head: int) -> None:
    """Edit one event consistently (body and column) and recompute every later hash and the
    head: a chain that is internally perfect."""
    start = rng.randint(1, head)
    prev = (
        GENESIS_HASH
        if start == 1
        else connection.execute(select(EVENT.c.row_hash).where(event_seq == start - 1)).scalar_one()
    )
    rows = connection.execute(
        select(event_seq, EVENT.c.body, EVENT.c.request_id)
        .where(event_seq >= start)
        .order_by(event_seq)
    ).all()
    updates = []
    for seq, body, request_id in rows:
        if seq == start:
            forged = f"forged{rng.getrandbits(32):08x}"
            body = body.replace(f'"request_id":"{request_id}"', f'"request_id":"{forged}"', 1)
            connection.execute(
                update(EVENT).where(event_seq == seq).values(body=body, request_id=forged)
            )
        row_hash = link_hash(prev, seq, body)
        updates.append((prev, row_hash, seq))
        prev = row_hash
    _rehash(connection, updates)
    connection.execute(update(AuditHead).values(hash=prev))


def _rehash(connection: Connection, updates: list[tuple[bytes, bytes, int]]) -> None:
    if connection.dialect.name == "postgresql":
        prevs, hashes, seqs = (list(column) for column in zip(*updates, strict=True))
        connection.exec_driver_sql(
            "UPDATE audit_event AS e SET prev_hash = u.p, row_hash = u.h "
            "FROM unnest(%s::bytea[], %s::bytea[], %s::bigint[]) AS u(p, h, seq) "
            "WHERE e.seq = u.seq",
            (prevs, hashes, seqs),
        )
    else:
        connection.exec_driver_sql(
            "UPDATE audit_event SET prev_hash = ?, row_hash = ? WHERE seq = ?", updates
        )


# --- The trials ------------------------------------------------------------------------------


def test_every_single_row_edit_is_detected(chain: Chain) -> None:
    found, _ = _trials(chain, 1000, edit_one_row, seed=11, parallel=True)
    assert _kinds(found)["intact"] == 0, _kinds(found)
    assert len(found) == 1000
    kinds = _kinds(found)
    for expected in ("content_changed", "broken_link", "columns_changed", "gap"):
        assert kinds[expected] > 0, kinds


def test_every_single_row_deletion_is_detected(chain: Chain) -> None:
    found, _ = _trials(chain, 1000, delete_one_row, seed=12, parallel=True)
    assert len(found) == 1000
    assert _kinds(found)["intact"] == 0, _kinds(found)


def test_every_swap_of_two_rows_is_detected(chain: Chain) -> None:
    found, _ = _trials(chain, 300, swap_two_rows, seed=13)
    assert len(found) == 300
    assert _kinds(found)["intact"] == 0, _kinds(found)


def test_tail_truncation_is_detected_by_checkpoints_and_only_by_them(chain: Chain) -> None:
    found, without = _trials(chain, 300, truncate_tail, seed=14, then_without_checkpoints=True)
    assert _kinds(found) == Counter({"truncated_after_checkpoint": 300})
    assert _kinds(without) == Counter({"intact": 300})  # the head alone proves nothing


def test_full_rewrite_is_detected_by_checkpoints_and_only_by_them(chain: Chain) -> None:
    found, without = _trials(
        chain, 100, rewrite_from_random_row, seed=15, then_without_checkpoints=True
    )
    assert _kinds(found) == Counter({"rewritten_before_checkpoint": 100})
    assert _kinds(without) == Counter({"intact": 100})


def test_deleting_stored_checkpoints_does_not_hide_a_truncation_from_published_ones(
    chain: Chain,
) -> None:
    def truncate_and_drop_checkpoints(
        connection: Connection, rng: random.Random, head: int
    ) -> None:
        truncate_tail(connection, rng, head)
        connection.execute(delete(AuditCheckpoint))

    found, _ = _trials(chain, 20, truncate_and_drop_checkpoints, seed=16, published=True)
    assert _kinds(found) == Counter({str(ProblemKind.MISSING_CHECKPOINT): 20})
