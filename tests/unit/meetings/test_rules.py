"""The pure meeting rules: the action state machine, overdue, approval and DP conditions."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from portal.meetings import rules

STATUSES = sorted(rules.STATUS_LABELS)
#: The MAPPA action machine written out by hand (domain.md §8.2).
MOVES = {
    ("OPEN", "IN_PROGRESS"),
    ("OPEN", "COMPLETED"),
    ("OPEN", "NOT_ACHIEVED"),
    ("IN_PROGRESS", "IN_PROGRESS"),
    ("IN_PROGRESS", "COMPLETED"),
    ("IN_PROGRESS", "NOT_ACHIEVED"),
}
CHAIR_ONLY = {(s, t) for s in ("OPEN", "IN_PROGRESS") for t in ("SUPERSEDED", "CANCELLED")}


@settings(max_examples=300)
@given(
    current=st.sampled_from(STATUSES),
    target=st.sampled_from(STATUSES),
    note=st.sampled_from(["", "   ", "<p>Visit done</p>"]),
    chair=st.booleans(),
)
def test_move_refusal_matches_the_machine(
    current: str, target: str, note: str, chair: bool
) -> None:
    refusal = rules.move_refusal(current, target, note, chair=chair)
    allowed = (current, target) in MOVES or (chair and (current, target) in CHAIR_ONLY)
    if not allowed:
        assert refusal == ("status", rules.NOT_ALLOWED_MOVE)
    elif not note.strip():
        expected = {
            "COMPLETED": rules.NEEDS_UPDATE,
            "NOT_ACHIEVED": rules.NEEDS_REASON,
        }.get(target, rules.NEEDS_NOTE)
        assert refusal == ("note", expected)
    else:
        assert refusal is None


def test_finished_actions_never_move() -> None:
    for current in ("COMPLETED", "NOT_ACHIEVED", "SUPERSEDED", "CANCELLED"):
        for target in STATUSES:
            assert rules.move_refusal(current, target, "x", chair=True) is not None


def test_overdue_only_when_unfinished_and_past_due() -> None:
    due = date(2026, 5, 1)
    assert rules.is_overdue("OPEN", due, due + timedelta(days=1))
    assert rules.is_overdue("IN_PROGRESS", due, due + timedelta(days=1))
    assert not rules.is_overdue("OPEN", due, due)
    assert not rules.is_overdue("COMPLETED", due, due + timedelta(days=30))


def test_approval_lists_every_missing_part() -> None:
    facts = rules.ApprovalFacts(None, None, (("Decision", ""),), None, None)
    fields = [field for field, _ in rules.approval_refusals(facts)]
    assert fields == ["chair_name", "decision_1", "next_review_on", "lead_agency_id"]
    complete = rules.ApprovalFacts(
        "Chair", uuid.uuid4(), (("Stay at level 2", "Managed"),), date(2026, 9, 1), uuid.uuid4()
    )
    assert rules.approval_refusals(complete) == []


def test_competent_authorities_get_part_3_and_others_uk_gdpr() -> None:
    assert rules.dp_condition_refusal("DP3-SCH8-4", competent_authority=True) is None
    assert rules.dp_condition_refusal("GDPR-6-1-E", competent_authority=False) is None
    assert rules.dp_condition_refusal("GDPR-6-1-E", competent_authority=True) is not None
    assert rules.dp_condition_refusal("DP3-S35-LE", competent_authority=False) is not None
    assert rules.dp_condition_refusal("GW-CJA03-S325", competent_authority=True) is not None
    assert all(rules.dp_choices(competent_authority=True))
    codes = {code for code, _ in rules.dp_choices(competent_authority=False)}
    assert "GDPR-6-1-E" in codes
    assert not any(code.startswith("DP3") for code in codes)


def test_distribution_list_is_attendees_and_grant_holders_without_the_owner() -> None:
    owner, a, b, c = (uuid.uuid4() for _ in range(4))
    listed = rules.default_recipients(
        attendee_agencies=[owner, a, b, a], grant_holders=[c, b], owner_agency_id=owner
    )
    assert listed == [a, b, c]
