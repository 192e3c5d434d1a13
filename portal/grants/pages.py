"""What the grant pages show: a subject's grants, the grant form's choices, one grant, and
the queue of requests.

Pages that show a subject open it through :func:`portal.access.gate.authorize` (one
``CONSULTATION``, owner's staff only); the requests queue shows names only and writes nothing.
Each page, and its event, carries the combined marking of the subject and of every record
whose title it shows.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from portal.access import gate
from portal.access.gate import Purpose, Target
from portal.access.models import AccessGrant, GrantStatus, ViewProfile
from portal.access.permissions import Permission
from portal.core import lawful_basis
from portal.core.actor import Actor
from portal.core.clock import db_now
from portal.core.markings import Marking, combine
from portal.grants import repository
from portal.grants.service import ENDS_SOON, find_subject, subject_target
from portal.subjects.models import Subject


@dataclass(frozen=True)
class Basis:
    code: str
    label: str


def showing(subject: Subject, records: Iterable[repository.RecordChoice]) -> Target:
    """The subject as a target, marked with itself and the records whose titles a page shows."""
    target = subject_target(subject)
    markings = [target.marking, *(Marking.from_json(r.marking) for r in records)]
    return replace(target, marking=combine(markings))


def basis(code: str) -> Basis:
    try:
        return Basis(code, lawful_basis.basis(code).display)
    except lawful_basis.UnknownLawfulBasis:
        return Basis(code, code)


@dataclass(frozen=True)
class GrantRow:
    grant_id: uuid.UUID
    grantee: str
    what: str
    status: str
    status_tag: str
    legal_gateway: Basis
    dp_condition: Basis
    justification: str
    isa_reference: str
    valid_from: datetime
    expires_at: datetime
    ends_soon: bool
    reason: str | None
    requested_by: str | None
    actions: frozenset[str]
    #: Renewed, or a renewal: revoking, suspending or resuming it does the same to the others.
    in_renewal: bool = False


@dataclass(frozen=True)
class GrantsPage:
    subject_id: uuid.UUID
    subject_name: str
    marking: str
    rows: tuple[GrantRow, ...]


def subject_grants(actor: Actor, *, subject_id: uuid.UUID) -> GrantsPage:
    """The subject's grants for its owner's grant managers: a consultation of the subject."""
    subject = find_subject(actor, subject_id, Permission.GRANT_MANAGE)
    grants = repository.list_grants_for_subject(subject.id)
    named = {g.record_id for g in grants}
    records = {r.id: r for r in repository.records_of(subject.id) if r.id in named}
    target = showing(subject, records.values())
    gate.authorize(actor, Permission.GRANT_MANAGE, target, purpose=Purpose.VIEW)
    now = db_now()
    agencies = repository.agency_names({g.grantee_agency_id for g in grants})
    people = repository.user_names(
        {u for g in grants for u in (g.grantee_user_id, g.requested_by_id) if u is not None}
    )
    renewed = {g.renews_id for g in grants if g.renews_id is not None}
    rows = tuple(
        _row(actor, g, now, agencies, people, records, renewed=g.id in renewed) for g in grants
    )
    return GrantsPage(subject.id, subject.display_name, target.marking.banner, rows)


def _row(
    actor: Actor,
    grant: AccessGrant,
    now: datetime,
    agencies: Mapping[uuid.UUID, str],
    people: Mapping[uuid.UUID, str],
    records: Mapping[uuid.UUID, repository.RecordChoice],
    *,
    renewed: bool,
) -> GrantRow:
    status, tag = status_label(grant, now)
    grantee = agencies.get(grant.grantee_agency_id, "")
    if grant.grantee_user_id is not None:
        grantee = f"{people.get(grant.grantee_user_id, '')}, {grantee}"
    if grant.record_id is not None:
        record = records.get(grant.record_id)
        what = f"One record: {record.title}" if record else "One record"
    else:
        what = ViewProfile(grant.view_profile).label if grant.view_profile else ""
    live = grant.status == GrantStatus.ACTIVE.value and grant.valid_from <= now < grant.expires_at
    return GrantRow(
        grant_id=grant.id,
        grantee=grantee,
        what=what,
        status=status,
        status_tag=tag,
        legal_gateway=basis(grant.legal_gateway),
        dp_condition=basis(grant.dp_condition),
        justification=grant.justification,
        isa_reference=grant.isa_reference,
        valid_from=grant.valid_from,
        expires_at=grant.expires_at,
        ends_soon=live and grant.expires_at - now <= ENDS_SOON,
        reason=grant.status_reason,
        requested_by=people.get(grant.requested_by_id) if grant.requested_by_id else None,
        actions=_actions(actor, grant, now, renewed=renewed),
        in_renewal=renewed or grant.renews_id is not None,
    )


def status_label(grant: AccessGrant, now: datetime) -> tuple[str, str]:
    """What to call the grant's state now (expiry is derived, never stored) and its tag colour."""
    if grant.status == GrantStatus.ACTIVE.value:
        if grant.expires_at <= now:
            return "Expired", "govuk-tag--grey"
        if grant.valid_from > now:
            return "Not started", "govuk-tag--blue"
        return "Active", "govuk-tag--green"
    return {
        GrantStatus.REQUESTED.value: ("Requested", "govuk-tag--yellow"),
        GrantStatus.SUSPENDED.value: ("Suspended", "govuk-tag--orange"),
        GrantStatus.REVOKED.value: ("Revoked", "govuk-tag--red"),
        GrantStatus.REFUSED.value: ("Refused", "govuk-tag--grey"),
    }.get(grant.status, (grant.status.title(), "govuk-tag--grey"))


def _actions(actor: Actor, grant: AccessGrant, now: datetime, *, renewed: bool) -> frozenset[str]:
    status = grant.status
    actions: set[str] = set()
    if status == GrantStatus.REQUESTED.value and grant.requested_by_id != actor.user_id:
        actions |= {"approve", "refuse"}
    if status in (GrantStatus.ACTIVE.value, GrantStatus.SUSPENDED.value) and grant.expires_at > now:
        actions.add("revoke")
    if status == GrantStatus.ACTIVE.value and grant.expires_at > now:
        actions.add("suspend")
    if status == GrantStatus.SUSPENDED.value:
        actions.add("resume")
    if status == GrantStatus.ACTIVE.value and not renewed:
        actions.add("renew")
    return frozenset(actions)


@dataclass(frozen=True)
class Choice:
    value: str
    text: str


@dataclass(frozen=True)
class GrantFormPage:
    subject_id: uuid.UUID
    subject_name: str
    marking: str
    agencies: tuple[Choice, ...]
    records: tuple[Choice, ...]


def grant_form(actor: Actor, *, subject_id: uuid.UUID) -> GrantFormPage:
    """What the grant form offers: partner agencies and the subject's records."""
    subject = find_subject(actor, subject_id, Permission.GRANT_MANAGE)
    choices = repository.records_of(subject.id)
    target = showing(subject, choices)
    gate.authorize(actor, Permission.GRANT_MANAGE, target, purpose=Purpose.VIEW)
    agencies = tuple(
        Choice(str(a.id), a.name)
        for a in repository.list_agencies()
        if a.id != subject.owning_agency_id
    )
    records = tuple(Choice(str(r.id), r.title) for r in choices)
    return GrantFormPage(subject.id, subject.display_name, target.marking.banner, agencies, records)


@dataclass(frozen=True)
class GrantSummary:
    grant_id: uuid.UUID
    subject_id: uuid.UUID
    subject_name: str
    marking: str
    row: GrantRow


def grant_summary(actor: Actor, *, grant_id: uuid.UUID) -> GrantSummary:
    """One grant, for the approve, refuse, revoke, suspend and renew pages."""
    grant = repository.find_grant(grant_id)
    if grant is None:
        gate.deny_unknown(actor, Permission.GRANT_MANAGE)
    subject = find_subject(actor, grant.subject_id, Permission.GRANT_MANAGE)
    records = {r.id: r for r in repository.records_of(subject.id) if r.id == grant.record_id}
    target = showing(subject, records.values())
    gate.authorize(actor, Permission.GRANT_MANAGE, target, purpose=Purpose.VIEW)
    now = db_now()
    agencies = repository.agency_names({grant.grantee_agency_id})
    people = repository.user_names(
        {u for u in (grant.grantee_user_id, grant.requested_by_id) if u is not None}
    )
    row = _row(
        actor, grant, now, agencies, people, records, renewed=repository.is_renewed(grant.id)
    )
    return GrantSummary(grant.id, subject.id, subject.display_name, target.marking.banner, row)


@dataclass(frozen=True)
class PendingRequest:
    grant_id: uuid.UUID
    subject_id: uuid.UUID
    subject_name: str
    requested_by: str
    agency: str
    what: str
    legal_gateway: Basis
    dp_condition: Basis
    justification: str
    requested_at: datetime | None
    expires_at: datetime
    own_request: bool


@dataclass(frozen=True)
class RequestsPage:
    requests: tuple[PendingRequest, ...]
    #: The combined marking of the subjects named.
    marking: str


def pending_requests(actor: Actor) -> RequestsPage:
    """Requests waiting for the actor's agency (names only; no audit event: no record content).

    Only the owning agency's grant managers reach this list (the route's permission); subjects
    whose LAO lists bar the actor are left out.
    """
    rows = repository.list_pending_requests(actor.agency_id, user_id=actor.user_id)
    agencies = repository.agency_names({r.grant.grantee_agency_id for r in rows})
    people = repository.user_names(
        {r.grant.requested_by_id for r in rows if r.grant.requested_by_id is not None}
    )
    requests = tuple(
        PendingRequest(
            grant_id=r.grant.id,
            subject_id=r.subject.id,
            subject_name=r.subject.display_name,
            requested_by=people.get(r.grant.requested_by_id, "") if r.grant.requested_by_id else "",
            agency=agencies.get(r.grant.grantee_agency_id, ""),
            what=ViewProfile(r.grant.view_profile).label if r.grant.view_profile else "",
            legal_gateway=basis(r.grant.legal_gateway),
            dp_condition=basis(r.grant.dp_condition),
            justification=r.grant.justification,
            requested_at=r.grant.requested_at,
            expires_at=r.grant.expires_at,
            own_request=r.grant.requested_by_id == actor.user_id,
        )
        for r in rows
    )
    marking = combine(Marking.from_json(r.subject.marking) for r in rows)
    return RequestsPage(requests, marking.banner)
