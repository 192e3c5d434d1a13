"""The CSODS case list: the force's open applications against their stage and overall targets,
breaches first, and the counts by outcome that forces report. No personal details."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Final

from portal.access.permissions import Permission
from portal.core.actor import Actor
from portal.core.clock import db_now
from portal.csods import repository
from portal.csods.clocks import Clocks
from portal.csods.service import check_csods, clocks_of
from portal.csods.stages import Outcome, Stage


@dataclass(frozen=True)
class CaseRow:
    application_id: uuid.UUID
    urn: str
    stage: Stage
    officer: str
    clocks: Clocks
    outcome: Outcome | None


@dataclass(frozen=True)
class CaseList:
    rows: list[CaseRow]
    officers: list[tuple[uuid.UUID, str]]
    counts: dict[str, int]


def case_list(
    actor: Actor,
    *,
    stage: Stage | None,
    officer_id: uuid.UUID | None,
    include_closed: bool,
    period: tuple[date, date],
) -> CaseList:
    """The force's applications (URN, stage, officer, clocks; no personal details), breaches
    first and then nearest to breach, with the outcome counts for ``period``."""
    check_csods(actor, Permission.CSODS_READ, owning_agency_id=actor.agency_id)
    found = repository.list_applications(
        actor.agency_id,
        include_closed=include_closed,
        stage=stage.value if stage else None,
        officer_id=officer_id,
    )
    now = db_now()
    pauses = repository.pauses_for([a.id for a in found])
    names = repository.user_names({a.officer_id for a in found})
    rows = [
        CaseRow(
            application_id=a.id,
            urn=a.urn,
            stage=a.stage_enum,
            officer=names.get(a.officer_id, ""),
            clocks=clocks_of(a, pauses.get(a.id, []), now),
            outcome=a.outcome_enum,
        )
        for a in found
    ]
    rows.sort(key=lambda r: (r.stage.is_closed, r.clocks.remaining, r.urn))
    return CaseList(
        rows=rows,
        officers=repository.officers(actor.agency_id),
        counts=outcome_counts(repository.outcome_counts(actor.agency_id, *period)),
    )


OUTCOME_GROUPS: Final = {
    "open": "Open",
    "DISCLOSE": "Closed with disclosure",
    "NO_DISCLOSURE": "Closed with no disclosure",
    "OTHER_ACTION": "Closed with other safeguarding action",
    "NOT_IN_SCOPE": "Closed: not in scope",
    "NOT_VERIFIED": "Closed: applicant not verified",
}


def outcome_counts(raw: dict[str, int]) -> dict[str, int]:
    counts = dict.fromkeys(OUTCOME_GROUPS, 0)
    for key, number in raw.items():
        stage, _, outcome = key.partition("|")
        if stage == Stage.CLOSED_NOT_PROGRESSED.value:
            counts["NOT_IN_SCOPE"] += number
        elif stage == Stage.CLOSED_NO_DISCLOSURE_POSSIBLE.value:
            counts["NOT_VERIFIED"] += number
        elif stage == Stage.CLOSED.value and outcome in counts:
            counts[outcome] += number
        else:
            counts["open"] += number
    return counts
