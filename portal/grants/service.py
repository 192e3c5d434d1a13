"""Grant life cycle: request, approve, refuse, grant, revoke, suspend, resume, renew.

Every change is authorised and recorded by
:func:`portal.access.grant_changes.authorize_grant_change` (exactly one ``GRANT_CHANGED`` event
in the caller's transaction) before anything is written; pages that show a subject's grants or
its LAO lists open the subject through :func:`portal.access.gate.authorize`. Nothing here commits.

Dates are whole days in UTC: a grant ending on a day ends at the first instant of the next
day; one starting today starts now, by the database clock. Expiry is never stored: a grant is
live while ``ACTIVE`` and ``valid_from <= now < expires_at`` at the moment of access.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from portal.access import gate, grant_changes
from portal.access.gate import Target
from portal.access.grant_changes import GrantChange
from portal.access.models import AccessGrant, GrantStatus, ScopeKind
from portal.access.permissions import Permission
from portal.core.actor import Actor
from portal.core.clock import db_now
from portal.core.markings import Marking
from portal.grants import repository
from portal.grants.schemas import (
    ApproveCommand,
    GrantCommand,
    GrantTerms,
    ReasonCommand,
    RenewCommand,
    RequestCommand,
)
from portal.subjects.models import Subject

#: A grant ending within this period is flagged on the owner's list.
ENDS_SOON: Final = timedelta(days=7)
#: The longest a single grant may run; renewal (with a fresh justification) continues it.
MAX_DURATION: Final = timedelta(days=366)


class Refused(Exception):
    """The input cannot be saved; ``field`` is where to say why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class NotPossible(Exception):
    """The grant is not in a state that allows this change (someone changed it first)."""

    def __init__(self, message: str, *, subject_id: uuid.UUID) -> None:
        super().__init__(message)
        self.message = message
        self.subject_id = subject_id


# --- Helpers ------------------------------------------------------------------------------


def subject_target(subject: Subject) -> Target:
    return Target(
        subject_id=subject.id,
        owning_agency_id=subject.owning_agency_id,
        marking=Marking.from_json(subject.marking),
    )


def find_subject(actor: Actor, subject_id: uuid.UUID, permission: Permission) -> Subject:
    """The subject, or the same refusal as for one the actor may not open."""
    subject = repository.find_subject(subject_id)
    if subject is None:
        gate.deny_unknown(actor, permission, subject_id=subject_id)
    return subject


def _locked(actor: Actor, grant_id: uuid.UUID) -> AccessGrant:
    grant = repository.lock_grant(grant_id)
    if grant is None:
        gate.deny_unknown(actor, Permission.GRANT_MANAGE)
    return grant


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _window(terms: GrantTerms, now: datetime) -> tuple[datetime, datetime]:
    """``(valid_from, expires_at)`` for the terms, judged against the database time ``now``.

    :raises Refused: for a start or an end in the past, or a grant longer than allowed.
    """
    today = now.date()
    if terms.starts_on is not None and terms.starts_on < today:
        raise Refused("starts_on", "The start date must be today or in the future")
    if terms.expires_on < today:
        raise Refused("expires_on", "The date access ends must be today or in the future")
    starts = (
        now if terms.starts_on is None or terms.starts_on == today else _day_start(terms.starts_on)
    )
    ends = _day_start(terms.expires_on + timedelta(days=1))
    if ends <= starts:
        raise Refused("expires_on", "The date access ends must be after the start date")
    if ends - starts > MAX_DURATION:
        raise Refused("expires_on", "Access can be given for up to a year at a time")
    return starts, ends


def _detail(grant: AccessGrant) -> dict[str, str]:
    detail = {
        "status": grant.status,
        "scope": grant.scope_kind,
        "grantee_agency_id": str(grant.grantee_agency_id),
        "valid_from": grant.valid_from.isoformat(),
        "expires_at": grant.expires_at.isoformat(),
    }
    if grant.view_profile:
        detail["view_profile"] = grant.view_profile
    if grant.grantee_user_id:
        detail["grantee_user_id"] = str(grant.grantee_user_id)
    if grant.renews_id:
        detail["renews"] = str(grant.renews_id)
    return detail


def _check(actor: Actor, change: GrantChange, grant: AccessGrant) -> None:
    grant_changes.check_grant_change(
        actor,
        change,
        subject_id=grant.subject_id,
        owner_agency_id=grant.owner_agency_id,
        grant_id=grant.id,
        record_id=grant.record_id,
        requested_by_id=grant.requested_by_id,
    )


def _record_change(
    actor: Actor,
    change: GrantChange,
    grant: AccessGrant,
    *,
    justification: str | None = None,
    follows: uuid.UUID | None = None,
) -> None:
    detail = _detail(grant)
    if follows is not None:
        detail["follows"] = str(follows)
    grant_changes.authorize_grant_change(
        actor,
        change,
        grant_id=grant.id,
        subject_id=grant.subject_id,
        owner_agency_id=grant.owner_agency_id,
        record_id=grant.record_id,
        requested_by_id=grant.requested_by_id,
        legal_gateway=grant.legal_gateway,
        dp_condition=grant.dp_condition,
        justification=justification or grant.justification,
        detail=detail,
    )


# --- Direct grants and requests -------------------------------------------------------------


def grant_access(actor: Actor, *, subject_id: uuid.UUID, command: GrantCommand) -> uuid.UUID:
    """The owner's grant manager gives a partner agency (or one of its users) access.

    Writes the grant and one ``GRANT_CHANGED`` event.

    :raises AccessDenied: for anyone but the owning agency's grant managers.
    :raises Refused: for a grantee, record or window that cannot be accepted.
    """
    subject = find_subject(actor, subject_id, Permission.GRANT_MANAGE)
    grant_changes.check_grant_change(
        actor, GrantChange.GRANTED, subject_id=subject.id, owner_agency_id=subject.owning_agency_id
    )
    now = db_now()
    terms = command.terms
    valid_from, expires_at = _window(terms, now)
    grant = AccessGrant(
        id=uuid.uuid4(),
        owner_agency_id=subject.owning_agency_id,
        grantee_agency_id=command.grantee_agency_id,
        grantee_user_id=_grantee_user(subject, command),
        scope_kind=command.scope,
        subject_id=subject.id,
        record_id=command.record_id,
        view_profile=command.view_profile,
        legal_gateway=terms.legal_gateway,
        dp_condition=terms.dp_condition,
        justification=terms.justification,
        isa_reference=terms.isa_reference,
        status=GrantStatus.ACTIVE.value,
        valid_from=valid_from,
        expires_at=expires_at,
        granted_by_id=actor.user_id,
        approved_by_id=actor.user_id,
        approved_at=now,
        created_at=now,
    )
    repository.add_grant(grant)
    _record_change(actor, GrantChange.GRANTED, grant)
    return grant.id


def _grantee_user(subject: Subject, command: GrantCommand) -> uuid.UUID | None:
    names = repository.agency_names({command.grantee_agency_id})
    if command.grantee_agency_id not in names:
        raise Refused("grantee_agency_id", "Select the agency from the list")
    if command.grantee_agency_id == subject.owning_agency_id:
        raise Refused("grantee_agency_id", "Your agency already has access. Select a partner")
    if command.record_id is not None and repository.record_subject(command.record_id) != subject.id:
        raise Refused("record_id", "Select the record from the list")
    if not command.grantee_user_email:
        return None
    email = command.grantee_user_email
    person = repository.find_people_by_email([email]).get(email)
    if person is None or person.agency_id != command.grantee_agency_id:
        raise Refused(
            "grantee_user_email",
            f"No one at {names[command.grantee_agency_id]} has this email address",
        )
    return person.id


def request_access(actor: Actor, *, command: RequestCommand) -> None:
    """A partner asks the owning agency for access to a subject they can identify.

    When no subject has the identifier, nothing is written and nothing says so: the answer is
    the same either way, so the form cannot be used to find out who is in the portal. Nor when
    the same request is already pending (the form sent twice): the owner gets one to decide.

    :raises AccessDenied: when the actor may not request access to this subject.
    :raises Refused: for a window that cannot be accepted.
    """
    now = db_now()
    valid_from, expires_at = _window(command.terms, now)
    subject = repository.find_subject_by_identifier(command.identifier_kind, command.identifier)
    if subject is None:
        return
    terms = command.terms
    grant = AccessGrant(
        id=uuid.uuid4(),
        owner_agency_id=subject.owning_agency_id,
        grantee_agency_id=actor.agency_id,
        scope_kind=ScopeKind.SUBJECT.value,
        subject_id=subject.id,
        view_profile=command.view_profile,
        legal_gateway=terms.legal_gateway,
        dp_condition=terms.dp_condition,
        justification=terms.justification,
        isa_reference=terms.isa_reference,
        status=GrantStatus.REQUESTED.value,
        valid_from=valid_from,
        expires_at=expires_at,
        requested_by_id=actor.user_id,
        requested_at=now,
        created_at=now,
    )
    _check(actor, GrantChange.REQUESTED, grant)
    repository.lock_subject(subject.id)
    if repository.same_request_pending(grant):
        return
    repository.add_grant(grant)
    _record_change(actor, GrantChange.REQUESTED, grant)


def approve_request(actor: Actor, *, grant_id: uuid.UUID, command: ApproveCommand) -> uuid.UUID:
    """Approve a pending request (never by the person who made it); returns the subject id.

    :raises AccessDenied: for anyone but the owner's grant managers, or the requester.
    :raises NotPossible: when the request is no longer pending.
    :raises Refused: for an end date that cannot be accepted.
    """
    grant = _locked(actor, grant_id)
    _check(actor, GrantChange.APPROVED, grant)
    if grant.status != GrantStatus.REQUESTED.value:
        raise NotPossible("This request has already been decided", subject_id=grant.subject_id)
    now = db_now()
    terms = GrantTerms(
        legal_gateway=grant.legal_gateway,
        dp_condition=grant.dp_condition,
        justification=grant.justification,
        isa_reference=grant.isa_reference,
        expires_on=command.expires_on,
        starts_on=max(grant.valid_from.date(), now.date()),
    )
    grant.valid_from, grant.expires_at = _window(terms, now)
    grant.status = GrantStatus.ACTIVE.value
    grant.approved_by_id = grant.granted_by_id = actor.user_id
    grant.approved_at = now
    repository.flush()
    _record_change(actor, GrantChange.APPROVED, grant)
    return grant.subject_id


def _end(
    actor: Actor,
    grant_id: uuid.UUID,
    change: GrantChange,
    *,
    allowed_from: frozenset[str],
    to: GrantStatus,
    reason: str | None,
    impossible: str,
    live_only: bool = False,
) -> uuid.UUID:
    """Move the grant to ``to``, and with it the rest of its renewal chain.

    A renewal continues a grant, so the grants of one chain are one access: revoking,
    suspending or resuming any of them does the same to every other that has not ended and
    is in a state the change applies to (a renewal that has started, or one still to start,
    would otherwise go on giving access). Each grant changed gets its own ``GRANT_CHANGED``
    event; those that followed name the grant acted on (``follows``).
    """
    chain = repository.lock_renewal_chain(grant_id)
    if grant_id not in chain:
        gate.deny_unknown(actor, Permission.GRANT_MANAGE)
    grant = chain[grant_id]
    _check(actor, change, grant)
    now = db_now()
    if grant.status not in allowed_from or (live_only and grant.expires_at <= now):
        raise NotPossible(impossible, subject_id=grant.subject_id)
    followers = [
        other
        for other in chain.values()
        if other.id != grant.id and other.status in allowed_from and other.expires_at > now
    ]
    for changed in (grant, *followers):
        changed.status = to.value
        if to is GrantStatus.ACTIVE:
            changed.status_reason = None
        else:
            changed.status_reason = reason
            changed.ended_by_id = actor.user_id
            changed.ended_at = now
    repository.flush()
    _record_change(actor, change, grant, justification=reason)
    for changed in followers:
        _record_change(actor, change, changed, justification=reason, follows=grant.id)
    return grant.subject_id


def refuse_request(actor: Actor, *, grant_id: uuid.UUID, command: ReasonCommand) -> uuid.UUID:
    """Refuse a pending request with a reason (never by the requester); returns the subject id."""
    return _end(
        actor,
        grant_id,
        GrantChange.REFUSED,
        allowed_from=frozenset({GrantStatus.REQUESTED.value}),
        to=GrantStatus.REFUSED,
        reason=command.reason,
        impossible="This request has already been decided",
    )


def revoke_grant(actor: Actor, *, grant_id: uuid.UUID, command: ReasonCommand) -> uuid.UUID:
    """End a grant for good, with a reason; applies to the very next request."""
    return _end(
        actor,
        grant_id,
        GrantChange.REVOKED,
        allowed_from=frozenset({GrantStatus.ACTIVE.value, GrantStatus.SUSPENDED.value}),
        to=GrantStatus.REVOKED,
        reason=command.reason,
        impossible="Only an active or suspended grant can be revoked",
    )


def suspend_grant(actor: Actor, *, grant_id: uuid.UUID, command: ReasonCommand) -> uuid.UUID:
    """Pause an active grant, with a reason; it can be resumed."""
    return _end(
        actor,
        grant_id,
        GrantChange.SUSPENDED,
        allowed_from=frozenset({GrantStatus.ACTIVE.value}),
        to=GrantStatus.SUSPENDED,
        reason=command.reason,
        impossible="Only an active grant that has not ended can be suspended",
        live_only=True,
    )


def resume_grant(actor: Actor, *, grant_id: uuid.UUID) -> uuid.UUID:
    """Resume a suspended grant (its end date is unchanged)."""
    return _end(
        actor,
        grant_id,
        GrantChange.RESUMED,
        allowed_from=frozenset({GrantStatus.SUSPENDED.value}),
        to=GrantStatus.ACTIVE,
        reason=None,
        impossible="Only a suspended grant can be resumed",
    )


def renew_grant(actor: Actor, *, grant_id: uuid.UUID, command: RenewCommand) -> uuid.UUID:
    """A new grant continuing an active (or expired) one, with a fresh justification.

    Returns the subject id; the new grant ``renews_id`` the old one, which is left as it is
    and runs to its own end. From then on the two are one access: revoking, suspending or
    resuming either does the same to the other (:func:`_end`).

    :raises NotPossible: when the grant was revoked, refused, is pending or already renewed.
    :raises Refused: for a justification copied from the old grant or an unacceptable window.
    """
    old = _locked(actor, grant_id)
    _check(actor, GrantChange.RENEWED, old)
    if old.status != GrantStatus.ACTIVE.value or repository.is_renewed(old.id):
        raise NotPossible(
            "Only an active or expired grant that has not been renewed can be renewed",
            subject_id=old.subject_id,
        )
    terms = command.terms
    if " ".join(terms.justification.split()) == " ".join(old.justification.split()):
        raise Refused("justification", "Enter a fresh justification for the renewal")
    now = db_now()
    valid_from, expires_at = _window(terms, now)
    new = AccessGrant(
        id=uuid.uuid4(),
        owner_agency_id=old.owner_agency_id,
        grantee_agency_id=old.grantee_agency_id,
        grantee_user_id=old.grantee_user_id,
        scope_kind=old.scope_kind,
        subject_id=old.subject_id,
        record_id=old.record_id,
        view_profile=old.view_profile,
        legal_gateway=terms.legal_gateway,
        dp_condition=terms.dp_condition,
        justification=terms.justification,
        isa_reference=terms.isa_reference,
        status=GrantStatus.ACTIVE.value,
        valid_from=valid_from,
        expires_at=expires_at,
        granted_by_id=actor.user_id,
        approved_by_id=actor.user_id,
        approved_at=now,
        renews_id=old.id,
        created_at=now,
    )
    repository.add_grant(new)
    _record_change(actor, GrantChange.RENEWED, new)
    return new.subject_id
