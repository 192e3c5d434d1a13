"""CSODS stage steps: move an application through its stages, record and approve the decision,
deliver the outcome, make a safeguarding referral.

Each step opens the application through :mod:`portal.csods.service` (the CSODS policy, then
the gate's one audit event in the caller's transaction: ``ALTERATION`` for a change, one
``DISCLOSURE`` naming the recipient with the decision's lawful-basis codes when a disclosure is
delivered, one ``DISCLOSURE`` naming the agency for a safeguarding referral). A move the state
machine refuses raises :class:`~portal.csods.service.Refused` after the gate, so the caller's
transaction rolls back and nothing (not even the event) is kept. Nothing here commits.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Final

from portal.access import gate, policy
from portal.access.gate import Purpose
from portal.access.permissions import Permission
from portal.core.actor import Actor
from portal.core.clock import db_now
from portal.core.uk_time import uk_day
from portal.csods import repository
from portal.csods.models import (
    CsodsAgencyCheck,
    CsodsApplication,
    CsodsDecision,
    CsodsDelivery,
    CsodsReferral,
    CsodsReturnedDecision,
    CsodsStageChange,
)
from portal.csods.schemas import (
    UNDERTAKING_AFTER,
    UNDERTAKING_BEFORE_APPROVAL,
    DecisionCommand,
    DeliveryCommand,
    InterviewCommand,
    NoteCommand,
    ReferralCommand,
    RiskAssessmentCommand,
    ScopeCommand,
    SendBackCommand,
)
from portal.csods.service import (
    Refused,
    locked_for_change,
    open_application,
    open_for_edit,
    target_of,
)
from portal.csods.stages import Facts, Stage, Transition, TransitionRefused, advance

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


def begin_checks(actor: Actor, *, application_id: uuid.UUID, command: NoteCommand) -> None:
    _move(actor, open_for_edit(actor, application_id), Transition.BEGIN_CHECKS)


def decide_scope(actor: Actor, *, application_id: uuid.UUID, command: ScopeCommand) -> None:
    application = open_for_edit(actor, application_id)
    transition = Transition.IN_SCOPE if command.in_scope else Transition.NOT_IN_SCOPE
    _move(actor, application, transition)
    application.checks_made = command.checks_made
    application.scope_explanation = command.explanation


def record_interview(actor: Actor, *, application_id: uuid.UUID, command: InterviewCommand) -> None:
    application = open_for_edit(actor, application_id)
    transition = Transition.VERIFIED if command.verified else Transition.NOT_VERIFIED
    _move(actor, application, transition)
    application.evidence_identity = command.evidence_identity
    application.evidence_address = command.evidence_address
    application.evidence_relationship = command.evidence_relationship
    application.interview_notes = command.notes


def begin_risk_assessment(actor: Actor, *, application_id: uuid.UUID, command: NoteCommand) -> None:
    _move(actor, open_for_edit(actor, application_id), Transition.BEGIN_RISK_ASSESSMENT)


def complete_risk_assessment(
    actor: Actor, *, application_id: uuid.UUID, command: RiskAssessmentCommand
) -> None:
    application = open_for_edit(actor, application_id)
    _move(actor, application, Transition.COMPLETE_RISK_ASSESSMENT)
    application.risk_assessment = command.summary
    application.agency_checks = [
        CsodsAgencyCheck(position=n, agency=agency, answer=answer)
        for n, (agency, answer) in enumerate(command.agency_checks)
    ]


def record_decision(actor: Actor, *, application_id: uuid.UUID, command: DecisionCommand) -> None:
    application = open_for_edit(actor, application_id)
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
    _, decision, now = _supervise(actor, application_id, Transition.APPROVE)
    decision.approved_by_id = actor.user_id
    decision.approved_at = now


def send_back_decision(
    actor: Actor, *, application_id: uuid.UUID, command: SendBackCommand
) -> None:
    """A supervisor (never the person who recorded it) sends the decision back to the forum,
    with the reason: the application returns to the decision forum, the decision is kept as
    sent back, and a new one can be recorded. One ``ALTERATION`` event."""
    application, decision, now = _supervise(actor, application_id, Transition.SEND_BACK)
    repository.add(
        CsodsReturnedDecision(
            application_id=application.id,
            outcome=decision.outcome,
            forum=decision.forum,
            rationale=decision.rationale,
            decided_by_id=decision.decided_by_id,
            decided_at=decision.decided_at,
            reason=command.reason,
            returned_by_id=actor.user_id,
            returned_at=now,
        )
    )
    repository.remove(decision)
    application.outcome = None


def _supervise(
    actor: Actor, application_id: uuid.UUID, transition: Transition
) -> tuple[CsodsApplication, CsodsDecision, datetime]:
    """Move the decision on (approve it or send it back) as a supervisor who did not record it.

    :raises Refused: the machine's message (no decision awaiting approval, or the actor
        recorded it).
    """
    application = open_application(
        actor, application_id, Permission.CSODS_APPROVE, purpose=Purpose.EDIT, lock=True
    )
    decision = repository.decision(application.id)
    facts = Facts(
        outcome=application.outcome_enum,
        decided_by=str(decision.decided_by_id) if decision else None,
        actor=str(actor.user_id),
    )
    now = _move(actor, application, transition, facts)
    if decision is None or not policy.may_approve_csods_decision(
        actor_roles=actor.roles, actor_user_id=actor.user_id, decided_by_id=decision.decided_by_id
    ):  # the machine refused this already; the policy says so too
        raise Refused("submit", "This decision cannot be approved or sent back by you")
    return application, decision, now


def deliver_disclosure(
    actor: Actor, *, application_id: uuid.UUID, command: DeliveryCommand
) -> None:
    """Record the disclosure as delivered: one ``DISCLOSURE`` event naming the recipient, with
    the decision's lawful-basis codes and the marking, in this transaction."""
    application = locked_for_change(actor, application_id)
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
    application = open_for_edit(actor, application_id)
    now = _move(actor, application, Transition.INFORM_APPLICANT)
    decision = _decision_of(application)
    _check_dates(decision, command)
    _deliver(actor, decision, "INFORMED", command, now)


def record_referral(actor: Actor, *, application_id: uuid.UUID, command: DeliveryCommand) -> None:
    """Record the referral an "other safeguarding action" decision called for: one
    ``DISCLOSURE`` event naming the agencies the decision referred to."""
    application = locked_for_change(actor, application_id)
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
    """An outcome is delivered on or after the (UK) day its decision was approved (domain
    §8.2: APPROVED, then delivered), and a disclosure's undertaking is signed between the two:
    not before the approval (an undertaking for a disclosure not yet decided, or a mistyped
    year, is none for this one) and not after the day of the disclosure.

    :raises Refused: on the date that is wrong.
    """
    approved_on = uk_day(decision.approved_at) if decision.approved_at else None
    when = f"({approved_on.day} {approved_on:%B %Y})" if approved_on else ""
    if approved_on is not None and command.delivered_on < approved_on:
        raise Refused("delivered_on", f"The date cannot be before the decision was approved {when}")
    signed = command.undertaking_signed_on
    if not command.undertaking_signed or signed is None:
        return
    if approved_on is not None and signed < approved_on:
        raise Refused("undertaking_signed_on", f"{UNDERTAKING_BEFORE_APPROVAL} {when}")
    if signed > command.delivered_on:
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
            disclosed_by=command.disclosed_by,
            recorded_at=now,
            audit_seq=audit_seq,
        )
    )


def close_application(actor: Actor, *, application_id: uuid.UUID, command: NoteCommand) -> None:
    application = open_for_edit(actor, application_id)
    _move(actor, application, Transition.CLOSE)
    application.closing_note = command.note


def raise_immediate_risk(
    actor: Actor, *, application_id: uuid.UUID, command: ReferralCommand
) -> None:
    """Open a safeguarding referral at once, at whatever stage, without moving the application:
    one ``DISCLOSURE`` event naming the agency it was made to."""
    application = locked_for_change(actor, application_id)
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
