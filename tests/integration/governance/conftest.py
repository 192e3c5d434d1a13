"""Fixtures for the information-governance tests: the sharing world plus an IG officer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal.audit.models import AuditEventRow
from portal.core.identity import Role
from portal.extensions import db
from tests.integration.subjects.sharing import World


@dataclass
class IgWorld:
    world: World
    ig: Any
    ig_agency: Any

    @property
    def app(self) -> Flask:
        return self.world.app


@pytest.fixture
def ig(app: Flask, factories: Any) -> IgWorld:
    world = World(app, factories)
    return IgWorld(
        world,
        factories.user(
            agency=world.police, roles=(Role.IG_OFFICER,), full_name="Ingrid Governance"
        ),
        world.police,
    )


def events_of(
    app: Flask, event_type: str, actor_id: uuid.UUID | None = None
) -> list[AuditEventRow]:
    with app.app_context():
        stmt = select(AuditEventRow).where(AuditEventRow.event_type == event_type)
        if actor_id is not None:
            stmt = stmt.where(AuditEventRow.actor_id == actor_id)
        rows = list(db.session.scalars(stmt.order_by(AuditEventRow.seq)))
        db.session.expunge_all()
        return rows


def head_seq(app: Flask) -> int:
    with app.app_context():
        return int(db.session.execute(select(func.max(AuditEventRow.seq))).scalar_one() or 0)
