"""Alerts for IG review: the rules, raising them, the queue, and dispositions.

Break-glass alerts are raised in the same transaction as the ``BREAK_GLASS`` event. The other
rules read the log after the fact: :func:`scan` reads the events written since it last ran (it
runs when the review queue opens, and from ``flask governance scan`` on a schedule), applies
the pure rules below, and raises each finding once (``Alert.key``).

Rules and their settings (``app.config``, defaults in brackets):

- access outside working hours (``PORTAL_IG_WORKING_HOURS`` [``(7, 19)``], Monday to Friday,
  UK time): a user's processing events outside them, one alert per user per UK day;
- more than N distinct subjects in an hour (``PORTAL_IG_SUBJECTS_PER_HOUR`` [20]);
- repeated refusals for expired or revoked grants (``PORTAL_IG_REFUSALS`` [3] within a day);
- a live grant ending within 7 days with no renewal (``PORTAL_IG_EXPIRY_DAYS`` [7]).

A disposition is ``JUSTIFIED``, ``FOLLOW_UP`` or ``BREACH`` with notes, by a reviewer who is
not the alert's subject; it is never changed (triggers), only superseded by a later one. Each
is recorded as a ``LOG_READ`` event (reason ``alert_disposed``) in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask import current_app
from sqlalchemy import and_, func, select

from portal.access import policy
from portal.access.gate import AccessDenied
from portal.access.models import AccessGrant
from portal.access.permissions import Permission
from portal.audit import events
from portal.audit.events import PROCESSING_TYPES, EventType
from portal.audit.models import AuditEventRow
from portal.audit.recorder import record
from portal.core.actor import Actor
from portal.core.clock import db_now
from portal.core.inputs import has_control_characters
from portal.core.uk_time import UK
from portal.extensions import db
from portal.governance import directory
from portal.governance.models import Alert, AlertDisposition, AlertRule, AlertScan, Disposition
from portal.governance.service import require

SCAN_BATCH = 5000
MIN_NOTES = 10
_PROCESSING = sorted(t.value for t in PROCESSING_TYPES)
_ENDED_GRANT_REFUSALS = (policy.GRANT_EXPIRED, policy.GRANT_REVOKED)


# --- Pure rules -----------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkingHours:
    start: time = time(7, 0)
    end: time = time(19, 0)
    #: Weekdays counted as working days (Monday is 0).
    days: frozenset[int] = frozenset({0, 1, 2, 3, 4})


def outside_working_hours(at: datetime, hours: WorkingHours = WorkingHours()) -> bool:
    """Whether ``at`` falls outside working hours, UK time: ``start`` itself is inside and
    ``end`` itself is outside (07:00:00 is in, 19:00:00 is out)."""
    local = at.astimezone(UK)
    inside = local.weekday() in hours.days and hours.start <= local.time() < hours.end
    return not inside


def too_many_subjects(distinct_subjects: int, limit: int) -> bool:
    """More than ``limit`` distinct subjects in an hour: ``limit`` is fine, ``limit + 1`` not."""
    return distinct_subjects > limit


def repeated_refusals(refusals: int, threshold: int) -> bool:
    """``threshold`` refusals for ended grants within a day raise an alert."""
    return refusals >= threshold


# --- Settings -------------------------------------------------------------------------------


def working_hours() -> WorkingHours:
    start, end = current_app.config.get("PORTAL_IG_WORKING_HOURS", (7, 19))
    return WorkingHours(time(int(start)), time(int(end)))


def subjects_per_hour() -> int:
    return int(current_app.config.get("PORTAL_IG_SUBJECTS_PER_HOUR", 20))


def refusal_threshold() -> int:
    return int(current_app.config.get("PORTAL_IG_REFUSALS", 3))


def expiry_days() -> int:
    return int(current_app.config.get("PORTAL_IG_EXPIRY_DAYS", 7))


# --- Raising --------------------------------------------------------------------------------


def raise_alert(
    rule: AlertRule,
    key: str,
    *,
    summary: str,
    actor_id: uuid.UUID | None = None,
    subject_id: uuid.UUID | None = None,
    grant_id: uuid.UUID | None = None,
    event_seq: int | None = None,
    at: datetime | None = None,
) -> bool:
    """Raise an alert in the caller's transaction unless one with ``key`` exists; True if new."""
    full_key = f"{rule.value}:{key}"
    session = db.session()
    if session.execute(select(Alert.id).where(Alert.key == full_key)).first() is not None:
        return False
    session.add(
        Alert(
            id=uuid.uuid4(),
            rule=rule.value,
            key=full_key,
            raised_at=at or db_now(),
            actor_id=actor_id,
            subject_id=subject_id,
            grant_id=grant_id,
            event_seq=event_seq,
            summary=summary[:300],
        )
    )
    session.flush()
    return True


def scan(*, batches: int = 1) -> int:
    """Apply the log rules to the events written since the last scan (up to ``batches`` runs
    of ``SCAN_BATCH`` events), and check grants about to expire; raises each finding once.
    In the caller's transaction; returns how many alerts were raised."""
    raised = 0
    for _ in range(batches):
        read, found = _scan_batch()
        raised += found
        if read < SCAN_BATCH:
            break
    raised += expiring_grants()
    return raised


def _scan_batch() -> tuple[int, int]:
    session = db.session()
    state = session.get(AlertScan, 1, with_for_update=True)
    if state is None:
        state = AlertScan(id=1, last_seq=0, last_grant_check=None)
        session.add(state)
        session.flush()
    e = AuditEventRow
    rows = session.execute(
        select(e.seq, e.recorded_at, e.event_type, e.actor_id, e.subject_id, e.body)
        .where(e.seq > state.last_seq)
        .order_by(e.seq)
        .limit(SCAN_BATCH)
    ).all()
    raised = 0
    hours = working_hours()
    limit = subjects_per_hour()
    threshold = refusal_threshold()
    for seq, at, event_type, actor_id, subject_id, body in rows:
        if actor_id is None:
            continue
        if event_type in _PROCESSING:
            if outside_working_hours(at, hours):
                day = at.astimezone(UK).date().isoformat()
                raised += raise_alert(
                    AlertRule.AFTER_HOURS,
                    f"{actor_id.hex}:{day}",
                    summary=f"{event_type.lower()} at {at.astimezone(UK):%H:%M %A %d %B %Y}",
                    actor_id=actor_id,
                    subject_id=subject_id,
                    event_seq=seq,
                    at=at,
                )
            count = distinct_subjects_in_hour(actor_id, at)
            if too_many_subjects(count, limit):
                bucket = at.astimezone(UK).strftime("%Y-%m-%dT%H")
                raised += raise_alert(
                    AlertRule.MANY_SUBJECTS,
                    f"{actor_id.hex}:{bucket}",
                    summary=f"{count} different subjects within an hour (limit {limit})",
                    actor_id=actor_id,
                    event_seq=seq,
                    at=at,
                )
        elif event_type == EventType.AUTHZ_FAIL.value and _ended_grant_refusal(body):
            count = ended_grant_refusals(actor_id, at)
            if repeated_refusals(count, threshold):
                day = at.astimezone(UK).date().isoformat()
                raised += raise_alert(
                    AlertRule.REPEATED_REFUSALS,
                    f"{actor_id.hex}:{day}",
                    summary=f"{count} refusals for expired or revoked grants within a day",
                    actor_id=actor_id,
                    subject_id=subject_id,
                    event_seq=seq,
                    at=at,
                )
    if rows:
        state.last_seq = int(rows[-1][0])
    state.last_grant_check = db_now()
    session.flush()
    return len(rows), raised


def _ended_grant_refusal(body: str) -> bool:
    return any(f'"reason":"{reason}"' in body for reason in _ENDED_GRANT_REFUSALS)


def distinct_subjects_in_hour(actor_id: uuid.UUID, at: datetime) -> int:
    """Distinct subjects the user processed in the hour up to and including ``at``."""
    e = AuditEventRow
    return int(
        db.session.execute(
            select(func.count(func.distinct(e.subject_id))).where(
                e.actor_id == actor_id,
                e.event_type.in_(_PROCESSING),
                e.subject_id.is_not(None),
                e.recorded_at > at - timedelta(hours=1),
                e.recorded_at <= at,
            )
        ).scalar_one()
    )


def ended_grant_refusals(actor_id: uuid.UUID, at: datetime) -> int:
    e = AuditEventRow
    bodies = db.session.execute(
        select(e.body).where(
            e.actor_id == actor_id,
            e.event_type == EventType.AUTHZ_FAIL.value,
            e.recorded_at > at - timedelta(days=1),
            e.recorded_at <= at,
        )
    ).scalars()
    return sum(1 for body in bodies if _ended_grant_refusal(body))


def expiring_grants() -> int:
    """Live grants ending within the warning period with no renewal decision yet."""
    now = db_now()
    g = AccessGrant
    renewal = AccessGrant.__table__.alias("renewal")
    rows = db.session.execute(
        select(g.id, g.subject_id, g.expires_at)
        .outerjoin(renewal, renewal.c.renews_id == g.id)
        .where(
            g.status == policy.ACTIVE,
            g.valid_from <= now,
            g.expires_at > now,
            g.expires_at <= now + timedelta(days=expiry_days()),
            and_(renewal.c.id.is_(None)),
        )
    ).all()
    raised = 0
    for grant_id, subject_id, ends in rows:
        raised += raise_alert(
            AlertRule.GRANT_EXPIRING,
            grant_id.hex,
            summary=f"Grant ends {ends.astimezone(UK):%d %B %Y %H:%M} with no renewal decision",
            subject_id=subject_id,
            grant_id=grant_id,
        )
    return raised


# --- The queue and dispositions -------------------------------------------------------------


@dataclass(frozen=True)
class AlertItem:
    alert_id: uuid.UUID
    rule: AlertRule
    raised_at: datetime
    actor_id: uuid.UUID | None
    actor: str
    subject_id: uuid.UUID | None
    grant_id: uuid.UUID | None
    event_seq: int | None
    summary: str
    own: bool
    decision: str | None
    decided_by: str | None
    decided_at: datetime | None
    notes: str | None
    disposition_id: uuid.UUID | None


@dataclass(frozen=True)
class Queue:
    open: tuple[AlertItem, ...]
    decided: tuple[AlertItem, ...]


def _latest_dispositions(alert_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, AlertDisposition]:
    if not alert_ids:
        return {}
    superseded = select(AlertDisposition.supersedes_id).where(
        AlertDisposition.supersedes_id.is_not(None)
    )
    rows = db.session.execute(
        select(AlertDisposition).where(
            AlertDisposition.alert_id.in_(list(alert_ids)),
            AlertDisposition.id.not_in(superseded),
        )
    ).scalars()
    return {d.alert_id: d for d in rows}


def queue(actor: Actor) -> Queue:
    """Open alerts oldest first, then the latest decisions; scans the log first. Records
    ``LOG_READ`` (reason ``alerts``)."""
    require(actor, Permission.ALERT_REVIEW)
    scan()
    alerts = list(db.session.execute(select(Alert).order_by(Alert.raised_at, Alert.id)).scalars())
    latest = _latest_dispositions([a.id for a in alerts])
    people = [a.actor_id for a in alerts] + [d.reviewer_id for d in latest.values()]
    names = directory.names_for(db.session(), people, [])
    items = [_item(a, latest.get(a.id), names, actor) for a in alerts]
    open_items = tuple(i for i in items if i.decision is None)
    decided = tuple(
        sorted(
            (i for i in items if i.decision is not None),
            key=lambda i: i.decided_at or i.raised_at,
            reverse=True,
        )[:50]
    )
    record(
        events.log_read(
            actor, reason="alerts", detail={"open": str(len(open_items)), "rows": str(len(items))}
        )
    )
    return Queue(open_items, decided)


def _item(
    alert: Alert, latest: AlertDisposition | None, names: directory.Names, actor: Actor
) -> AlertItem:
    return AlertItem(
        alert_id=alert.id,
        rule=AlertRule(alert.rule),
        raised_at=alert.raised_at,
        actor_id=alert.actor_id,
        actor=names.user(alert.actor_id) if alert.actor_id else "Nobody (a grant)",
        subject_id=alert.subject_id,
        grant_id=alert.grant_id,
        event_seq=alert.event_seq,
        summary=alert.summary,
        own=alert.actor_id == actor.user_id,
        decision=Disposition(latest.outcome).label if latest else None,
        decided_by=names.user(latest.reviewer_id) if latest else None,
        decided_at=latest.decided_at if latest else None,
        notes=latest.notes if latest else None,
        disposition_id=latest.id if latest else None,
    )


class DispositionRefused(ValueError):
    """A disposition that cannot be recorded: ``field`` names the form field to mark."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class DecidedMeanwhile(DispositionRefused):
    """The alert was decided after the page was opened (by someone else, or by a click already
    sent): recording this decision would supersede one its reviewer never saw. ``version`` is
    the current one, for the page shown again with the reviewer's answers."""

    def __init__(self, version: str) -> None:
        super().__init__(
            "submit",
            "This alert was decided by someone else after you opened this page, so your "
            "decision has not been recorded. Check the decision shown, then record yours again",
        )
        self.version = version


def decision_version(item: AlertItem) -> str:
    """What the review page sends back to say which decision (if any) it showed."""
    return item.disposition_id.hex if item.disposition_id else "undecided"


def alert_for_review(actor: Actor, alert_id: uuid.UUID) -> AlertItem:
    """One alert with its latest decision (nothing recorded: :func:`show_alert` and
    :func:`dispose` record their reads).

    :raises AccessDenied: for non-reviewers and unknown alerts (the same 404).
    """
    require(actor, Permission.ALERT_REVIEW)
    alert = db.session.get(Alert, alert_id)
    if alert is None:
        raise AccessDenied("not_found", actor=actor, permission=Permission.ALERT_REVIEW)
    latest = _latest_dispositions([alert.id]).get(alert.id)
    people = [alert.actor_id] + ([latest.reviewer_id] if latest else [])
    return _item(alert, latest, directory.names_for(db.session(), people, []), actor)


def show_alert(actor: Actor, alert_id: uuid.UUID) -> AlertItem:
    """One alert for its review page; records ``LOG_READ`` (reason ``alert``).

    The page shows metadata derived from the log (whose access, when, which subject), so
    opening it is a read of the log like the queue's.

    :raises AccessDenied: for non-reviewers and unknown alerts (the same 404, nothing read).
    """
    item = alert_for_review(actor, alert_id)
    record(
        events.log_read(
            actor, reason="alert", subject_id=item.subject_id, detail={"alert_id": alert_id.hex}
        )
    )
    return item


def dispose(
    actor: Actor, alert_id: uuid.UUID, *, outcome: str, notes: str, seen: str = ""
) -> uuid.UUID:
    """Record a decision on an alert, superseding the latest one; records ``LOG_READ``
    (reason ``alert_disposed``) in the same transaction. Returns the disposition's id.

    The alert row is locked first (``FOR NO KEY UPDATE``, until the caller's transaction ends),
    so decisions sent at the same moment are recorded one after the other; ``seen`` (the
    page's :func:`decision_version`, when it sent one) must still be the latest decision.

    :raises AccessDenied: for non-reviewers and unknown alerts.
    :raises DecidedMeanwhile: when the alert was decided after the page was opened.
    :raises DispositionRefused: for one's own alert, no outcome, or notes too short.
    """
    db.session.execute(select(Alert.id).where(Alert.id == alert_id).with_for_update(key_share=True))
    item = alert_for_review(actor, alert_id)
    if item.own:
        raise DispositionRefused("outcome", "You cannot review an alert about your own access")
    if seen and seen != decision_version(item):
        raise DecidedMeanwhile(decision_version(item))
    if outcome not in Disposition.__members__:
        raise DispositionRefused("outcome", "Choose justified, needs follow-up or breach")
    notes = notes.strip()
    if len(notes) < MIN_NOTES or len(notes) > 2000:
        raise DispositionRefused(
            "notes", f"Enter notes of between {MIN_NOTES} and 2,000 characters"
        )
    if has_control_characters(notes):
        raise DispositionRefused("notes", "Remove the special characters from the notes")
    disposition_id = uuid.uuid4()
    seq = record(
        events.log_read(
            actor,
            reason="alert_disposed",
            subject_id=item.subject_id,
            detail={
                "alert_id": alert_id.hex,
                "decision": outcome,
                "disposition_id": disposition_id.hex,
                "supersedes": item.disposition_id.hex if item.disposition_id else "",
            },
        )
    )
    db.session.add(
        AlertDisposition(
            id=disposition_id,
            alert_id=alert_id,
            reviewer_id=actor.user_id,
            outcome=outcome,
            notes=notes,
            decided_at=db_now(),
            supersedes_id=item.disposition_id,
            event_seq=seq,
        )
    )
    db.session.flush()
    return disposition_id
