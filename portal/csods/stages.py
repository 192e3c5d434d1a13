"""The CSODS application state machine (domain §8.2): pure, no Flask, no SQLAlchemy.

:func:`advance` is the one place that says which transition may leave which stage, and under
which conditions. Every refusal carries a message for the page; a refused transition changes
nothing because the service asks here before it writes anything.

Immediate-risk referrals and clock pauses are not stage transitions: they may happen at any
open stage and never move the application (see :func:`may_raise_immediate_risk`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

#: How an application was made, and whether a parent knows of it (domain §2.3).
CHANNELS: Final = {"ONLINE": "Online", "PHONE": "Phone", "IN_PERSON": "In person"}
KNOWS: Final = {"YES": "Yes", "NO": "No", "NOT_KNOWN": "Not known"}


class Stage(StrEnum):
    RECEIVED = "RECEIVED"
    INITIAL_CHECKS = "INITIAL_CHECKS"
    SCOPE_DECIDED = "SCOPE_DECIDED"
    INTERVIEW_DONE = "INTERVIEW_DONE"
    RISK_ASSESSMENT = "RISK_ASSESSMENT"
    DECISION_FORUM = "DECISION_FORUM"
    DECIDED = "DECIDED"
    APPROVED = "APPROVED"
    DISCLOSURE_DELIVERED = "DISCLOSURE_DELIVERED"
    APPLICANT_INFORMED = "APPLICANT_INFORMED"
    REFERRED = "REFERRED"
    CLOSED = "CLOSED"
    CLOSED_NOT_PROGRESSED = "CLOSED_NOT_PROGRESSED"
    CLOSED_NO_DISCLOSURE_POSSIBLE = "CLOSED_NO_DISCLOSURE_POSSIBLE"

    @property
    def label(self) -> str:
        return STAGE_LABELS[self]

    @property
    def is_closed(self) -> bool:
        return self in CLOSED_STAGES


STAGE_LABELS: Final = {
    Stage.RECEIVED: "Application received",
    Stage.INITIAL_CHECKS: "Initial checks",
    Stage.SCOPE_DECIDED: "In scope: interview and verification",
    Stage.INTERVIEW_DONE: "Interview done, applicant verified",
    Stage.RISK_ASSESSMENT: "Multi-agency risk assessment",
    Stage.DECISION_FORUM: "Decision forum",
    Stage.DECIDED: "Decision awaiting approval",
    Stage.APPROVED: "Decision approved",
    Stage.DISCLOSURE_DELIVERED: "Disclosure delivered",
    Stage.APPLICANT_INFORMED: "Applicant informed",
    Stage.REFERRED: "Referred for safeguarding action",
    Stage.CLOSED: "Closed",
    Stage.CLOSED_NOT_PROGRESSED: "Closed: not in scope",
    Stage.CLOSED_NO_DISCLOSURE_POSSIBLE: "Closed: applicant not verified",
}

CLOSED_STAGES: Final = frozenset(
    {Stage.CLOSED, Stage.CLOSED_NOT_PROGRESSED, Stage.CLOSED_NO_DISCLOSURE_POSSIBLE}
)


class Transition(StrEnum):
    BEGIN_CHECKS = "BEGIN_CHECKS"
    IN_SCOPE = "IN_SCOPE"
    NOT_IN_SCOPE = "NOT_IN_SCOPE"
    VERIFIED = "VERIFIED"
    NOT_VERIFIED = "NOT_VERIFIED"
    BEGIN_RISK_ASSESSMENT = "BEGIN_RISK_ASSESSMENT"
    COMPLETE_RISK_ASSESSMENT = "COMPLETE_RISK_ASSESSMENT"
    RECORD_DECISION = "RECORD_DECISION"
    APPROVE = "APPROVE"
    SEND_BACK = "SEND_BACK"
    DELIVER_DISCLOSURE = "DELIVER_DISCLOSURE"
    INFORM_APPLICANT = "INFORM_APPLICANT"
    REFER = "REFER"
    CLOSE = "CLOSE"

    @property
    def label(self) -> str:
        return TRANSITION_LABELS[self]


TRANSITION_LABELS: Final = {
    Transition.BEGIN_CHECKS: "Begin initial checks",
    Transition.IN_SCOPE: "Record the scope decision: in scope",
    Transition.NOT_IN_SCOPE: "Record the scope decision: not in scope",
    Transition.VERIFIED: "Record the interview: applicant verified",
    Transition.NOT_VERIFIED: "Record the interview: applicant not verified",
    Transition.BEGIN_RISK_ASSESSMENT: "Begin the multi-agency risk assessment",
    Transition.COMPLETE_RISK_ASSESSMENT: "Complete the risk assessment",
    Transition.RECORD_DECISION: "Record the decision",
    Transition.APPROVE: "Approve the decision",
    Transition.SEND_BACK: "Send the decision back to the forum",
    Transition.DELIVER_DISCLOSURE: "Record the disclosure as delivered",
    Transition.INFORM_APPLICANT: "Record that the applicant was informed",
    Transition.REFER: "Record the safeguarding referral",
    Transition.CLOSE: "Close the application",
}


class Outcome(StrEnum):
    """The decision (domain §2.3): disclose, no disclosure, or other safeguarding action."""

    DISCLOSE = "DISCLOSE"
    NO_DISCLOSURE = "NO_DISCLOSURE"
    OTHER_ACTION = "OTHER_ACTION"

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self]


OUTCOME_LABELS: Final = {
    Outcome.DISCLOSE: "Disclose",
    Outcome.NO_DISCLOSURE: "No disclosure",
    Outcome.OTHER_ACTION: "Other safeguarding action",
}

#: (from stage, transition) -> to stage. Anything not here is refused.
MOVES: Final[dict[tuple[Stage, Transition], Stage]] = {
    (Stage.RECEIVED, Transition.BEGIN_CHECKS): Stage.INITIAL_CHECKS,
    (Stage.INITIAL_CHECKS, Transition.IN_SCOPE): Stage.SCOPE_DECIDED,
    (Stage.INITIAL_CHECKS, Transition.NOT_IN_SCOPE): Stage.CLOSED_NOT_PROGRESSED,
    (Stage.SCOPE_DECIDED, Transition.VERIFIED): Stage.INTERVIEW_DONE,
    (Stage.SCOPE_DECIDED, Transition.NOT_VERIFIED): Stage.CLOSED_NO_DISCLOSURE_POSSIBLE,
    (Stage.INTERVIEW_DONE, Transition.BEGIN_RISK_ASSESSMENT): Stage.RISK_ASSESSMENT,
    (Stage.RISK_ASSESSMENT, Transition.COMPLETE_RISK_ASSESSMENT): Stage.DECISION_FORUM,
    (Stage.DECISION_FORUM, Transition.RECORD_DECISION): Stage.DECIDED,
    (Stage.DECIDED, Transition.APPROVE): Stage.APPROVED,
    (Stage.DECIDED, Transition.SEND_BACK): Stage.DECISION_FORUM,
    (Stage.APPROVED, Transition.DELIVER_DISCLOSURE): Stage.DISCLOSURE_DELIVERED,
    (Stage.APPROVED, Transition.INFORM_APPLICANT): Stage.APPLICANT_INFORMED,
    (Stage.APPROVED, Transition.REFER): Stage.REFERRED,
    (Stage.DISCLOSURE_DELIVERED, Transition.CLOSE): Stage.CLOSED,
    (Stage.APPLICANT_INFORMED, Transition.CLOSE): Stage.CLOSED,
    (Stage.REFERRED, Transition.CLOSE): Stage.CLOSED,
}

#: What a supervisor (never the person who recorded the decision) does to it, as a verb.
_SUPERVISOR_ONLY: Final = {
    Transition.APPROVE: ("approve", "approved"),
    Transition.SEND_BACK: ("send back", "sent back"),
}

#: The outcome each way of ending an approved decision needs.
_OUTCOME_FOR: Final = {
    Transition.DELIVER_DISCLOSURE: Outcome.DISCLOSE,
    Transition.INFORM_APPLICANT: Outcome.NO_DISCLOSURE,
    Transition.REFER: Outcome.OTHER_ACTION,
}


@dataclass(frozen=True)
class Facts:
    """What the guards need to know besides the stage."""

    outcome: Outcome | None = None
    #: Who recorded the decision and who is acting now (approval needs two people).
    decided_by: str | None = None
    actor: str | None = None
    undertaking_signed: bool = False


class TransitionRefused(ValueError):
    """A transition the machine does not allow here; ``message`` is for the page."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def allowed(stage: Stage) -> tuple[Transition, ...]:
    """The transitions that leave ``stage``, in machine order (guards not applied)."""
    return tuple(t for (s, t) in MOVES if s is stage)


def advance(stage: Stage, transition: Transition, facts: Facts = Facts()) -> Stage:
    """The stage after ``transition`` from ``stage``.

    :raises TransitionRefused: with a clear message when the machine does not allow it here,
        or a guard fails (delivery without an undertaking, approval or sending back by the
        person who recorded the decision, an ending that does not match the decision).
    """
    target = MOVES.get((stage, transition))
    if target is None:
        raise TransitionRefused(_not_here(stage, transition))
    if transition in _SUPERVISOR_ONLY:
        verb, done = _SUPERVISOR_ONLY[transition]
        if facts.decided_by is None or facts.actor is None:
            raise TransitionRefused(f"There is no decision to {verb}")
        if facts.decided_by == facts.actor:
            raise TransitionRefused(
                f"A decision must be {done} by a supervisor, not the person who recorded it"
            )
    needed = _OUTCOME_FOR.get(transition)
    if needed is not None and facts.outcome is not needed:
        if facts.outcome is None:
            raise TransitionRefused("There is no decision; this is not the way to record one")
        raise TransitionRefused(
            f"The decision was {facts.outcome.label.lower()}; this is not the way to record "
            "its outcome"
        )
    if transition is Transition.DELIVER_DISCLOSURE and not facts.undertaking_signed:
        raise TransitionRefused(
            "A disclosure cannot be marked delivered until the recipient has signed the undertaking"
        )
    return target


def _not_here(stage: Stage, transition: Transition) -> str:
    if stage.is_closed:
        return f"The application is closed ({stage.label.lower()}); nothing more can be recorded"
    if transition is Transition.CLOSE:
        return "An application can only be closed once its outcome has been recorded"
    if transition is Transition.RECORD_DECISION:
        return "A decision can only be recorded after the risk assessment is complete"
    if transition in _SUPERVISOR_ONLY:
        return "There is no decision awaiting approval"
    if transition in _OUTCOME_FOR:
        return "The outcome can only be recorded once the decision has been approved"
    action = transition.label[0].lower() + transition.label[1:]
    return f"You cannot {action} at this stage ({stage.label.lower()})"


def may_raise_immediate_risk(stage: Stage) -> bool:
    """An immediate-risk referral may be opened at any stage until the application closes."""
    return not stage.is_closed


def may_pause(stage: Stage) -> bool:
    """The clock may be paused (with a reason) at any open stage."""
    return not stage.is_closed
