"""Fixtures for the access-log tests: settings with a checkpoint key and directory, a signing key,
an actor, and helpers that fill the log through the real recorder."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import Flask
from sqlalchemy import Connection, func, select

from portal.audit import events
from portal.audit.checkpoints import (
    SignedCheckpoint,
    generate_key,
    load_private_key,
    load_public_keys,
    public_key_path,
    take_checkpoint,
    write_checkpoint_file,
)
from portal.audit.models import AuditEventRow, AuditHead
from portal.audit.recorder import record
from portal.audit.verify import Report, verify
from portal.config import Settings
from portal.db.transaction import transaction
from portal.extensions import db
from tests.conftest import backend, base_settings

MARKINGS = ("OFFICIAL", "OFFICIAL-SENSITIVE", "OFFICIAL-SENSITIVE PERSONAL DATA")
GATEWAYS = ("GW-CJA03-S325", "GW-CA89-S47", "GW-CDA98-S115")
CONDITIONS = ("DP3-SCH8-4", "DP3-S35-LE", "GDPR-6-1-E")


@dataclass(frozen=True)
class FakeActor:
    user_id: uuid.UUID
    agency_id: uuid.UUID


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return base_settings(
        database_url,
        tmp_path,
        checkpoint_key_path=tmp_path / "keys" / "checkpoint.key",
        checkpoint_dir=tmp_path / "published",
    )


@pytest.fixture
def signing_key(settings: Settings) -> Ed25519PrivateKey:
    assert settings.checkpoint_key_path is not None
    generate_key(settings.checkpoint_key_path)
    return load_private_key(settings.checkpoint_key_path)


@pytest.fixture
def public_keys(settings: Settings, signing_key: Ed25519PrivateKey) -> dict[str, Ed25519PublicKey]:
    assert settings.checkpoint_key_path is not None
    return load_public_keys(public_key_path(settings.checkpoint_key_path))


@pytest.fixture
def actor() -> FakeActor:
    return FakeActor(uuid.uuid4(), uuid.uuid4())


def random_event(rng: random.Random, actors: list[FakeActor]) -> events.AuditEvent:
    """A plausible event of a random kind, every optional field exercised somewhere."""
    who = rng.choice(actors)
    subject = uuid.UUID(int=rng.getrandbits(128))
    kind = rng.randrange(6)
    rid = f"{rng.getrandbits(64):016x}"
    if kind == 0:
        return events.consultation(
            who,
            subject_id=subject,
            record_id=uuid.UUID(int=rng.getrandbits(128)),
            grant_id=uuid.UUID(int=rng.getrandbits(128)),
            legal_gateway=rng.choice(GATEWAYS),
            dp_condition=rng.choice(CONDITIONS),
            marking=rng.choice(MARKINGS),
            justification="MAPPA level 2 review — risk to children",
            request_id=rid,
        )
    if kind == 1:
        return events.disclosure(
            who,
            subject_id=subject,
            recipients=("Housing (North)", "named person: J. Smith"),
            legal_gateway=rng.choice(GATEWAYS),
            dp_condition=rng.choice(CONDITIONS),
            marking=rng.choice(MARKINGS),
            request_id=rid,
        )
    if kind == 2:
        return events.login(
            user_id=who.user_id, agency_id=who.agency_id, method="password+totp", request_id=rid
        )
    if kind == 3:
        return events.login_failed(
            reason="bad_credentials", method="password", user_id=who.user_id, request_id=rid
        )
    if kind == 4:
        return events.authz_fail(who, reason="grant_expired", subject_id=subject, request_id=rid)
    return events.user_changed(
        who,
        user_id=uuid.UUID(int=rng.getrandbits(128)),
        reason="roles_changed",
        detail={"roles": "probation_officer,agency_admin"},
        request_id=rid,
    )


def fill(app: Flask, count: int, *, per_transaction: int = 250, seed: int = 1) -> None:
    """Record ``count`` events through the real recorder, in several transactions."""
    rng = random.Random(seed)
    actors = [FakeActor(uuid.UUID(int=rng.getrandbits(128)), uuid.uuid4()) for _ in range(7)]
    with app.app_context():
        done = 0
        while done < count:
            with transaction():
                for _ in range(min(per_transaction, count - done)):
                    record(random_event(rng, actors))
                    done += 1


def checkpoint(
    app: Flask, key: Ed25519PrivateKey, *, publish_to: Path | None = None
) -> SignedCheckpoint:
    """Take (and optionally publish) a checkpoint, as ``flask audit checkpoint`` does."""
    with app.app_context():
        with transaction() as session:
            signed = take_checkpoint(session, key)
        if publish_to is not None:
            write_checkpoint_file(signed, publish_to)
    return signed


def event_count(app: Flask) -> int:
    with app.app_context():
        count = db.session.execute(select(func.count()).select_from(AuditEventRow)).scalar_one()
        db.session.remove()
    return int(count)


def head_seq(app: Flask) -> int:
    with app.app_context():
        head = db.session.execute(select(AuditHead.seq)).scalar_one()
        db.session.remove()
    return int(head)


@pytest.fixture
def raw_connection(app: Flask) -> Iterator[Connection]:
    """A connection of the test database's engine, outside any unit of work (tampering)."""
    with app.app_context(), db.engine.connect() as connection:
        yield connection


def is_postgresql() -> bool:
    return backend() == "postgresql"


def disable_audit_triggers(connection: Connection) -> None:
    """Inside the current transaction, switch the access-log triggers off, as a privileged
    attacker would (superuser on PostgreSQL; anyone who can write the file on SQLite)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        return
    names = connection.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name LIKE 'audit%'"
    ).scalars()
    for name in list(names):
        connection.exec_driver_sql(f'DROP TRIGGER "{name}"')


def sql_param(connection: Connection) -> str:
    return "%s" if connection.dialect.name == "postgresql" else "?"


Row = tuple[Any, ...]


def verify_now(app: Flask, **kwargs: Any) -> Report:
    """:func:`portal.audit.verify.verify` in its own application context."""
    with app.app_context():
        report = verify(**kwargs)
        db.session.remove()
    return report
