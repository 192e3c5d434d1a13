"""The CSODS case list: the force's open applications against their stage and overall targets,
breaches first, and the counts by outcome that forces report.

The list names each application by its URN, which is formed from the applicant's surname and a
date (domain §2.3): personal data. So the page goes through
:func:`portal.access.gate.authorize_list` like any list of personal data, which writes one
``CONSULTATION`` naming the applications shown (by id, never by URN): one event for the page,
not one per row. An application linked to a subject whose exclusion or restriction list bars
the user is left out, as the subject is from every other list.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Final

from portal.access import gate
from portal.access.gate import AccessDenied, Target
from portal.access.permissions import Permission
from portal.core.actor import Actor
from portal.core.clock import db_now
from portal.core.markings import Descriptor, Marking
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
    """The force's applications the user's LAO lists let them see (URN, stage, officer,
    clocks), breaches first and then nearest to breach, with the outcome counts for ``period``;
    one ``CONSULTATION`` for the page (see the module docstring)."""
    check_csods(actor, Permission.CSODS_READ, owning_agency_id=actor.agency_id)
    found = repository.list_applications(
        actor.agency_id,
        user_id=actor.user_id,
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
    log_listing(actor, [r.application_id for r in rows])
    return CaseList(
        rows=rows,
        officers=repository.officers(actor.agency_id),
        counts=outcome_counts(repository.outcome_counts(actor.agency_id, *period)),
    )


#: The access log's name for this page (the event's ``listing``).
LISTING: Final = "csods_case_list"
#: Namespace of the ids that stand for a force's case list in the access log: the page shows
#: applications, not a subject, so (as an application recorded without a linked subject stands
#: for its subject) the list stands for itself, the same id for every page of one force.
_CASE_LIST: Final = uuid.UUID("5b0f4a8e-3c2d-4f1e-9a7b-c5d6e7f80912")


def log_listing(actor: Actor, shown: list[uuid.UUID]) -> None:
    """Write the page's ``CONSULTATION`` (in the caller's transaction) naming ``shown``.

    One event for the page; only a page of more applications than one event can name (more
    than :data:`portal.access.gate.MAX_LISTED_PER_SUBJECT`) writes one more for each further
    batch of them.

    :raises AccessDenied: when the gate refuses the page (nothing is shown).
    """
    size = gate.MAX_LISTED_PER_SUBJECT
    batches = [tuple(shown[i : i + size]) for i in range(0, len(shown), size)] or [()]
    marking = Marking(
        sensitive=True,
        descriptors=frozenset({Descriptor.PERSONAL_DATA}),
        owner=str(actor.agency_id),
    )
    targets = [
        Target(uuid.uuid5(_CASE_LIST, f"{actor.agency_id}/{n}"), actor.agency_id, marking)
        for n in range(len(batches))
    ]
    decision = gate.authorize_list(
        actor,
        Permission.CSODS_READ,
        targets,
        rows={t.subject_id: batch for t, batch in zip(targets, batches, strict=True)},
        listing=LISTING,
    )
    if len(decision.allowed) != len(targets):
        raise AccessDenied("refused", actor=actor, permission=Permission.CSODS_READ)


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
