"""The meeting rules as pure functions: action state machine, approval, lawful basis per agency.

No Flask, no SQLAlchemy: services pass the facts in and act on the answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from portal.core import lawful_basis
from portal.core.uk_time import uk_day_start

#: The legal gateway every distribution grant records (CJA 2003 s.325 duty to co-operate).
DISTRIBUTION_GATEWAY: Final = "GW-CJA03-S325"

OPEN: Final = "OPEN"
IN_PROGRESS: Final = "IN_PROGRESS"
COMPLETED: Final = "COMPLETED"
NOT_ACHIEVED: Final = "NOT_ACHIEVED"
SUPERSEDED: Final = "SUPERSEDED"
CANCELLED: Final = "CANCELLED"

UNFINISHED: Final = frozenset({OPEN, IN_PROGRESS})
#: What the owning agency's staff record as progress.
PROGRESS_MOVES: Final = {
    OPEN: frozenset({IN_PROGRESS, COMPLETED, NOT_ACHIEVED}),
    IN_PROGRESS: frozenset({IN_PROGRESS, COMPLETED, NOT_ACHIEVED}),
}
#: What only the chair (the meeting owner's co-ordinators) records.
CHAIR_MOVES: Final = frozenset({SUPERSEDED, CANCELLED})

STATUS_LABELS: Final = {
    OPEN: "Open",
    IN_PROGRESS: "In progress",
    COMPLETED: "Completed",
    NOT_ACHIEVED: "Not achieved",
    SUPERSEDED: "Superseded",
    CANCELLED: "Cancelled",
}
PILLAR_LABELS: Final = {
    "SUPERVISION": "Supervision",
    "MONITORING_CONTROL": "Monitoring and control",
    "INTERVENTIONS": "Interventions and treatment",
    "VICTIM_SAFETY": "Victim safety",
}

NEEDS_UPDATE: Final = "Enter the update that shows the action is completed"
NEEDS_REASON: Final = "Enter the reason the action was not achieved"
NEEDS_NOTE: Final = "Enter an update"
NOT_ALLOWED_MOVE: Final = "Select a status this action can move to"


def access_ends_at(last_day: date) -> datetime:
    """Access that lasts to the end of the UK day ``last_day`` ends at the start of the next."""
    return uk_day_start(last_day + timedelta(days=1))


def is_overdue(status: str, due_on: date, today: date) -> bool:
    """Overdue: still open or in progress after its due date (``today``: the UK day of the
    database clock, :func:`portal.core.uk_time.uk_day`)."""
    return status in UNFINISHED and today > due_on


def is_finished(status: str) -> bool:
    return status not in UNFINISHED


def move_refusal(current: str, target: str, note: str, *, chair: bool) -> tuple[str, str] | None:
    """Why ``current -> target`` with ``note`` cannot be recorded, as ``(field, message)``.

    Progress (in progress, completed, not achieved) is recorded by the owning agency; a
    completed action needs the update that evidences it, a not-achieved one a reason;
    superseded and cancelled are the chair's. Finished actions do not move again.
    """
    allowed = set(PROGRESS_MOVES.get(current, frozenset()))
    if chair and current in UNFINISHED:
        allowed |= CHAIR_MOVES
    if target not in allowed:
        return ("status", NOT_ALLOWED_MOVE)
    if not note.strip():
        if target == COMPLETED:
            return ("note", NEEDS_UPDATE)
        if target == NOT_ACHIEVED:
            return ("note", NEEDS_REASON)
        return ("note", NEEDS_NOTE)
    return None


@dataclass(frozen=True)
class ApprovalFacts:
    chair_name: str | None
    chair_agency_id: uuid.UUID | None
    decisions: tuple[tuple[str, str], ...]
    next_review_on: date | None
    lead_agency_id: uuid.UUID | None


def approval_refusals(facts: ApprovalFacts) -> list[tuple[str, str]]:
    """Every reason the minutes cannot be approved, as ``(field, message)``; empty if none."""
    problems: list[tuple[str, str]] = []
    if not (facts.chair_name or "").strip() or facts.chair_agency_id is None:
        problems.append(("chair_name", "Enter the chair’s name and agency before approval"))
    if not any(d.strip() and r.strip() for d, r in facts.decisions):
        problems.append(
            ("decision_1", "Record at least one decision with its rationale before approval")
        )
    if facts.next_review_on is None:
        problems.append(("next_review_on", "Enter the next review date before approval"))
    if facts.lead_agency_id is None:
        problems.append(("lead_agency_id", "Select the lead agency before approval"))
    return problems


def dp_condition_refusal(code: str, *, competent_authority: bool) -> str | None:
    """Competent authorities receive under a Part 3 condition, everyone else a UK GDPR one."""
    try:
        part3 = lawful_basis.is_part3(code)
    except lawful_basis.UnknownLawfulBasis:
        return "Select a data-protection condition from the list"
    if competent_authority and not part3:
        return "This agency is a competent authority: select a Part 3 condition"
    if not competent_authority and part3:
        return "This agency is not a competent authority: select a UK GDPR condition"
    return None


def default_recipients(
    *,
    attendee_agencies: Iterable[uuid.UUID],
    grant_holders: Iterable[uuid.UUID],
    action_owners: Iterable[uuid.UUID] = (),
    owner_agency_id: uuid.UUID,
) -> list[uuid.UUID]:
    """The distribution list: attendees' agencies, agencies holding a live agency-wide grant
    and agencies owning an unfinished action in the minutes, not the owner. The chair may
    leave any of them off one distribution except an action's owner (see
    :func:`left_off_refusal`)."""
    seen: list[uuid.UUID] = []
    for agency_id in [*attendee_agencies, *grant_holders, *action_owners]:
        if agency_id != owner_agency_id and agency_id not in seen:
            seen.append(agency_id)
    return seen


def left_off_refusal(agency_name: str) -> str:
    """Why an agency owning an unfinished action in the minutes cannot be left off: it could
    not see or record progress on the action it owns."""
    return f"{agency_name} owns an action in these minutes: select a condition to send them under"


def dp_choices(*, competent_authority: bool) -> list[tuple[str, str]]:
    """The data-protection conditions an agency may receive minutes under."""
    return [
        (code, label)
        for code, label in lawful_basis.choices(lawful_basis.BasisKind.DP_CONDITION)
        if lawful_basis.is_part3(code) == competent_authority
    ]
