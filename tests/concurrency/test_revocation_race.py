"""Revocation against access in flight, on PostgreSQL (reference/security.md §5.3, §7 item 7).

Four reader threads keep opening the subject whose grant is being revoked; one revoker revokes
200 grants one after another through the grants service. Each thread has its own application
context, session and connection. Chain order is commit order (the audit head is locked until
commit), so "a view ordered after its grant's revocation" is a ``CONSULTATION`` naming grant g
with a larger ``seq`` than g's ``GRANT_CHANGED``/``revoked`` event: a disclosure the database let
through after the revocation had committed. Five repetitions; the bar is 0.

The readers do 2 ms of work between reading the facts and writing their audit event (as in the
measurement in security.md), which is the window a plain ``SELECT`` leaves open. With
``PORTAL_RACE_WITHOUT_LOCK=1`` the same harness runs with the ``FOR SHARE`` taken out of the
gate's grant read and reports how many views it let through instead (the report quotes it).
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from portal.access import facts as access_facts
from portal.access import gate
from portal.access.gate import AccessDenied, Purpose, Target
from portal.access.models import AccessGrant
from portal.access.permissions import Permission
from portal.access.policy import GrantFacts
from portal.audit.models import AuditEventRow
from portal.core.actor import Actor
from portal.db.transaction import transaction
from portal.extensions import db
from portal.grants import service
from portal.grants.schemas import ReasonCommand
from tests.conftest import backend
from tests.integration.access.world import OFFICIAL_SENSITIVE, Sharing

pytestmark = [
    pytest.mark.postgresql_only,
    pytest.mark.slow,
    pytest.mark.skipif(
        backend() != "postgresql", reason="row locks and concurrent writers: PostgreSQL only"
    ),
]

GRANTS = int(os.environ.get("PORTAL_RACE_GRANTS", "200"))
READERS = 4
REPETITIONS = int(os.environ.get("PORTAL_RACE_REPETITIONS", "5"))
WITHOUT_LOCK = os.environ.get("PORTAL_RACE_WITHOUT_LOCK") == "1"


@dataclass
class Round:
    targets: list[Target]
    grant_ids: list[uuid.UUID]
    current: int = 0
    done: threading.Event = field(default_factory=threading.Event)
    allowed: int = 0
    refused: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def prepare(world: Sharing, worker: Actor) -> Round:
    targets, grant_ids = [], []
    for _ in range(GRANTS):
        subject_id = world.subject()
        grant_id = world.grant(subject_id, "csc", profile="FULL")
        with world.app.app_context(), transaction():
            gate.acknowledge(worker, grant_id=grant_id)
        targets.append(Target(subject_id, world.police.id, OFFICIAL_SENSITIVE))
        grant_ids.append(grant_id)
    return Round(targets, grant_ids)


def reader(app: Flask, worker: Actor, state: Round) -> None:
    rng = random.Random()
    with app.app_context():
        while not state.done.is_set():
            # Half the time the grant being revoked right now, otherwise any of them.
            index = state.current if rng.random() < 0.5 else rng.randrange(len(state.targets))
            target = state.targets[index]
            try:
                with transaction():
                    gate.authorize(worker, Permission.SUBJECT_READ, target, purpose=Purpose.VIEW)
                with state.lock:
                    state.allowed += 1
            except AccessDenied:
                with state.lock:
                    state.refused += 1
            except Exception as exc:  # a failure in a thread must fail the test
                state.errors.append(type(exc).__name__)
                return


def revoker(app: Flask, officer: Actor, state: Round) -> None:
    with app.app_context():
        try:
            for index, grant_id in enumerate(state.grant_ids):
                state.current = index
                time.sleep(0.004)  # let the readers pile onto this grant
                with transaction():
                    service.revoke_grant(
                        officer, grant_id=grant_id, command=ReasonCommand("Race test")
                    )
        except Exception as exc:
            state.errors.append(type(exc).__name__)
        finally:
            state.done.set()


def late_views(app: Flask, grant_ids: list[uuid.UUID]) -> tuple[int, int]:
    """(views ordered after their grant's revocation, views of these grants in all)."""
    with app.app_context():
        rows = db.session.execute(
            select(
                AuditEventRow.seq,
                AuditEventRow.event_type,
                AuditEventRow.grant_id,
                AuditEventRow.body,
            )
            .where(AuditEventRow.grant_id.in_(grant_ids))
            .order_by(AuditEventRow.seq)
        ).all()
    revoked_at: dict[uuid.UUID, int] = {}
    for seq, kind, grant_id, body in rows:
        if kind == "GRANT_CHANGED" and json.loads(body)["with"].get("reason") == "revoked":
            revoked_at[grant_id] = seq
    assert set(revoked_at) == set(grant_ids)
    views = [(seq, grant_id) for seq, kind, grant_id, _ in rows if kind == "CONSULTATION"]
    late = sum(1 for seq, grant_id in views if seq > revoked_at[grant_id])
    return late, len(views)


def plain_select(*, agency_id: uuid.UUID, subject_id: uuid.UUID) -> tuple[GrantFacts, ...]:
    """The gate's grant read as a plain ``SELECT`` (no ``FOR SHARE``): the measurement only."""
    rows = db.session.execute(
        select(AccessGrant).where(
            AccessGrant.grantee_agency_id == agency_id, AccessGrant.subject_id == subject_id
        )
    ).scalars()
    return tuple(
        GrantFacts(
            grant_id=g.id,
            grantee_agency_id=g.grantee_agency_id,
            grantee_user_id=g.grantee_user_id,
            subject_id=g.subject_id,
            scope_kind=g.scope_kind,
            record_id=g.record_id,
            view_profile=g.view_profile,
            status=g.status,
            valid_from=g.valid_from,
            expires_at=g.expires_at,
            legal_gateway=g.legal_gateway,
            dp_condition=g.dp_condition,
            justification=g.justification,
        )
        for g in rows
    )


@pytest.fixture
def slow_readers(monkeypatch: pytest.MonkeyPatch) -> None:
    """2 ms of work between reading the facts and writing the audit event; and, when asked,
    the grant read without its ``FOR SHARE``."""
    load: Callable[..., Any] = access_facts.load

    def load_then_work(**kwargs: Any) -> Any:
        loaded = load(**kwargs)
        time.sleep(0.002)
        return loaded

    monkeypatch.setattr(access_facts, "load", load_then_work)
    if WITHOUT_LOCK:
        monkeypatch.setattr(access_facts, "lock_grants", plain_select)


def test_no_view_is_ordered_after_its_grants_revocation(
    app: Flask, factories: Any, slow_readers: None
) -> None:
    world = Sharing(app, factories)
    worker, officer = world.actor(world.people["csc"]), world.actor(world.officer)
    results = []
    for _ in range(REPETITIONS):
        state = prepare(world, worker)
        threads = [
            threading.Thread(target=reader, args=(app, worker, state)) for _ in range(READERS)
        ]
        threads.append(threading.Thread(target=revoker, args=(app, officer, state)))
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=240)
        assert not any(t.is_alive() for t in threads), "a thread did not finish"
        assert state.errors == []
        late, views = late_views(app, state.grant_ids)
        results.append((late, views, state.allowed, state.refused, time.monotonic() - started))
    print(  # the report quotes these figures (run with -s)
        "\nrevocation race"
        + (" WITHOUT FOR SHARE" if WITHOUT_LOCK else "")
        + ": (late views, views, allowed, refused, seconds) per run: "
        + ", ".join(f"({a}, {b}, {c}, {d}, {e:.1f})" for a, b, c, d, e in results)
    )
    for late, views, _allowed, refused, _ in results:
        assert views > GRANTS  # the readers really were reading while grants were revoked
        assert refused > 0
        if not WITHOUT_LOCK:
            assert late == 0
