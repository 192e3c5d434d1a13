"""Break-glass: opening a subject without a grant in an emergency.

A user holding ``break_glass:use`` whom the ordinary rules refuse only for want of a live grant
gives a reason of at least 20 characters; a window opens for ``PORTAL_BREAK_GLASS_MINUTES``
(default 60) from the database clock's now. The ``BREAK_GLASS`` event (code ``EMERGENCY``, the
reason as its justification) and a review alert are written in the same transaction. While the
window lasts the gate lets the user view the subject, every event carrying ``EMERGENCY``, and
every page shows a banner; one second after it ends the gate refuses again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from portal.access import facts as access_facts
from portal.access import policy
from portal.access.gate import AccessDenied, deny_unknown
from portal.access.models import BreakGlassWindow
from portal.access.permissions import Permission
from portal.audit import events
from portal.audit.recorder import record
from portal.core.actor import Actor
from portal.core.clock import db_now
from portal.core.identity import Clearance
from portal.core.inputs import has_control_characters
from portal.core.markings import combine
from portal.db.statements import run, time_param, uuid_param
from portal.extensions import db
from portal.governance.alerts import raise_alert
from portal.governance.models import AlertRule
from portal.governance.service import require
from portal.records.repository import list_records_for_subject
from portal.subjects.repository import find_subject
from portal.subjects.service import stored_marking
from portal.users.models import User

MIN_REASON = 20
MAX_REASON = 2000


class ReasonRefused(ValueError):
    """The reason is too short or too long (shown on the form)."""


class AlreadyAllowed(Exception):
    """The user can open the subject without breaking the glass."""


def window_minutes() -> int:
    return int(current_app.config.get("PORTAL_BREAK_GLASS_MINUTES", 60))


def _decision(actor: Actor, subject_id: uuid.UUID) -> tuple[policy.Outcome, str]:
    subject = find_subject(subject_id)
    if subject is None:
        deny_unknown(actor, Permission.BREAK_GLASS, subject_id=subject_id)
    records = list_records_for_subject(subject.id)
    marking = combine(
        [stored_marking(subject.marking), *(stored_marking(r.marking) for r in records)]
    )
    loaded = access_facts.load(
        user_id=actor.user_id, agency_id=actor.agency_id, subject_id=subject.id
    )
    outcome = policy.decide(
        actor=policy.ActorFacts(
            user_id=actor.user_id,
            agency_id=actor.agency_id,
            roles=actor.roles,
            clearance=Clearance(actor.clearance),
            active=loaded.actor_active,
        ),
        permission=Permission.SUBJECT_READ,
        target=policy.TargetFacts(
            subject_id=subject.id, owning_agency_id=subject.owning_agency_id, tier=marking.tier
        ),
        writes=False,
        grants=loaded.grants,
        lao=loaded.lao,
        acknowledged=loaded.acknowledged,
        needs_acknowledgement=False,
        now=loaded.now,
    )
    return outcome, marking.banner


def check_may_break_glass(actor: Actor, subject_id: uuid.UUID) -> None:
    """Refuse (404) unless the actor may break the glass on this subject now.

    :raises AccessDenied: no permission, no such subject, or refused for another reason than
        the lack of a grant (exclusion, restriction, clearance).
    :raises AlreadyAllowed: the actor can open it already, or has an emergency window on it
        open now (a second window would be a second emergency, event and alert for one).
    """
    require(actor, Permission.BREAK_GLASS, subject_id=subject_id)
    outcome, _ = _decision(actor, subject_id)
    if isinstance(outcome, policy.Allow):
        raise AlreadyAllowed()
    if not policy.break_glass_may_start(roles=actor.roles, refusal=outcome):
        reason = outcome.reason if isinstance(outcome, policy.Refusal) else "refused"
        raise AccessDenied(
            reason, actor=actor, permission=Permission.BREAK_GLASS, subject_id=subject_id
        )
    window = access_facts.break_glass_window(
        user_id=actor.user_id, subject_id=subject_id, now=db_now()
    )
    if window is not None:
        raise AlreadyAllowed()


def break_glass(actor: Actor, subject_id: uuid.UUID, *, reason: str) -> datetime:
    """Open an emergency window; writes the window, ``BREAK_GLASS`` and an alert in the
    caller's transaction. Returns when the window ends.

    The actor's account row is locked first (``FOR NO KEY UPDATE``, until the caller's
    transaction ends), so the same request sent twice at once (a double click) opens one
    window: the second finds it open and is sent to the subject.

    :raises ReasonRefused: for a reason shorter than 20 characters (nothing written).
    :raises AlreadyAllowed: when the actor may open the subject already (a window is open).
    """
    db.session.execute(
        select(User.id).where(User.id == actor.user_id).with_for_update(key_share=True)
    )
    check_may_break_glass(actor, subject_id)
    reason = " ".join(reason.split())
    if len(reason) < MIN_REASON:
        raise ReasonRefused(f"Enter a reason of at least {MIN_REASON} characters")
    if len(reason) > MAX_REASON:
        raise ReasonRefused(f"Enter a reason of {MAX_REASON:,} characters or fewer")
    if has_control_characters(reason):
        raise ReasonRefused("Remove the special characters from the reason")
    _, banner = _decision(actor, subject_id)
    now = db_now()
    ends = now + timedelta(minutes=window_minutes())
    window_id = uuid.uuid4()
    db.session.add(
        BreakGlassWindow(
            id=window_id,
            user_id=actor.user_id,
            agency_id=actor.agency_id,
            subject_id=subject_id,
            reason=reason,
            started_at=now,
            ends_at=ends,
        )
    )
    db.session.flush()
    seq = record(
        events.break_glass(
            actor,
            subject_id=subject_id,
            justification=reason,
            dp_condition=policy.EMERGENCY_DP_CONDITION,
            marking=banner,
        )
    )
    raise_alert(
        AlertRule.BREAK_GLASS,
        window_id.hex,
        summary=f"Emergency access for {window_minutes()} minutes",
        actor_id=actor.user_id,
        subject_id=subject_id,
        event_seq=seq,
        at=now,
    )
    return ends


@dataclass(frozen=True)
class OpenWindow:
    subject_id: uuid.UUID
    ends_at: datetime


# Built once: the banner's read runs on every signed-in page.
_OPEN_WINDOWS = (
    select(BreakGlassWindow.subject_id, BreakGlassWindow.ends_at)
    .where(
        BreakGlassWindow.user_id == uuid_param("user_id"),
        BreakGlassWindow.started_at <= time_param("now"),
        BreakGlassWindow.ends_at > time_param("now"),
    )
    .order_by(BreakGlassWindow.ends_at)
)


def open_windows(user_id: uuid.UUID, *, now: datetime | None = None) -> list[OpenWindow]:
    """The user's break-glass windows open at ``now`` (for the banner); reads only.

    ``now`` is the database time the request's session was opened at, when there is one, so
    the banner costs no second clock query; the gate decides access at its own database time.
    """
    now = db_now() if now is None else now
    rows = run(_OPEN_WINDOWS, {"user_id": user_id, "now": now}).all()
    return [OpenWindow(s, e) for s, e in rows]
