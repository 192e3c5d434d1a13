"""Subjects: create, edit, view, print, acknowledge confidentiality, and list what is shared.

Every use case that returns or changes a subject starts with :func:`portal.access.gate.authorize`
(which writes exactly one audit event in the caller's transaction) and never commits. An id that
does not exist goes through :func:`~portal.access.gate.deny_unknown`, so it answers exactly as an
id the actor may not open. What a page shows is chosen from ``decision.scope`` through the
explicit field lists of :mod:`portal.subjects.schemas` and :mod:`portal.records.schemas`.

Lists (the agency's own subjects, "shared with my agency") write no audit event: they show grant
metadata and subject names only, never record content, and only names the actor may open
(LAO lists applied). Each subject opened from them is a consultation of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from portal.access import gate, policy
from portal.access.gate import AcknowledgementRequired, Decision, Purpose, Target
from portal.access.models import ScopeKind, ViewProfile
from portal.access.permissions import Permission
from portal.core import lawful_basis
from portal.core.actor import Actor
from portal.core.clock import db_now
from portal.core.markings import Marking, combine, may_remark
from portal.core.versions import saved_version
from portal.records import repository as records_repository
from portal.records.models import RecordKind, SharedRecord
from portal.records.schemas import (
    RECORD_FIELDS,
    record_output,
    record_sections,
    record_visible,
)
from portal.subjects import repository
from portal.subjects.models import Subject, SubjectAlias, SubjectType
from portal.subjects.schemas import (
    MAPPA_CATEGORY_LABELS,
    MAPPA_LEVEL_LABELS,
    SUBJECT_FIELD_LABELS,
    SUBJECT_FIELDS,
    SubjectCommand,
    subject_output,
)

#: A grant ending within this period is flagged on the lists.
ENDS_SOON: Final = timedelta(days=7)

IDENTIFIER_IN_USE: Final = {
    "pnc_id": "This PNC ID is already recorded in the portal. Check it, or ask the owning agency",
    "ndelius_crn": "This nDelius CRN is already recorded in the portal. Check it, or ask the "
    "owning agency",
    "visor_ref": "This ViSOR reference is already recorded in the portal. Check it, or ask the "
    "owning agency",
}
UNKNOWN_LEAD_AGENCY: Final = "Select the lead agency from the list"
OWNER_ONLY_LOWERS: Final = (
    "Only the agency that owns this information can lower its marking. Keep the marking, or "
    "ask the owning agency to change it"
)


class Refused(Exception):
    """The input cannot be saved; ``field`` is where to say why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class ChangedMeanwhile(Refused):
    """The subject or record was saved by someone else after the edit page was opened.

    Nothing is saved: saving would silently undo their change. ``version`` is the current one,
    for the page shown again with the user's answers.
    """

    def __init__(self, what: str, version: str) -> None:
        super().__init__(
            "submit",
            f"This {what} was changed by someone else after you opened this page, so your "
            f"changes have not been saved. Check the {what}’s current details, then save "
            "your changes again",
        )
        self.version = version


def edit_version(row: Subject | SharedRecord) -> str:
    """What an edit page sends back to say which state of the subject or record it shows: the
    time it was last saved (an edit stamps ``updated_at`` from the database clock)."""
    return saved_version(row)


def check_version(what: str, row: Subject | SharedRecord, sent: str | None) -> None:
    """Refuse an edit made on a page opened before the row, locked by the caller, last changed.

    :raises ChangedMeanwhile: when ``sent`` (the page's version) is not the row's.
    """
    if sent is not None and sent != edit_version(row):
        raise ChangedMeanwhile(what, edit_version(row))


class AlreadyAcknowledged(Exception):
    """Nothing to acknowledge: the actor may already open the subject (or has no grant to
    acknowledge). Raised to roll back the unit of work, which then shows nothing."""


def owner_of(agency_id: uuid.UUID) -> str:
    """How a marking names its owning agency (the agency id as text)."""
    return str(agency_id)


def stored_marking(text: str) -> Marking:
    return Marking.from_json(text)


def subject_target(subject: Subject, *, marking: Marking | None = None) -> Target:
    return Target(
        subject_id=subject.id,
        owning_agency_id=subject.owning_agency_id,
        marking=marking or stored_marking(subject.marking),
    )


# --- Create and edit ----------------------------------------------------------------------


@dataclass(frozen=True)
class AgencyChoice:
    id: uuid.UUID
    name: str


def agency_choices(actor: Actor) -> Sequence[AgencyChoice]:
    """The agencies a subject's lead agency can be (names are not protected data)."""
    del actor  # every signed-in user may see the agency list
    return [AgencyChoice(a.id, a.name) for a in repository.list_agencies()]


def create_subject(actor: Actor, *, command: SubjectCommand) -> uuid.UUID:
    """Record a new subject owned by the actor's agency; one ``COLLECTION`` event.

    :raises Refused: for an unknown lead agency or an identifier already in use.
    """
    subject_id = uuid.uuid4()
    marking = replace(command.marking, owner=owner_of(actor.agency_id))
    target = Target(subject_id=subject_id, owning_agency_id=actor.agency_id, marking=marking)
    gate.authorize(actor, Permission.SUBJECT_WRITE, target, purpose=Purpose.CREATE)
    _check_answers(command, subject_id=None)
    subject = Subject(
        id=subject_id,
        owning_agency_id=actor.agency_id,
        created_by_id=actor.user_id,
        **_subject_values(command, marking),
    )
    subject.aliases = [SubjectAlias(name=name) for name in command.aliases]
    _save(lambda: repository.add_subject(subject))
    return subject_id


def subject_for_edit(actor: Actor, *, subject_id: uuid.UUID) -> Subject:
    """The subject, to fill the edit form: a consultation of the whole subject.

    The edit page shows every field, so it is authorised as the full view it is.
    """
    subject = _find(actor, subject_id, Permission.SUBJECT_WRITE)
    gate.authorize(actor, Permission.SUBJECT_WRITE, subject_target(subject), purpose=Purpose.VIEW)
    return subject


def edit_subject(actor: Actor, *, subject_id: uuid.UUID, command: SubjectCommand) -> None:
    """Change a subject; one ``ALTERATION`` event. Only the owner may lower its marking.

    :raises ChangedMeanwhile: when the subject was saved after the edit page was opened.
    :raises Refused: for an unknown lead agency, an identifier in use or a lowered marking.
    """
    subject = repository.lock_subject(subject_id)
    if subject is None:
        gate.deny_unknown(actor, Permission.SUBJECT_WRITE, subject_id=subject_id)
    current = stored_marking(subject.marking)
    proposed = replace(command.marking, owner=current.owner)
    # The event carries the more restrictive of the old and new markings.
    target = subject_target(subject, marking=combine([current, proposed]))
    gate.authorize(actor, Permission.SUBJECT_WRITE, target, purpose=Purpose.EDIT)
    check_version("subject", subject, command.version)
    if not may_remark(owner_of(actor.agency_id), current, proposed):
        raise Refused("classification", OWNER_ONLY_LOWERS)
    _check_answers(command, subject_id=subject.id)
    for name, value in _subject_values(command, proposed).items():
        setattr(subject, name, value)
    subject.updated_at = db_now()
    existing = {alias.name: alias for alias in subject.aliases}
    subject.aliases = [existing.get(name) or SubjectAlias(name=name) for name in command.aliases]
    _save(repository.flush_subject)


def _subject_values(command: SubjectCommand, marking: Marking) -> dict[str, Any]:
    return {
        "lead_agency_id": command.lead_agency_id,
        "family_name": command.family_name,
        "given_names": command.given_names,
        "date_of_birth": command.date_of_birth,
        "pnc_id": command.pnc_id,
        "ndelius_crn": command.ndelius_crn,
        "visor_ref": command.visor_ref,
        "subject_type": SubjectType(command.subject_type).value,
        "mappa_category": command.mappa_category,
        "mappa_level": command.mappa_level,
        "marking": marking.to_json(),
    }


def _check_answers(command: SubjectCommand, *, subject_id: uuid.UUID | None) -> None:
    if command.lead_agency_id not in repository.agency_names({command.lead_agency_id}):
        raise Refused("lead_agency_id", UNKNOWN_LEAD_AGENCY)
    for field in IDENTIFIER_IN_USE:
        value = getattr(command, field)
        if value is not None and repository.identifier_taken(field, value, other_than=subject_id):
            raise Refused(field, IDENTIFIER_IN_USE[field])


def _save(flush: Any) -> None:
    try:
        flush()
    except repository.IdentifierInUse as taken:  # a concurrent insert won the race
        raise Refused(taken.field, IDENTIFIER_IN_USE[taken.field]) from taken


# --- View and print -----------------------------------------------------------------------


@dataclass(frozen=True)
class SubjectPage:
    """What a subject page shows: exactly the fields of ``profile``, and its marking."""

    subject_id: uuid.UUID
    profile: ViewProfile
    subject: Mapping[str, Any]
    records: tuple[Mapping[str, Any], ...]
    marking: str
    is_owner: bool
    may_edit: bool
    #: The owning agency's grant managers see a link to the subject's access page, and its
    #: MAPPA co-ordinators one to its meetings (the pages themselves decide again).
    may_manage_access: bool
    may_record_meetings: bool
    #: The print button is offered only to those whose role may print (the route decides again).
    may_print: bool

    def rows(self) -> list[tuple[str, str, Any]]:
        """(field, label, value) of the subject fields shown, in page order."""
        return [
            (name, label, self.subject[name])
            for name, label in SUBJECT_FIELD_LABELS.items()
            if name in self.subject
        ]

    def sections(self, record: Mapping[str, Any]) -> list[tuple[str, str, str]]:
        return record_sections(record)


def view_subject(actor: Actor, *, subject_id: uuid.UUID) -> SubjectPage:
    """The subject as the actor's scope allows; one ``CONSULTATION`` event.

    :raises AccessDenied: for a subject the actor may not open, or no such subject.
    :raises AcknowledgementRequired: before the first opening under a grant.
    """
    subject = _find(actor, subject_id, Permission.SUBJECT_READ)
    records = records_repository.list_records_for_subject(subject.id)
    decision = gate.authorize(
        actor, Permission.SUBJECT_READ, _whole_subject(subject, records), purpose=Purpose.VIEW
    )
    return _page(actor, subject, records, decision)


def print_subject(actor: Actor, *, subject_id: uuid.UUID, recipient: str) -> SubjectPage:
    """The subject's print layout; one ``DISCLOSURE`` event naming ``recipient``.

    :raises AccessDenied: for a subject the actor may not open, or no such subject.
    :raises AcknowledgementRequired: before the first opening under a grant.
    """
    subject = _find(actor, subject_id, Permission.SUBJECT_PRINT)
    records = records_repository.list_records_for_subject(subject.id)
    decision = gate.authorize(
        actor,
        Permission.SUBJECT_PRINT,
        _whole_subject(subject, records),
        purpose=Purpose.PRINT,
        recipients=(recipient,),
    )
    return _page(actor, subject, records, decision)


def _find(actor: Actor, subject_id: uuid.UUID, permission: Permission) -> Subject:
    subject = repository.find_subject(subject_id)
    if subject is None:
        gate.deny_unknown(actor, permission, subject_id=subject_id)
    return subject


def _whole_subject(subject: Subject, records: Sequence[SharedRecord]) -> Target:
    """The subject as a target, marked with the combination of the subject and all its records.

    The scope (and so which records the page shows) is known only once the gate has decided,
    so the event records the most restrictive marking the page could carry: an access-log
    entry may overstate what was seen, never understate it. The page itself carries the
    combination of what it does show.
    """
    markings = [stored_marking(subject.marking), *(stored_marking(r.marking) for r in records)]
    return subject_target(subject, marking=combine(markings))


def _page(
    actor: Actor, subject: Subject, all_records: Sequence[SharedRecord], decision: Decision
) -> SubjectPage:
    scope = decision.scope
    records = [
        record
        for record in all_records
        if record_visible(
            scope, kind=record.kind, contains_health_details=record.contains_health_details
        )
    ]
    names = repository.agency_names(
        {subject.owning_agency_id, subject.lead_agency_id, *(r.owner_agency_id for r in records)}
    )
    record_markings = [stored_marking(record.marking) for record in records]
    is_owner = actor.agency_id == subject.owning_agency_id
    return SubjectPage(
        subject_id=subject.id,
        profile=scope,
        subject=subject_output(subject_source(subject, names), SUBJECT_FIELDS[scope]),
        records=tuple(
            record_output(record_source(record, marking, names), RECORD_FIELDS[scope])
            for record, marking in zip(records, record_markings, strict=True)
        ),
        marking=combine([stored_marking(subject.marking), *record_markings]).banner,
        is_owner=is_owner,
        may_edit=is_owner and policy.allows(actor.roles, Permission.SUBJECT_WRITE),
        may_manage_access=policy.may_manage_grants(
            actor_roles=actor.roles,
            actor_agency_id=actor.agency_id,
            owner_agency_id=subject.owning_agency_id,
        ),
        may_record_meetings=policy.may_chair(
            actor_roles=actor.roles,
            actor_agency_id=actor.agency_id,
            owner_agency_id=subject.owning_agency_id,
        ),
        may_print=policy.allows(actor.roles, Permission.SUBJECT_PRINT),
    )


def subject_source(subject: Subject, names: Mapping[uuid.UUID, str]) -> dict[str, Any]:
    """Every subject field, display-ready; the output schema keeps those a profile allows."""
    return {
        "id": subject.id,
        "display_name": subject.display_name,
        "family_name": subject.family_name,
        "given_names": subject.given_names,
        "aliases": [alias.name for alias in subject.aliases],
        "date_of_birth": subject.date_of_birth,
        "pnc_id": subject.pnc_id,
        "ndelius_crn": subject.ndelius_crn,
        "visor_ref": subject.visor_ref,
        "subject_type": SubjectType(subject.subject_type).label,
        "mappa_category": MAPPA_CATEGORY_LABELS[subject.mappa_category],
        "mappa_level": MAPPA_LEVEL_LABELS[subject.mappa_level],
        "lead_agency": names.get(subject.lead_agency_id, ""),
        "owning_agency": names.get(subject.owning_agency_id, ""),
    }


def record_source(
    record: SharedRecord, marking: Marking, names: Mapping[uuid.UUID, str]
) -> dict[str, Any]:
    """Every record field, display-ready; the output schema keeps those a profile allows."""
    return {
        "id": record.id,
        "kind": RecordKind(record.kind).label,
        "title": record.title,
        "body_html": record.body,
        "marking": marking.banner,
        "owner_agency": names.get(record.owner_agency_id, ""),
        "updated_at": record.updated_at or record.created_at,
        "contains_health_details": record.contains_health_details,
        "supervision_html": record.supervision,
        "monitoring_control_html": record.monitoring_control,
        "interventions_treatment_html": record.interventions_treatment,
        "victim_safety_html": record.victim_safety,
        "contingency_html": record.contingency,
        "licence_conditions_html": record.licence_conditions,
    }


# --- Confidentiality acknowledgement ------------------------------------------------------


def pending_acknowledgement(actor: Actor, *, subject_id: uuid.UUID) -> uuid.UUID:
    """The grant under which the actor must acknowledge confidentiality before opening.

    Nothing is shown and nothing is written: the unit of work is rolled back either way.

    :raises AlreadyAcknowledged: when the actor may open the subject already.
    :raises AccessDenied: for a subject the actor may not open, or no such subject.
    """
    subject = _find(actor, subject_id, Permission.SUBJECT_READ)
    records = records_repository.list_records_for_subject(subject.id)
    try:
        gate.authorize(
            actor, Permission.SUBJECT_READ, _whole_subject(subject, records), purpose=Purpose.VIEW
        )
    except AcknowledgementRequired as required:
        return required.grant_id
    raise AlreadyAcknowledged()


def acknowledge(actor: Actor, *, subject_id: uuid.UUID) -> None:
    """Store the actor's acknowledgement under the grant that asks for it.

    :raises AlreadyAcknowledged: when there is nothing to acknowledge.
    :raises AccessDenied: for a subject the actor may not open, or no such subject.
    """
    grant_id = pending_acknowledgement(actor, subject_id=subject_id)
    gate.acknowledge(actor, grant_id=grant_id)


# --- Lists --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubjectRow:
    subject_id: uuid.UUID
    name: str
    subject_type: str
    mappa: str
    marking: str


@dataclass(frozen=True)
class SubjectList:
    rows: tuple[SubjectRow, ...]
    marking: str


def list_own_subjects(actor: Actor) -> SubjectList:
    """The subjects the actor's agency owns (names only; no audit event, see module doc)."""
    subjects = repository.list_owned_subjects(actor.agency_id, user_id=actor.user_id)
    markings = [stored_marking(subject.marking) for subject in subjects]
    rows = tuple(
        SubjectRow(
            subject_id=subject.id,
            name=subject.display_name,
            subject_type=SubjectType(subject.subject_type).label,
            mappa=f"Category {subject.mappa_category}, level {subject.mappa_level}",
            marking=marking.banner,
        )
        for subject, marking in zip(subjects, markings, strict=True)
    )
    return SubjectList(rows=rows, marking=combine(markings).banner)


@dataclass(frozen=True)
class SharedItem:
    """One live grant to the actor's agency, as "Shared with my agency" lists it."""

    grant_id: uuid.UUID
    subject_id: uuid.UUID
    record_id: uuid.UUID | None
    subject_name: str
    what: str
    marking: str
    legal_gateway: str
    dp_condition: str
    owner_agency: str
    expires_at: datetime
    ends_soon: bool
    named_user_only: bool


@dataclass(frozen=True)
class SharedList:
    items: tuple[SharedItem, ...]
    marking: str


def list_shared_with_agency(actor: Actor) -> SharedList:
    """The subjects and records shared with the actor's agency (or the actor) right now.

    Live grants only, judged by the database clock; names the actor's LAO lists bar are left
    out. No audit event (see the module docstring): no record content is shown.
    """
    now = db_now()
    rows = repository.list_live_grants_for(actor.agency_id, user_id=actor.user_id, now=now)
    names = repository.agency_names({row.grant.owner_agency_id for row in rows})
    items: list[SharedItem] = []
    markings: list[Marking] = []
    for row in rows:
        grant, record = row.grant, row.record
        marking = stored_marking(record.marking if record else row.subject.marking)
        markings.append(marking)
        items.append(
            SharedItem(
                grant_id=grant.id,
                subject_id=row.subject.id,
                record_id=record.id if record else None,
                subject_name=row.subject.display_name,
                what=_scope_label(grant.scope_kind, grant.view_profile, record),
                marking=marking.banner,
                legal_gateway=_basis_label(grant.legal_gateway),
                dp_condition=_basis_label(grant.dp_condition),
                owner_agency=names.get(grant.owner_agency_id, ""),
                expires_at=grant.expires_at,
                ends_soon=_as_utc(grant.expires_at) - now <= ENDS_SOON,
                named_user_only=grant.grantee_user_id is not None,
            )
        )
    return SharedList(items=tuple(items), marking=combine(markings).banner)


def _scope_label(scope_kind: str, view_profile: str | None, record: SharedRecord | None) -> str:
    if scope_kind == ScopeKind.RECORD.value and record is not None:
        return f"One record: {RecordKind(record.kind).label.lower()}"
    if view_profile is None:
        return "Subject"
    return f"Subject: {ViewProfile(view_profile).label.lower()}"


def _basis_label(code: str) -> str:
    try:
        entry = lawful_basis.basis(code)
    except lawful_basis.UnknownLawfulBasis:
        return code
    return f"{entry.label} ({entry.statute})"


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
