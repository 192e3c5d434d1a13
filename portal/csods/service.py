"""CSODS use cases: record an application, add a child, open it, move it through its stages,
record and approve the decision, deliver the outcome, pause the clock, raise an immediate risk.

Every use case first asks :func:`portal.access.policy.csods_refusal` (police force that holds
the application, CSODS role) and then :func:`portal.access.gate.authorize`, which writes
exactly one audit event in the caller's transaction: ``CONSULTATION`` to open an application,
``COLLECTION`` to record one, ``ALTERATION`` for a change, one ``DISCLOSURE`` naming the
recipient with the decision's lawful-basis codes when a disclosure is delivered, and one
``DISCLOSURE`` naming the agency for a safeguarding referral. A transition
the state machine refuses raises :class:`Refused` after the gate, so the caller's transaction
rolls back and nothing (not even the event) is kept. Nothing here commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
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
from portal.csods.clocks import Clocks, Pause, Targets, describe
from portal.csods.models import (
    CsodsAgencyCheck,
    CsodsApplication,
    CsodsChild,
    CsodsDecision,
    CsodsDelivery,
    CsodsPause,
    CsodsReferral,
    CsodsStageChange,
)
from portal.csods.schemas import (
    NOT_A_CHILD,
    UNDERTAKING_AFTER,
    ApplicationCommand,
    ChildCommand,
    DecisionCommand,
    DeliveryCommand,
    InterviewCommand,
    NoteCommand,
    PauseCommand,
    ReferralCommand,
    RiskAssessmentCommand,
    ScopeCommand,
    is_child,
)
from portal.csods.stages import Facts, Stage, Transition, TransitionRefused, advance

#: Applicants' and children's details (domain §8.3: OFFICIAL-SENSITIVE, personal data).
CSODS_MARKING: Final = Marking(sensitive=True, descriptors=frozenset({Descriptor.PERSONAL_DATA}))
DISCLOSURE_JUSTIFICATION: Final = (
    "Child Sex Offender Disclosure Scheme: disclosure to the person best placed to protect "
    "the child (CJA 2003 s.327A)"
)
#: A safeguarding referral from the scheme (an immediate risk, or an "other safeguarding
#: action" decision) gives the children's and the subject's details to another agency: a
#: disclosure, logged with the child-protection gateway and the Part 3 safeguarding condition.
REFERRAL_JUSTIFICATION: Final = (
    "Child Sex Offender Disclosure Scheme: safeguarding referral to protect the child "
    "(Children Act 1989 s.47)"
)
REFERRAL_BASIS: Final = ("GW-CA89-S47", "DP3-SCH8-4")
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


def _open(
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
    """A child is under 18 on the day the application was received."""
    if command.date_of_birth is not None and not is_child(command.date_of_birth, received_on):
        raise Refused("child_date_of_birth", NOT_A_CHILD)


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
    return _open(actor, application_id, Permission.CSODS_WRITE, purpose=Purpose.VIEW)


def add_child(actor: Actor, *, application_id: uuid.UUID, command: ChildCommand) -> None:
    """Add another child to an open application; one ``ALTERATION`` event."""
    application = _open(
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
    delivery: CsodsDelivery | None
    clocks: Clocks
    next_steps: tuple[Transition, ...]
    names: dict[uuid.UUID, str]
    marking: Marking
    #: The access log's DISCLOSURE events for this application.
    disclosures: list[repository.LoggedDisclosure]


def view_application(actor: Actor, *, application_id: uuid.UUID) -> ApplicationView:
    """Open an application: one ``CONSULTATION`` event."""
    application = _open(actor, application_id, Permission.CSODS_READ, purpose=Purpose.VIEW)
    found_pauses = repository.pauses(application.id)
    decision = repository.decision(application.id)
    delivery = repository.delivery(decision.id) if decision else None
    history = repository.history(application.id)
    referrals = repository.referrals(application.id)
    people = {application.officer_id, *(h.by_id for h in history)}
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
        delivery=delivery,
        clocks=clocks_of(application, found_pauses, db_now()),
        next_steps=_next_steps(application),
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


def _next_steps(application: CsodsApplication) -> tuple[Transition, ...]:
    from portal.csods.stages import allowed

    return allowed(application.stage_enum)


# --- Transitions -----------------------------------------------------------------------------


#: Stages whose entry starts a timed phase's clock.
_PHASE_STARTS: Final = frozenset({Stage.SCOPE_DECIDED, Stage.INTERVIEW_DONE})


def _move(
    actor: Actor,
    application: CsodsApplication,
    transition: Transition,
    facts: Facts | None = None,
    *,
    field: str = "submit",
) -> datetime:
    """Apply one transition (the machine decides); record who and when. Returns the time."""
    facts = facts or Facts()
    if application.outcome is not None and facts.outcome is None:
        facts = Facts(
            outcome=application.outcome_enum,
            decided_by=facts.decided_by,
            actor=facts.actor,
            undertaking_signed=facts.undertaking_signed,
        )
    try:
        after = advance(application.stage_enum, transition, facts)
    except TransitionRefused as refused:
        raise Refused(field, refused.message) from refused
    now = db_now()
    repository.add(
        CsodsStageChange(
            application_id=application.id,
            transition=transition.value,
            from_stage=application.stage,
            to_stage=after.value,
            by_id=actor.user_id,
            at=now,
        )
    )
    application.stage = after.value
    application.stage_entered_at = now
    if after in _PHASE_STARTS:
        application.phase_started_at = now
    if after.is_closed:
        application.closed_at = now
        pause = repository.open_pause(application.id)
        if pause is not None:
            pause.ended_at = now
            pause.ended_by_id = actor.user_id
    return now


def _edit(actor: Actor, application_id: uuid.UUID) -> CsodsApplication:
    return _open(actor, application_id, Permission.CSODS_WRITE, purpose=Purpose.EDIT, lock=True)


def begin_checks(actor: Actor, *, application_id: uuid.UUID, command: NoteCommand) -> None:
    _move(actor, _edit(actor, application_id), Transition.BEGIN_CHECKS)


def decide_scope(actor: Actor, *, application_id: uuid.UUID, command: ScopeCommand) -> None:
    application = _edit(actor, application_id)
    transition = Transition.IN_SCOPE if command.in_scope else Transition.NOT_IN_SCOPE
    _move(actor, application, transition)
    application.checks_made = command.checks_made
    application.scope_explanation = command.explanation


def record_interview(actor: Actor, *, application_id: uuid.UUID, command: InterviewCommand) -> None:
    application = _edit(actor, application_id)
    transition = Transition.VERIFIED if command.verified else Transition.NOT_VERIFIED
    _move(actor, application, transition)
    application.evidence_identity = command.evidence_identity
    application.evidence_address = command.evidence_address
    application.evidence_relationship = command.evidence_relationship
    application.interview_notes = command.notes


def begin_risk_assessment(actor: Actor, *, application_id: uuid.UUID, command: NoteCommand) -> None:
    _move(actor, _edit(actor, application_id), Transition.BEGIN_RISK_ASSESSMENT)


def complete_risk_assessment(
    actor: Actor, *, application_id: uuid.UUID, command: RiskAssessmentCommand
) -> None:
    application = _edit(actor, application_id)
    _move(actor, application, Transition.COMPLETE_RISK_ASSESSMENT)
    application.risk_assessment = command.summary
    application.agency_checks = [
        CsodsAgencyCheck(position=n, agency=agency, answer=answer)
        for n, (agency, answer) in enumerate(command.agency_checks)
    ]


def record_decision(actor: Actor, *, application_id: uuid.UUID, command: DecisionCommand) -> None:
    application = _edit(actor, application_id)
    now = _move(actor, application, Transition.RECORD_DECISION)
    application.outcome = command.outcome.value
    repository.add(
        CsodsDecision(
            application_id=application.id,
            outcome=command.outcome.value,
            forum=command.forum,
            attendees=command.attendees,
            rationale=command.rationale,
            pressing_need=command.pressing_need,
            recipient_name=command.recipient_name,
            recipient_relationship=command.recipient_relationship,
            recipient_why=command.recipient_why,
            wording=command.wording,
            legal_gateway=command.legal_gateway,
            dp_condition=command.dp_condition,
            safety_plan=command.safety_plan,
            referrals=command.referrals,
            non_disclosure_reasons=command.non_disclosure_reasons,
            decided_by_id=actor.user_id,
            decided_at=now,
        )
    )


def approve_decision(actor: Actor, *, application_id: uuid.UUID, command: NoteCommand) -> None:
    """A supervisor (never the person who recorded it) approves the decision."""
    application = _open(
        actor, application_id, Permission.CSODS_APPROVE, purpose=Purpose.EDIT, lock=True
    )
    decision = repository.decision(application.id)
    facts = Facts(
        outcome=application.outcome_enum,
        decided_by=str(decision.decided_by_id) if decision else None,
        actor=str(actor.user_id),
    )
    now = _move(actor, application, Transition.APPROVE, facts)
    if decision is None or not policy.may_approve_csods_decision(
        actor_roles=actor.roles, actor_user_id=actor.user_id, decided_by_id=decision.decided_by_id
    ):  # the machine refused this already; the policy says so too
        raise Refused("submit", "This decision cannot be approved by you")
    decision.approved_by_id = actor.user_id
    decision.approved_at = now


def deliver_disclosure(
    actor: Actor, *, application_id: uuid.UUID, command: DeliveryCommand
) -> None:
    """Record the disclosure as delivered: one ``DISCLOSURE`` event naming the recipient, with
    the decision's lawful-basis codes and the marking, in this transaction."""
    application = repository.get_application(application_id, lock=True)
    if application is None:
        gate.deny_unknown(actor, Permission.CSODS_WRITE, record_id=application_id)
    check_csods(
        actor,
        Permission.CSODS_WRITE,
        owning_agency_id=application.agency_id,
        application_id=application_id,
    )
    decision = repository.decision(application.id)
    facts = Facts(outcome=application.outcome_enum, undertaking_signed=command.undertaking_signed)
    try:
        advance(application.stage_enum, Transition.DELIVER_DISCLOSURE, facts)
    except TransitionRefused as refused:
        field = "undertaking_signed" if "undertaking" in refused.message else "submit"
        raise Refused(field, refused.message) from refused
    if command.method != "IN_PERSON":
        raise Refused("method", "A disclosure under the scheme is made in person")
    if decision is None or decision.legal_gateway is None or decision.dp_condition is None:
        raise Refused("submit", "There is no approved decision to disclose")
    _check_dates(decision, command)
    recipient = f"{decision.recipient_name} ({decision.recipient_relationship}), outside the portal"
    result = gate.authorize(
        actor,
        Permission.CSODS_WRITE,
        target_of(application),
        purpose=Purpose.DISCLOSE,
        justification=DISCLOSURE_JUSTIFICATION,
        recipients=(recipient[:200],),
        basis=(decision.legal_gateway, decision.dp_condition),
    )
    now = _move(actor, application, Transition.DELIVER_DISCLOSURE, facts)
    _deliver(actor, decision, "DISCLOSURE", command, now, audit_seq=result.event_seq)


def inform_applicant(actor: Actor, *, application_id: uuid.UUID, command: DeliveryCommand) -> None:
    application = _edit(actor, application_id)
    now = _move(actor, application, Transition.INFORM_APPLICANT)
    decision = _decision_of(application)
    _check_dates(decision, command)
    _deliver(actor, decision, "INFORMED", command, now)


def record_referral(actor: Actor, *, application_id: uuid.UUID, command: DeliveryCommand) -> None:
    """Record the referral an "other safeguarding action" decision called for: one
    ``DISCLOSURE`` event naming the agencies the decision referred to."""
    application = repository.get_application(application_id, lock=True)
    if application is None:
        gate.deny_unknown(actor, Permission.CSODS_WRITE, record_id=application_id)
    check_csods(
        actor,
        Permission.CSODS_WRITE,
        owning_agency_id=application.agency_id,
        application_id=application_id,
    )
    decision = repository.decision(application.id)
    try:
        advance(application.stage_enum, Transition.REFER, Facts(outcome=application.outcome_enum))
    except TransitionRefused as refused:
        raise Refused("submit", refused.message) from refused
    if decision is None:  # the machine only reaches APPROVED through a recorded decision
        raise Refused("submit", "There is no decision for this application")
    _check_dates(decision, command)
    result = _refer(actor, application, _first_line(decision.referrals or ""))
    now = _move(actor, application, Transition.REFER)
    _deliver(actor, decision, "REFERRED", command, now, audit_seq=result.event_seq)


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _refer(actor: Actor, application: CsodsApplication, referred_to: str) -> gate.Decision:
    """Log a safeguarding referral as a disclosure naming the agency it went to."""
    return gate.authorize(
        actor,
        Permission.CSODS_WRITE,
        target_of(application),
        purpose=Purpose.DISCLOSE,
        justification=REFERRAL_JUSTIFICATION,
        recipients=(f"{referred_to[:170]}, safeguarding referral",),
        basis=REFERRAL_BASIS,
    )


def _check_dates(decision: CsodsDecision, command: DeliveryCommand) -> None:
    """An outcome is delivered on or after the day its decision was approved (domain §8.2:
    APPROVED, then delivered), and an undertaking is signed by the day of the disclosure.

    :raises Refused: on the date that is wrong.
    """
    if decision.approved_at is not None:
        approved_on = clocks.uk_date(decision.approved_at)
        if command.delivered_on < approved_on:
            raise Refused(
                "delivered_on",
                "The date cannot be before the decision was approved "
                f"({approved_on.day} {approved_on:%B %Y})",
            )
    signed = command.undertaking_signed_on
    if command.undertaking_signed and signed is not None and signed > command.delivered_on:
        raise Refused("undertaking_signed_on", UNDERTAKING_AFTER)


def _decision_of(application: CsodsApplication) -> CsodsDecision:
    decision = repository.decision(application.id)
    if decision is None:  # the machine only reaches APPROVED through a recorded decision
        raise Refused("submit", "There is no decision for this application")
    return decision


def _deliver(
    actor: Actor,
    decision: CsodsDecision,
    kind: str,
    command: DeliveryCommand,
    now: datetime,
    *,
    audit_seq: int | None = None,
) -> None:
    repository.add(
        CsodsDelivery(
            decision_id=decision.id,
            kind=kind,
            delivered_on=command.delivered_on,
            method=command.method,
            delivered_by_id=actor.user_id,
            undertaking_signed=command.undertaking_signed,
            undertaking_signed_on=command.undertaking_signed_on,
            note=command.note,
            recorded_at=now,
            audit_seq=audit_seq,
        )
    )


def close_application(actor: Actor, *, application_id: uuid.UUID, command: NoteCommand) -> None:
    application = _edit(actor, application_id)
    _move(actor, application, Transition.CLOSE)
    application.closing_note = command.note


#: Each transition's use case, for the one stage page.
STEPS: Final[dict[Transition, Callable[..., None]]] = {
    Transition.BEGIN_CHECKS: begin_checks,
    Transition.IN_SCOPE: decide_scope,
    Transition.NOT_IN_SCOPE: decide_scope,
    Transition.VERIFIED: record_interview,
    Transition.NOT_VERIFIED: record_interview,
    Transition.BEGIN_RISK_ASSESSMENT: begin_risk_assessment,
    Transition.COMPLETE_RISK_ASSESSMENT: complete_risk_assessment,
    Transition.RECORD_DECISION: record_decision,
    Transition.APPROVE: approve_decision,
    Transition.DELIVER_DISCLOSURE: deliver_disclosure,
    Transition.INFORM_APPLICANT: inform_applicant,
    Transition.REFER: record_referral,
    Transition.CLOSE: close_application,
}


# --- Clock pauses and immediate risk ---------------------------------------------------------


def pause_clock(actor: Actor, *, application_id: uuid.UUID, command: PauseCommand) -> None:
    """Stop the target clock for recorded exceptional circumstances."""
    application = _edit(actor, application_id)
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
    application = _edit(actor, application_id)
    pause = repository.open_pause(application.id)
    if pause is None:
        raise Refused("submit", "The clock is not paused")
    pause.ended_at = db_now()
    pause.ended_by_id = actor.user_id


def raise_immediate_risk(
    actor: Actor, *, application_id: uuid.UUID, command: ReferralCommand
) -> None:
    """Open a safeguarding referral at once, at whatever stage, without moving the application:
    one ``DISCLOSURE`` event naming the agency it was made to."""
    application = repository.get_application(application_id, lock=True)
    if application is None:
        gate.deny_unknown(actor, Permission.CSODS_WRITE, record_id=application_id)
    check_csods(
        actor,
        Permission.CSODS_WRITE,
        owning_agency_id=application.agency_id,
        application_id=application_id,
    )
    if application.stage_enum.is_closed:
        raise Refused("referred_to", "The application is closed; make the referral directly")
    _refer(actor, application, command.referred_to)
    repository.add(
        CsodsReferral(
            application_id=application.id,
            stage=application.stage,
            referred_to=command.referred_to,
            risk=command.risk,
            raised_by_id=actor.user_id,
            raised_at=db_now(),
        )
    )
