"""Demo access-log history for the IG pages: tens of thousands of events over six months.

The events name the demo users, agencies, subjects, records and grants, with their lawful-basis
codes and markings; most fall in working hours, some at night and at weekends; one partner
broke the glass on a subject last month. They are built with the event factories and chained
exactly as the recorder chains them (inserted in batches through the ordinary triggers), then
the alert scan raises the alerts they call for. Running the seed again adds nothing.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, insert, select

from portal.access.models import AccessGrant, BreakGlassWindow
from portal.audit import events
from portal.audit.chain import link_hash
from portal.audit.events import canonical_json, event_body, search_columns
from portal.audit.models import AuditEventRow
from portal.audit.recorder import lock_head
from portal.core.actor import Actor
from portal.core.clock import db_now
from portal.core.identity import Clearance, Role
from portal.db.transaction import transaction
from portal.demo.data import demo_id
from portal.extensions import db
from portal.governance import alerts
from portal.governance.models import AlertRule
from portal.records.models import SharedRecord
from portal.subjects.models import Subject
from portal.users.models import User

HISTORY_EVENTS = 20_000
DAYS = 180
BATCH = 2_000
MARKER = "governance-break-glass"
BREAK_GLASS_REASON = "Duty team report of a child at risk at the subject's address tonight"


def seed_governance(*, test: bool = False) -> int:
    """Add the demo history once; returns the events added (0 when already there). Test
    databases get a tenth of it (the same shapes, seeded in seconds)."""
    events_count = HISTORY_EVENTS // 10 if test else HISTORY_EVENTS
    with transaction():
        if db.session.get(BreakGlassWindow, demo_id(MARKER)) is not None:
            return 0
        users = list(db.session.execute(select(User)).scalars())
        subjects = list(db.session.execute(select(Subject.id, Subject.marking)).all())
        records = list(db.session.execute(select(SharedRecord.id, SharedRecord.subject_id)).all())
        grants = list(
            db.session.execute(
                select(
                    AccessGrant.id,
                    AccessGrant.subject_id,
                    AccessGrant.grantee_agency_id,
                    AccessGrant.legal_gateway,
                    AccessGrant.dp_condition,
                )
            ).all()
        )
        now = db_now()
    if not users or not subjects:
        return 0
    rng = random.Random(8)  # noqa: S311 - reproducible demo data, not security
    actors = [
        Actor(u.id, u.agency_id, frozenset(u.roles), Clearance(u.clearance), u.full_name)
        for u in users
    ]
    workers = [a for a in actors if a.roles and not _only_admin_or_ig(a)]
    times = sorted(_moment(rng, now) for _ in range(events_count))
    rows: list[dict[str, Any]] = []
    added = 0
    for at in times:
        body = event_body(_event(rng, workers, actors, subjects, records, grants), at)
        rows.append(body)
        if len(rows) >= BATCH:
            added += _insert(rows)
            rows = []
    if rows:
        added += _insert(rows)
    added += _break_glass(workers, subjects, now)
    with transaction():
        alerts.scan(batches=1_000)
    return added


def _only_admin_or_ig(actor: Actor) -> bool:
    return all(r.value in ("agency_admin", "ig_officer") for r in actor.roles)


def _moment(rng: random.Random, now: datetime) -> datetime:
    """A time in the last six months: mostly weekday working hours, some nights and weekends."""
    day = now - timedelta(days=rng.randrange(1, DAYS))
    if rng.random() < 0.995:
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        hour = rng.randrange(8, 18)
    else:
        hour = rng.choice((0, 1, 5, 6, 19, 21, 22, 23))
    return day.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60), tzinfo=UTC)


def _event(
    rng: random.Random,
    workers: list[Actor],
    actors: list[Actor],
    subjects: list[Any],
    records: list[Any],
    grants: list[Any],
) -> events.AuditEvent:
    roll = rng.random()
    if roll < 0.10:
        who = rng.choice(actors)
        return events.login(user_id=who.user_id, agency_id=who.agency_id, method="password+totp")
    if roll < 0.16:
        who = rng.choice(actors)
        return events.logout(user_id=who.user_id, agency_id=who.agency_id)
    if roll < 0.19 and grants:
        grant = rng.choice(grants)
        who = rng.choice(workers)
        return events.authz_fail(
            who,
            reason=rng.choice(("grant_expired", "grant_revoked", "no_grant")),
            subject_id=grant.subject_id,
            grant_id=grant.id,
        )
    who = rng.choice(workers)
    subject_id, marking_json = rng.choice(subjects)
    own = [g for g in grants if g.subject_id == subject_id and g.grantee_agency_id == who.agency_id]
    grant = rng.choice(own) if own else None
    record_ids = [r.id for r in records if r.subject_id == subject_id]
    record_id = rng.choice(record_ids) if record_ids and rng.random() < 0.5 else None
    kind = rng.choices(
        (events.EventType.CONSULTATION, events.EventType.DISCLOSURE, events.EventType.ALTERATION),
        (85, 8, 7),
    )[0]
    return events.processing(
        kind,
        who,
        subject_id=subject_id,
        record_id=record_id,
        grant_id=grant.id if grant else None,
        legal_gateway=grant.legal_gateway if grant else "GW-CL-POLICING",
        dp_condition=grant.dp_condition if grant else "DP3-S35-LE",
        justification="Shared for joint management of the risk agreed at the MAPPA meeting."
        if grant
        else None,
        marking=_banner(marking_json),
        recipients=("Printed for the MAPPA meeting",)
        if kind is events.EventType.DISCLOSURE
        else (),
        detail={"purpose": "view"},
    )


def _banner(marking_json: str) -> str:
    from portal.subjects.service import stored_marking

    return stored_marking(marking_json).banner


def _insert(bodies: list[dict[str, Any]]) -> int:
    table = cast(Table, AuditEventRow.__table__)
    with transaction() as session:
        head = lock_head(session)
        prev, seq, rows = head.hash, head.seq, []
        for body in bodies:
            text = canonical_json(body)
            seq += 1
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
        session.execute(insert(table), rows)
    return len(rows)


def _break_glass(workers: list[Actor], subjects: list[Any], now: datetime) -> int:
    """A partner's emergency opening last month, with the views made in its window."""
    owners = (Role.MOSOVO_OFFICER, Role.MAPPA_COORDINATOR)
    partner = next((w for w in workers if not w.has_role(*owners)), workers[0])
    subject_id, marking_json = subjects[-1]
    started = (now - timedelta(days=30)).replace(hour=22, minute=40, second=0, microsecond=0)
    with transaction() as session:
        session.add(
            BreakGlassWindow(
                id=demo_id(MARKER),
                user_id=partner.user_id,
                agency_id=partner.agency_id,
                subject_id=subject_id,
                reason=BREAK_GLASS_REASON,
                started_at=started,
                ends_at=started + timedelta(minutes=60),
            )
        )
    banner = _banner(marking_json)
    bodies = [
        event_body(
            events.break_glass(
                partner,
                subject_id=subject_id,
                justification=BREAK_GLASS_REASON,
                dp_condition="DP3-SCH8-3",
                marking=banner,
            ),
            started,
        )
    ]
    for minutes in (1, 7, 25):
        bodies.append(
            event_body(
                events.consultation(
                    partner,
                    subject_id=subject_id,
                    legal_gateway="EMERGENCY",
                    dp_condition="DP3-SCH8-3",
                    justification=BREAK_GLASS_REASON,
                    marking=banner,
                ),
                started + timedelta(minutes=minutes),
            )
        )
    added = _insert(bodies)
    with transaction():
        head_seq = int(
            db.session.execute(select(AuditEventRow.seq).order_by(AuditEventRow.seq.desc()))
            .scalars()
            .first()
            or 0
        )
        alerts.raise_alert(
            AlertRule.BREAK_GLASS,
            demo_id(MARKER).hex,
            summary="Emergency access for 60 minutes",
            actor_id=partner.user_id,
            subject_id=subject_id,
            event_seq=head_seq - 3,
            at=started,
        )
    return added
