"""Expiry is decided at the moment of access by the database clock, never by a clean-up job.

For 200 generated grants expiring at T (any second, any microsecond, from a second to a year
ahead): an access at T-1 s is allowed and writes one CONSULTATION; an access at T+1 s is refused
as ``grant_expired`` and writes one AUTHZ_FAIL; and the stored grant is still ``ACTIVE`` (no job
ever touched it: expiry is not a state, it is ``expires_at <= now``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.access import gate
from portal.access.gate import AccessDenied, Decision, Purpose, Target
from portal.access.models import AccessGrant
from portal.access.permissions import Permission
from portal.core.clock import ShiftedClock, db_now
from portal.db.transaction import transaction
from portal.extensions import db
from tests.integration.access.world import OFFICIAL_SENSITIVE, Sharing, events_after, head_seq

SECOND = timedelta(seconds=1)
counted = {"grants": 0}


def move_clock_to(app: Flask, clock: ShiftedClock, moment: datetime) -> None:
    with app.app_context():
        clock.advance(moment - db_now())


def open_subject(app: Flask, actor: Any, target: Target) -> Decision | AccessDenied:
    with app.app_context():
        try:
            with transaction():
                return gate.authorize(actor, Permission.SUBJECT_READ, target, purpose=Purpose.VIEW)
        except AccessDenied as refused:
            return refused


@pytest.mark.slow
def test_access_one_second_before_expiry_allowed_one_after_refused(
    app: Flask, factories: Any, clock: ShiftedClock
) -> None:
    world = Sharing(app, factories)
    worker = world.actor(world.people["csc"])

    @settings(
        max_examples=200,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        lifetime=st.timedeltas(min_value=timedelta(seconds=3), max_value=timedelta(days=365)),
        profile=st.sampled_from(["SUMMARY", "SUMMARY_AND_ACTIONS", "FULL"]),
    )
    def check(lifetime: timedelta, profile: str) -> None:
        counted["grants"] += 1
        subject_id = world.subject()
        with app.app_context():
            now = db_now()
        expires_at = now + lifetime
        grant_id = world.grant(
            subject_id, "csc", profile=profile, valid_from=now - SECOND, expires_at=expires_at
        )
        with app.app_context(), transaction():
            gate.acknowledge(worker, grant_id=grant_id)
        target = Target(subject_id, world.police.id, OFFICIAL_SENSITIVE)

        move_clock_to(app, clock, expires_at - SECOND)
        start = head_seq(app)
        before = open_subject(app, worker, target)
        assert isinstance(before, Decision), getattr(before, "reason", before)
        assert before.grant_id == grant_id
        [seen] = events_after(app, start)
        assert (seen.event_type, seen.grant_id) == ("CONSULTATION", grant_id)

        move_clock_to(app, clock, expires_at + SECOND)
        start = head_seq(app)
        after = open_subject(app, worker, target)
        assert isinstance(after, AccessDenied)
        assert after.reason == "grant_expired"
        [refused] = events_after(app, start)
        assert (refused.event_type, refused.grant_id) == ("AUTHZ_FAIL", grant_id)

        with app.app_context():
            stored = db.session.get(AccessGrant, grant_id)
            assert stored is not None
            assert stored.status == "ACTIVE"
            assert stored.expires_at == expires_at
        move_clock_to(app, clock, expires_at - lifetime)  # back to about now for the next grant

    check()
    assert counted["grants"] >= 200
