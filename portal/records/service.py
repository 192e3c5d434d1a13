"""Shared records: add to a subject, edit, view one, and acknowledge confidentiality.

Every use case starts with :func:`portal.access.gate.authorize` (exactly one audit event in the
caller's transaction) and never commits; an unknown id goes through
:func:`~portal.access.gate.deny_unknown` so it looks exactly like a forbidden one. The rich text
in a command was sanitised by the input schema; it is stored as it is.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from portal.access import gate, policy
from portal.access.gate import AccessDenied, AcknowledgementRequired, Purpose, Target
from portal.access.models import ViewProfile
from portal.access.permissions import Permission
from portal.core.actor import Actor
from portal.core.clock import db_now
from portal.core.markings import Marking, combine, may_remark
from portal.records import repository
from portal.records.models import SharedRecord
from portal.records.schemas import (
    RECORD_FIELDS,
    RecordCommand,
    record_output,
    record_sections,
    record_visible,
)
from portal.subjects import repository as subjects_repository
from portal.subjects.models import Subject
from portal.subjects.service import (
    OWNER_ONLY_LOWERS,
    AlreadyAcknowledged,
    ChangedMeanwhile,
    Refused,
    check_version,
    edit_version,
    owner_of,
    record_source,
    stored_marking,
)

__all__ = ["AlreadyAcknowledged", "ChangedMeanwhile", "Refused", "edit_version"]


def record_target(
    record: SharedRecord, subject: Subject, *, marking: Marking | None = None
) -> Target:
    return Target(
        subject_id=subject.id,
        owning_agency_id=subject.owning_agency_id,
        marking=marking or stored_marking(record.marking),
        record_id=record.id,
        record_owner_agency_id=record.owner_agency_id,
    )


@dataclass(frozen=True)
class SubjectHeading:
    """The subject a record form belongs to, as its heading names it."""

    subject_id: uuid.UUID
    name: str
    marking: Marking


def subject_for_new_record(actor: Actor, *, subject_id: uuid.UUID) -> SubjectHeading:
    """The subject's name for the "add a record" page: a consultation of the subject."""
    subject = _find_subject(actor, subject_id)
    target = Target(
        subject_id=subject.id,
        owning_agency_id=subject.owning_agency_id,
        marking=stored_marking(subject.marking),
    )
    gate.authorize(actor, Permission.RECORD_WRITE, target, purpose=Purpose.VIEW)
    return SubjectHeading(subject.id, subject.display_name, target.marking)


def create_record(actor: Actor, *, subject_id: uuid.UUID, command: RecordCommand) -> uuid.UUID:
    """Add a record about a subject, owned by the actor's agency; one ``COLLECTION`` event."""
    subject = _find_subject(actor, subject_id)
    record_id = uuid.uuid4()
    marking = replace(command.marking, owner=owner_of(actor.agency_id))
    target = Target(
        subject_id=subject.id,
        owning_agency_id=subject.owning_agency_id,
        marking=marking,
        record_id=record_id,
        record_owner_agency_id=actor.agency_id,
    )
    gate.authorize(actor, Permission.RECORD_WRITE, target, purpose=Purpose.CREATE)
    record = SharedRecord(
        id=record_id,
        subject_id=subject.id,
        owner_agency_id=actor.agency_id,
        created_by_id=actor.user_id,
        **_record_values(command, marking),
    )
    repository.add_record(record)
    return record_id


@dataclass(frozen=True)
class RecordForEdit:
    record: SharedRecord
    subject: SubjectHeading
    marking: Marking
    #: What the edit page shows (the record and the subject's name), combined.
    shown: Marking


def record_for_edit(actor: Actor, *, record_id: uuid.UUID) -> RecordForEdit:
    """The record, to fill the edit form: a consultation of the whole record."""
    record, subject = _find(actor, record_id, Permission.RECORD_WRITE)
    marking = stored_marking(record.marking)
    shown = combine([marking, subject_marking(subject)])
    target = record_target(record, subject, marking=shown)
    gate.authorize(actor, Permission.RECORD_WRITE, target, purpose=Purpose.VIEW)
    heading = SubjectHeading(subject.id, subject.display_name, subject_marking(subject))
    return RecordForEdit(record=record, subject=heading, marking=marking, shown=shown)


def edit_record(actor: Actor, *, record_id: uuid.UUID, command: RecordCommand) -> uuid.UUID:
    """Change a record; one ``ALTERATION`` event. Only the owner may lower its marking.

    Returns the record's subject id.

    :raises ChangedMeanwhile: when the record was saved after the edit page was opened.
    :raises Refused: when the marking would be lowered by anyone but its owner.
    """
    record = repository.lock_record(record_id)
    subject = None if record is None else subjects_repository.find_subject(record.subject_id)
    if record is None or subject is None:
        gate.deny_unknown(actor, Permission.RECORD_WRITE, record_id=record_id)
    current = stored_marking(record.marking)
    proposed = replace(command.marking, owner=current.owner)
    target = record_target(record, subject, marking=combine([current, proposed]))
    gate.authorize(actor, Permission.RECORD_WRITE, target, purpose=Purpose.EDIT)
    check_version("record", record, command.version)
    if not may_remark(owner_of(actor.agency_id), current, proposed):
        raise Refused("classification", OWNER_ONLY_LOWERS)
    for name, value in _record_values(command, proposed).items():
        setattr(record, name, value)
    record.updated_at = db_now()
    record.updated_by_id = actor.user_id
    repository.flush()
    return subject.id


def _record_values(command: RecordCommand, marking: Marking) -> dict[str, Any]:
    return {
        "kind": command.kind,
        "title": command.title,
        "body": command.body_html,
        "contains_health_details": command.contains_health_details,
        "supervision": command.supervision_html,
        "monitoring_control": command.monitoring_control_html,
        "interventions_treatment": command.interventions_treatment_html,
        "victim_safety": command.victim_safety_html,
        "contingency": command.contingency_html,
        "licence_conditions": command.licence_conditions_html,
        "marking": marking.to_json(),
    }


@dataclass(frozen=True)
class RecordPage:
    """What a record page shows: exactly the fields of ``profile``, and its marking."""

    record_id: uuid.UUID
    subject: SubjectHeading
    profile: ViewProfile
    record: Mapping[str, Any]
    marking: str
    is_owner: bool
    may_edit: bool

    def sections(self) -> list[tuple[str, str, str]]:
        return record_sections(self.record)


def view_record(actor: Actor, *, record_id: uuid.UUID) -> RecordPage:
    """One record as the actor's scope allows; one ``CONSULTATION`` event.

    A record the scope does not show (a plan or a health record under a summary grant) is
    refused like any other: the consultation is rolled back and ``AUTHZ_FAIL`` recorded.

    :raises AccessDenied: for a record the actor may not open, or no such record.
    :raises AcknowledgementRequired: before the first opening under a grant.
    """
    record, subject = _find(actor, record_id, Permission.SUBJECT_READ)
    marking = stored_marking(record.marking)
    shown = combine([marking, subject_marking(subject)])
    target = record_target(record, subject, marking=shown)
    decision = gate.authorize(actor, Permission.SUBJECT_READ, target, purpose=Purpose.VIEW)
    scope = decision.scope
    if not record_visible(
        scope, kind=record.kind, contains_health_details=record.contains_health_details
    ):
        # Rolls the consultation back; the gate's rollback hook records AUTHZ_FAIL.
        raise AccessDenied(
            "outside_scope",
            actor=actor,
            permission=Permission.SUBJECT_READ,
            subject_id=subject.id,
            record_id=record.id,
            grant_id=decision.grant_id,
        )
    names = subjects_repository.agency_names({record.owner_agency_id})
    is_owner = actor.agency_id == record.owner_agency_id
    return RecordPage(
        record_id=record.id,
        subject=SubjectHeading(subject.id, subject.display_name, subject_marking(subject)),
        profile=scope,
        record=record_output(record_source(record, marking, names), RECORD_FIELDS[scope]),
        marking=shown.banner,
        is_owner=is_owner,
        may_edit=is_owner and policy.allows(actor.roles, Permission.RECORD_WRITE),
    )


def pending_acknowledgement(actor: Actor, *, record_id: uuid.UUID) -> uuid.UUID:
    """The grant under which the actor must acknowledge confidentiality to open the record.

    :raises AlreadyAcknowledged: when the actor may open the record already.
    :raises AccessDenied: for a record the actor may not open, or no such record.
    """
    record, subject = _find(actor, record_id, Permission.SUBJECT_READ)
    shown = combine([stored_marking(record.marking), subject_marking(subject)])
    try:
        gate.authorize(
            actor,
            Permission.SUBJECT_READ,
            record_target(record, subject, marking=shown),
            purpose=Purpose.VIEW,
        )
    except AcknowledgementRequired as required:
        return required.grant_id
    raise AlreadyAcknowledged()


def acknowledge(actor: Actor, *, record_id: uuid.UUID) -> None:
    """Store the actor's acknowledgement under the grant that asks for it."""
    grant_id = pending_acknowledgement(actor, record_id=record_id)
    gate.acknowledge(actor, grant_id=grant_id)


def subject_marking(subject: Subject) -> Marking:
    return stored_marking(subject.marking)


def _find_subject(actor: Actor, subject_id: uuid.UUID) -> Subject:
    subject = subjects_repository.find_subject(subject_id)
    if subject is None:
        gate.deny_unknown(actor, Permission.RECORD_WRITE, subject_id=subject_id)
    return subject


def _find(
    actor: Actor, record_id: uuid.UUID, permission: Permission
) -> tuple[SharedRecord, Subject]:
    record = repository.find_record(record_id)
    subject = None if record is None else subjects_repository.find_subject(record.subject_id)
    if record is None or subject is None:
        gate.deny_unknown(actor, permission, record_id=record_id)
    return record, subject
