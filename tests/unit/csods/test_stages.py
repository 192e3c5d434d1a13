"""The CSODS state machine, exhaustively: every (stage, transition) pair, allowed and refused."""

from __future__ import annotations

import itertools

import pytest

from portal.csods.stages import (
    CLOSED_STAGES,
    MOVES,
    Facts,
    Outcome,
    Stage,
    Transition,
    TransitionRefused,
    advance,
    allowed,
    may_pause,
    may_raise_immediate_risk,
)

#: The machine as domain §8.2 states it, written out independently of MOVES.
EXPECTED = {
    ("RECEIVED", "BEGIN_CHECKS"): "INITIAL_CHECKS",
    ("INITIAL_CHECKS", "IN_SCOPE"): "SCOPE_DECIDED",
    ("INITIAL_CHECKS", "NOT_IN_SCOPE"): "CLOSED_NOT_PROGRESSED",
    ("SCOPE_DECIDED", "VERIFIED"): "INTERVIEW_DONE",
    ("SCOPE_DECIDED", "NOT_VERIFIED"): "CLOSED_NO_DISCLOSURE_POSSIBLE",
    ("INTERVIEW_DONE", "BEGIN_RISK_ASSESSMENT"): "RISK_ASSESSMENT",
    ("RISK_ASSESSMENT", "COMPLETE_RISK_ASSESSMENT"): "DECISION_FORUM",
    ("DECISION_FORUM", "RECORD_DECISION"): "DECIDED",
    ("DECIDED", "APPROVE"): "APPROVED",
    # Not in §8.2, which has no approval step: a supervisor who does not approve the decision
    # sends it back to the forum (the portal's two-person rule needs a way on).
    ("DECIDED", "SEND_BACK"): "DECISION_FORUM",
    ("APPROVED", "DELIVER_DISCLOSURE"): "DISCLOSURE_DELIVERED",
    ("APPROVED", "INFORM_APPLICANT"): "APPLICANT_INFORMED",
    ("APPROVED", "REFER"): "REFERRED",
    ("DISCLOSURE_DELIVERED", "CLOSE"): "CLOSED",
    ("APPLICANT_INFORMED", "CLOSE"): "CLOSED",
    ("REFERRED", "CLOSE"): "CLOSED",
}

#: Facts that satisfy every guard of each transition.
GOOD = {
    Transition.APPROVE: Facts(outcome=Outcome.DISCLOSE, decided_by="officer", actor="supervisor"),
    Transition.SEND_BACK: Facts(outcome=Outcome.DISCLOSE, decided_by="officer", actor="supervisor"),
    Transition.DELIVER_DISCLOSURE: Facts(outcome=Outcome.DISCLOSE, undertaking_signed=True),
    Transition.INFORM_APPLICANT: Facts(outcome=Outcome.NO_DISCLOSURE),
    Transition.REFER: Facts(outcome=Outcome.OTHER_ACTION),
}

PAIRS = list(itertools.product(Stage, Transition))


def test_the_table_is_the_documented_machine() -> None:
    assert {(s.value, t.value): v.value for (s, t), v in MOVES.items()} == EXPECTED


@pytest.mark.parametrize(("stage", "transition"), PAIRS, ids=[f"{s}-{t}" for s, t in PAIRS])
def test_every_pair_is_allowed_exactly_when_the_machine_says(
    stage: Stage, transition: Transition
) -> None:
    expected = EXPECTED.get((stage.value, transition.value))
    facts = GOOD.get(transition, Facts())
    if expected is None:
        with pytest.raises(TransitionRefused) as refused:
            advance(stage, transition, facts)
        assert refused.value.message  # a clear message for the page
        assert transition not in allowed(stage)
    else:
        assert advance(stage, transition, facts) is Stage(expected)
        assert transition in allowed(stage)


def test_closed_stages_allow_nothing_and_say_so() -> None:
    for stage, transition in itertools.product(CLOSED_STAGES, Transition):
        with pytest.raises(TransitionRefused, match="closed"):
            advance(stage, transition, GOOD.get(transition, Facts()))
        assert not may_raise_immediate_risk(stage)
        assert not may_pause(stage)


def test_open_stages_allow_an_immediate_risk_referral_and_a_pause() -> None:
    for stage in set(Stage) - CLOSED_STAGES:
        assert may_raise_immediate_risk(stage)
        assert may_pause(stage)


def test_decision_before_risk_assessment_is_refused_with_its_reason() -> None:
    for stage in (Stage.INTERVIEW_DONE, Stage.RISK_ASSESSMENT, Stage.SCOPE_DECIDED):
        with pytest.raises(TransitionRefused, match="after the risk assessment"):
            advance(stage, Transition.RECORD_DECISION)


def test_delivery_without_an_undertaking_is_refused() -> None:
    facts = Facts(outcome=Outcome.DISCLOSE, undertaking_signed=False)
    with pytest.raises(TransitionRefused, match="undertaking"):
        advance(Stage.APPROVED, Transition.DELIVER_DISCLOSURE, facts)


def test_approval_by_the_person_who_recorded_the_decision_is_refused() -> None:
    facts = Facts(outcome=Outcome.DISCLOSE, decided_by="officer", actor="officer")
    with pytest.raises(TransitionRefused, match="supervisor"):
        advance(Stage.DECIDED, Transition.APPROVE, facts)
    with pytest.raises(TransitionRefused, match="no decision"):
        advance(Stage.DECIDED, Transition.APPROVE, Facts())


def test_sending_back_by_the_person_who_recorded_the_decision_is_refused() -> None:
    facts = Facts(outcome=Outcome.DISCLOSE, decided_by="officer", actor="officer")
    with pytest.raises(TransitionRefused, match="must be sent back by a supervisor"):
        advance(Stage.DECIDED, Transition.SEND_BACK, facts)
    with pytest.raises(TransitionRefused, match="no decision to send back"):
        advance(Stage.DECIDED, Transition.SEND_BACK, Facts())
    with pytest.raises(TransitionRefused, match="no decision awaiting approval"):
        advance(Stage.APPROVED, Transition.SEND_BACK, facts)


def test_closing_without_an_outcome_is_refused() -> None:
    for stage in (
        set(Stage)
        - CLOSED_STAGES
        - {
            Stage.DISCLOSURE_DELIVERED,
            Stage.APPLICANT_INFORMED,
            Stage.REFERRED,
        }
    ):
        with pytest.raises(TransitionRefused, match="outcome has been recorded"):
            advance(stage, Transition.CLOSE)


@pytest.mark.parametrize(
    ("transition", "outcome"),
    [
        (Transition.DELIVER_DISCLOSURE, Outcome.NO_DISCLOSURE),
        (Transition.DELIVER_DISCLOSURE, Outcome.OTHER_ACTION),
        (Transition.INFORM_APPLICANT, Outcome.DISCLOSE),
        (Transition.INFORM_APPLICANT, Outcome.OTHER_ACTION),
        (Transition.REFER, Outcome.DISCLOSE),
        (Transition.REFER, Outcome.NO_DISCLOSURE),
        (Transition.DELIVER_DISCLOSURE, None),
    ],
)
def test_an_ending_that_does_not_match_the_decision_is_refused(
    transition: Transition, outcome: Outcome | None
) -> None:
    facts = Facts(outcome=outcome, undertaking_signed=True)
    with pytest.raises(TransitionRefused, match="not the way"):
        advance(Stage.APPROVED, transition, facts)
