"""``statements.run``: a prebuilt read sees the unit's own pending changes, as session reads do."""

from __future__ import annotations

import uuid

import pytest
from flask import Flask
from sqlalchemy import select

from portal.agencies.models import Agency, AgencyType
from portal.db.statements import run, uuid_param
from portal.db.transaction import transaction
from portal.extensions import db

_NAME = select(Agency.name).where(Agency.id == uuid_param("id"))


class _Undo(Exception):
    pass


def _pending_agency() -> uuid.UUID:
    agency_id = uuid.uuid4()
    db.session.add(
        Agency(
            id=agency_id,
            code=f"T{agency_id.hex[:6]}",
            name="Pending agency",
            type=AgencyType.POLICE.value,
            is_competent_authority=True,
        )
    )
    return agency_id


def _unit(seen: dict[str, object], *, no_autoflush: bool) -> None:
    """Add an agency without flushing, read it back with run(), then fail the unit."""
    with transaction():
        agency_id = _pending_agency()
        seen["id"] = agency_id
        if no_autoflush:
            with db.session.no_autoflush:
                seen["inside"] = run(_NAME, {"id": agency_id}).scalar_one_or_none()
        seen["read"] = run(_NAME, {"id": agency_id}).scalar_one_or_none()
        raise _Undo


def test_a_prebuilt_read_flushes_the_units_pending_changes_first(app: Flask) -> None:
    seen: dict[str, object] = {}
    with app.app_context():
        with pytest.raises(_Undo):
            _unit(seen, no_autoflush=False)
        assert seen["read"] == "Pending agency"
        # and the flushed row went with the unit's rollback
        assert run(_NAME, {"id": seen["id"]}).scalar_one_or_none() is None


def test_inside_no_autoflush_it_does_not_flush(app: Flask) -> None:
    seen: dict[str, object] = {}
    with app.app_context(), pytest.raises(_Undo):
        _unit(seen, no_autoflush=True)
    assert seen["inside"] is None
    assert seen["read"] == "Pending agency"
