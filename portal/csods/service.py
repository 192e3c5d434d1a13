"""CSODS use cases: record an application, add a child, open it, pause its clock; and the one
way in that :mod:`portal.csods.steps` (the stage steps) opens an application too.

Every use case first asks :func:`portal.access.policy.csods_refusal` (police force that holds
the application, CSODS role) and then :func:`portal.access.gate.authorize`, which writes
exactly one audit event in the caller's transaction: ``CONSULTATION`` to open an application,
``COLLECTION`` to record one, ``ALTERATION`` for a change. A change refused after the gate
raises :class:`Refused`, so the caller's transaction rolls back and nothing (not even the
event) is kept. Nothing here commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

from flask import current_app

from portal.access import gate, policy
from portal.access.gate import AccessDenied, Purpose, Target
from portal.access.permissions import Permission
from portal.core.actor import Actor
from portal.core.clock import db_now
from portal.core.markings import Descriptor, Marking
from portal.csods import clocks, repository
from portal.csods.application_schemas import (
    ApplicationCommand,
    ChildCommand,
    child_refusal,
)
from portal.csods.clocks import Clocks, Pause, Targets, describe
from portal.csods.models import (
    CsodsApplication,
    CsodsChild,
    CsodsDecision,
    CsodsDelivery,
    CsodsPause,
    CsodsReferral,
    CsodsReturnedDecision,
    CsodsStageChange,
)
from portal.csods.schemas import NoteCommand, PauseCommand
from portal.csods.stages import Stage, Transition, allowed

#: Applicants' and children's details (domain §8.3: OFFICIAL-SENSITIVE, personal data).
CSODS_MARKING: Final = Marking(sensitive=True, descriptors=frozenset({Descriptor.PERSONAL_DATA}))
MAX_CHILDREN: Final = 20


__all__ = ["Refused", "describe"]


URN_IN_USE: Final = "An application with this URN already exists"


class Refused(Exception):
    """The input cannot be saved; ``field`` is where to say why (``submit`` for the page)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def targets() -> Targets:
    settings = current_app.extensions["portal.settings"]
    return Targets(
        checks=timedelta(hours=settings.csods_checks_hours),
        interview=timedelta(days=settings.csods_interview_days),
        risk_assessment=timedelta(days=settings.csods_risk_assessment_days),
        legacy_totals=settings.csods_legacy_totals,
    )


def marking_for(application: CsodsApplication) -> Marking:
    return Marking(
        sensitive=True,
        descriptors=frozenset({Descriptor.PERSONAL_DATA}),
        owner=str(application.agency_id),
    )


def target_of(application: CsodsApplication) -> Target:
    """The application as the gate sees it: the linked subject, or (for a person recorded here)
    the application itself standing for the subject in the access log."""
    return Target(
        subject_id=application.subject_id or application.id,
        owning_agency_id=application.agency_id,
        marking=marking_for(application),
        record_id=application.id,
        record_owner_agency_id=application.agency_id,
    )


def check_csods(
    actor: Actor,
    permission: Permission,
    *,
    owning_agency_id: uuid.UUID,
    application_id: uuid.UUID | None = None,
) -> None:
    """Refuse unless ``actor`` is a CSODS user of the police force holding the application.

    :raises AccessDenied: the uniform 404; ``AUTHZ_FAIL`` is recorded after the rollback.
    """
    reason = policy.csods_refusal(
        actor_roles=actor.roles,
        actor_agency_is_police=repository.is_police(actor.agency_id),
        actor_agency_id=actor.agency_id,
        owning_agency_id=owning_agency_id,
        permission=permission,
    )
    if reason is not None:
        raise AccessDenied(
            reason,
            actor=actor,
            permission=permission,
            record_id=application_id,
        )


def open_application(
    actor: Actor,
    application_id: uuid.UUID,
    permission: Permission,
    *,
    purpose: Purpose,
    lock: bool = False,
    **authorize: Any,
) -> CsodsApplication:
    application = repository.get_application(application_id, lock=lock)
    if application is None:
        gate.deny_unknown(actor, permission, record_id=application_id)
    check_csods(
        actor, permission, owning_agency_id=application.agency_id, application_id=application_id
    )
    gate.authorize(actor, permission, target_of(application), purpose=purpose, **authorize)
    return application


def open_for_edit(actor: Actor, application_id: uuid.UUID) -> CsodsApplication:
    """The application, locked for a change: one ``ALTERATION`` event."""
    return open_application(
        actor, application_id, Permission.CSODS_WRITE, purpose=Purpose.EDIT, lock=True
    )


def locked_for_change(actor: Actor, application_id: uuid.UUID) -> CsodsApplication:
    """The application, locked, once the CSODS policy lets ``actor`` change it. The caller
    logs the event itself (a disclosure names its recipient and lawful basis).

    :raises AccessDenied: the uniform 404, for an unknown application or one not the actor's.
    """
    application = repository.get_application(application_id, lock=True)
    if application is None:
        gate.deny_unknown(actor, Permission.CSODS_WRITE, record_id=application_id)
    check_csods(
        actor,
        Permission.CSODS_WRITE,
        owning_agency_id=application.agency_id,
        application_id=application_id,
    )
    return application


# --- Recording ---------------------------------------------------------------------------------


def subject_choices(actor: Actor) -> list[tuple[uuid.UUID, str]]:
    """The force's own subjects, to link an application to (no personal details of applicants)."""
    check_csods(actor, Permission.CSODS_WRITE, owning_agency_id=actor.agency_id)
    return repository.list_subjects(actor.agency_id, user_id=actor.user_id)


def record_application(actor: Actor, *, command: ApplicationCommand) -> uuid.UUID:
    """Record a new application at ``RECEIVED``; one ``COLLECTION`` event."""
    check_csods(actor, Permission.CSODS_WRITE, owning_agency_id=actor.agency_id)
    if command.subject_id is not None and (
        repository.owned_subject(command.subject_id, actor.agency_id, user_id=actor.user_id) is None
    ):
        raise Refused("subject_id", "Select the subject from the list")
    _check_child(command.child, command.received_on)
    if repository.urn_taken(actor.agency_id, command.urn):
        raise Refused("urn", URN_IN_USE)
    # The clocks run from receipt (domain §2.2: initial checks within 24 hours of it), not
    # from when the application reached the portal: one taken by phone on an earlier day
    # counts from the end of that day at the latest.
    received_at = min(db_now(), clocks.end_of_uk_day(command.received_on))
    application = CsodsApplication(
        id=uuid.uuid4(),
        agency_id=actor.agency_id,
        urn=command.urn,
        channel=command.channel,
        received_on=command.received_on,
        officer_id=actor.user_id,
        applicant_family_name=command.applicant_family_name,
        applicant_given_names=command.applicant_given_names,
        applicant_other_names=command.applicant_other_names,
        applicant_date_of_birth=command.applicant_date_of_birth,
        applicant_address=command.applicant_address,
        contact_method=command.contact_method,
        safe_contact=command.safe_contact,
        subject_id=command.subject_id,
        subject_family_name=None if command.subject_id else command.subject_family_name,
        subject_given_names=None if command.subject_id else command.subject_given_names,
        subject_date_of_birth=None if command.subject_id else command.subject_date_of_birth,
        subject_address=None if command.subject_id else command.subject_address,
        subject_relationship_to_applicant=command.subject_relationship_to_applicant,
        stage=Stage.RECEIVED.value,
        received_at=received_at,
        stage_entered_at=received_at,
        phase_started_at=received_at,
    )
    gate.authorize(actor, Permission.CSODS_WRITE, target_of(application), purpose=Purpose.CREATE)
    application.children = [_child(command.child, 0)]
    try:
        repository.add_application(application)
    except repository.UrnInUse as taken:  # recorded a moment ago, by another request
        raise Refused("urn", URN_IN_USE) from taken
    return application.id


def _check_child(command: ChildCommand, received_on: date) -> None:
    """A child is born by, and under 18 on, the day the application was received."""
    if command.date_of_birth is not None:
        reason = child_refusal(command.date_of_birth, received_on)
        if reason is not None:
            raise Refused("child_date_of_birth", reason)


def _child(command: ChildCommand, position: int) -> CsodsChild:
    return CsodsChild(
        position=position,
        name=command.name,
        date_of_birth=command.date_of_birth,
        age=command.age,
        lives_with=command.lives_with,
        applicant_relationship=command.applicant_relationship,
        subject_relationship=command.subject_relationship,
        mother_knows=command.mother_knows,
        father_knows=command.father_knows,
    )


def application_heading(actor: Actor, *, application_id: uuid.UUID) -> CsodsApplication:
    """The application, for a form's heading: a consultation."""
    return open_application(actor, application_id, Permission.CSODS_WRITE, purpose=Purpose.VIEW)


def add_child(actor: Actor, *, application_id: uuid.UUID, command: ChildCommand) -> None:
    """Add another child to an open application; one ``ALTERATION`` event."""
    application = open_application(
        actor, application_id, Permission.CSODS_WRITE, purpose=Purpose.EDIT, lock=True
    )
    if application.stage_enum.is_closed:
        raise Refused("submit", "The application is closed; nothing more can be recorded")
    if len(application.children) >= MAX_CHILDREN:
        raise Refused("submit", f"An application can name {MAX_CHILDREN} children at most")
    _check_child(command, application.received_on)
    application.children.append(_child(command, len(application.children)))
    repository.add(application)


# --- Viewing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplicationView:
    application: CsodsApplication
    history: list[CsodsStageChange]
    pauses: list[CsodsPause]
    referrals: list[CsodsReferral]
    decision: CsodsDecision | None
    #: Decisions a supervisor sent back to the forum, oldest first.
    returned: list[CsodsReturnedDecision]
    delivery: CsodsDelivery | None
    clocks: Clocks
    next_steps: tuple[Transition, ...]
    names: dict[uuid.UUID, str]
    marking: Marking
    #: The access log's DISCLOSURE events for this application.
    disclosures: list[repository.LoggedDisclosure]


def view_application(actor: Actor, *, application_id: uuid.UUID) -> ApplicationView:
    """Open an application: one ``CONSULTATION`` event."""
    application = open_application(
        actor, application_id, Permission.CSODS_READ, purpose=Purpose.VIEW
    )
    found_pauses = repository.pauses(application.id)
    decision = repository.decision(application.id)
    delivery = repository.delivery(decision.id) if decision else None
    history = repository.history(application.id)
    referrals = repository.referrals(application.id)
    returned = repository.returned_decisions(application.id)
    people = {application.officer_id, *(h.by_id for h in history)}
    people |= {r.decided_by_id for r in returned} | {r.returned_by_id for r in returned}
    people |= {p.started_by_id for p in found_pauses} | {r.raised_by_id for r in referrals}
    if decision is not None:
        people.add(decision.decided_by_id)
        if decision.approved_by_id is not None:
            people.add(decision.approved_by_id)
    if delivery is not None:
        people.add(delivery.delivered_by_id)
    disclosures = repository.logged_disclosures(application.id)
    people |= {e.actor_id for e in disclosures if e.actor_id is not None}
    return ApplicationView(
        application=application,
        history=history,
        pauses=found_pauses,
        referrals=referrals,
        decision=decision,
        returned=returned,
        delivery=delivery,
        clocks=clocks_of(application, found_pauses, db_now()),
        next_steps=allowed(application.stage_enum),
        names=repository.user_names(people),
        marking=marking_for(application),
        disclosures=disclosures,
    )


def clocks_of(application: CsodsApplication, pauses: list[CsodsPause], now: datetime) -> Clocks:
    return clocks.measure(
        stage=application.stage_enum,
        received_at=application.received_at,
        phase_started_at=application.phase_started_at,
        outcome=application.outcome_enum,
        pauses=[Pause(p.started_at, p.ended_at) for p in pauses],
        now=now,
        targets=targets(),
        closed_at=application.closed_at,
    )


# --- Clock pauses --------------------------------------------------------------------------------


def pause_clock(actor: Actor, *, application_id: uuid.UUID, command: PauseCommand) -> None:
    """Stop the target clock for recorded exceptional circumstances."""
    application = open_for_edit(actor, application_id)
    if application.stage_enum.is_closed:
        raise Refused("reason", "The application is closed; its clock has stopped")
    if repository.open_pause(application.id) is not None:
        raise Refused("reason", "The clock is already paused")
    repository.add(
        CsodsPause(
            application_id=application.id,
            reason=command.reason,
            started_at=db_now(),
            started_by_id=actor.user_id,
        )
    )


def resume_clock(actor: Actor, *, application_id: uuid.UUID, command: NoteCommand) -> None:
    application = open_for_edit(actor, application_id)
    pause = repository.open_pause(application.id)
    if pause is None:
        raise Refused("submit", "The clock is not paused")
    pause.ended_at = db_now()
    pause.ended_by_id = actor.user_id
