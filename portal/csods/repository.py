"""CSODS queries: flush, never commit."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from portal.agencies.models import Agency, AgencyType
from portal.audit.models import AuditEventRow
from portal.csods.models import (
    CsodsApplication,
    CsodsDecision,
    CsodsDelivery,
    CsodsPause,
    CsodsReferral,
    CsodsReturnedDecision,
    CsodsStageChange,
)
from portal.csods.stages import CLOSED_STAGES
from portal.extensions import db
from portal.subjects.models import Subject
from portal.subjects.repository import _not_barred
from portal.users.models import User


def is_police(agency_id: uuid.UUID) -> bool:
    kind = db.session.execute(
        select(Agency.type).where(Agency.id == agency_id)
    ).scalar_one_or_none()
    return kind == AgencyType.POLICE.value


def get_application(application_id: uuid.UUID, *, lock: bool = False) -> CsodsApplication | None:
    stmt = select(CsodsApplication).where(CsodsApplication.id == application_id)
    if lock:
        stmt = stmt.with_for_update()
    return db.session.execute(stmt).scalar_one_or_none()


#: How each database names the unique URN constraint in its error message.
_URN_CONSTRAINT = ("agency_urn", "csods_application.urn")


class UrnInUse(Exception):
    """Another application of the force has this URN (recorded a moment ago)."""


def add_application(application: CsodsApplication) -> None:
    """Insert and flush. :raises UrnInUse: when the force already has an application with
    the URN (the unique constraint refused a concurrent insert that :func:`urn_taken` missed)."""
    try:
        add(application)
    except IntegrityError as exc:
        if any(marker in str(exc.orig) for marker in _URN_CONSTRAINT):
            raise UrnInUse() from exc
        raise


def urn_taken(agency_id: uuid.UUID, urn: str) -> bool:
    found = db.session.execute(
        select(CsodsApplication.id).where(
            CsodsApplication.agency_id == agency_id, CsodsApplication.urn == urn
        )
    ).first()
    return found is not None


def owned_subject(
    subject_id: uuid.UUID, agency_id: uuid.UUID, *, user_id: uuid.UUID
) -> Subject | None:
    """The force's subject with this id, unless its LAO lists bar the user."""
    return db.session.execute(
        select(Subject).where(
            Subject.id == subject_id, Subject.owning_agency_id == agency_id, _not_barred(user_id)
        )
    ).scalar_one_or_none()


def list_subjects(agency_id: uuid.UUID, *, user_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    """The force's subjects a user may link an application to: those their LAO lists let in
    (a barred subject's name is no more shown here than on any other list)."""
    rows = db.session.execute(
        select(Subject.id, Subject.family_name, Subject.given_names)
        .where(Subject.owning_agency_id == agency_id, _not_barred(user_id))
        .order_by(Subject.family_name, Subject.given_names)
    )
    return [(row[0], f"{row[1].upper()}, {row[2]}") for row in rows]


def add(row: object) -> None:
    db.session.add(row)
    db.session.flush()


def history(application_id: uuid.UUID) -> list[CsodsStageChange]:
    return list(
        db.session.execute(
            select(CsodsStageChange)
            .where(CsodsStageChange.application_id == application_id)
            .order_by(CsodsStageChange.at, CsodsStageChange.id)
        ).scalars()
    )


def pauses(application_id: uuid.UUID) -> list[CsodsPause]:
    return list(
        db.session.execute(
            select(CsodsPause)
            .where(CsodsPause.application_id == application_id)
            .order_by(CsodsPause.started_at)
        ).scalars()
    )


def pauses_for(application_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[CsodsPause]]:
    found: dict[uuid.UUID, list[CsodsPause]] = {}
    if not application_ids:
        return found
    for pause in db.session.execute(
        select(CsodsPause).where(CsodsPause.application_id.in_(application_ids))
    ).scalars():
        found.setdefault(pause.application_id, []).append(pause)
    return found


def open_pause(application_id: uuid.UUID) -> CsodsPause | None:
    return db.session.execute(
        select(CsodsPause).where(
            CsodsPause.application_id == application_id, CsodsPause.ended_at.is_(None)
        )
    ).scalar_one_or_none()


def referrals(application_id: uuid.UUID) -> list[CsodsReferral]:
    return list(
        db.session.execute(
            select(CsodsReferral)
            .where(CsodsReferral.application_id == application_id)
            .order_by(CsodsReferral.raised_at)
        ).scalars()
    )


def decision(application_id: uuid.UUID) -> CsodsDecision | None:
    return db.session.execute(
        select(CsodsDecision).where(CsodsDecision.application_id == application_id)
    ).scalar_one_or_none()


def returned_decisions(application_id: uuid.UUID) -> list[CsodsReturnedDecision]:
    return list(
        db.session.execute(
            select(CsodsReturnedDecision)
            .where(CsodsReturnedDecision.application_id == application_id)
            .order_by(CsodsReturnedDecision.returned_at, CsodsReturnedDecision.id)
        ).scalars()
    )


def remove(row: object) -> None:
    db.session.delete(row)
    db.session.flush()


def delivery(decision_id: uuid.UUID) -> CsodsDelivery | None:
    return db.session.execute(
        select(CsodsDelivery).where(CsodsDelivery.decision_id == decision_id)
    ).scalar_one_or_none()


def user_names(user_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not user_ids:
        return {}
    rows = db.session.execute(select(User.id, User.full_name).where(User.id.in_(user_ids)))
    return {row[0]: row[1] for row in rows}


def list_applications(
    agency_id: uuid.UUID,
    *,
    user_id: uuid.UUID,
    include_closed: bool,
    stage: str | None = None,
    officer_id: uuid.UUID | None = None,
) -> list[CsodsApplication]:
    """The force's applications, leaving out those linked to a subject whose LAO lists bar
    ``user_id`` (the URN names the applicant: the list shows no more than the gate would)."""
    stmt = (
        select(CsodsApplication)
        .outerjoin(Subject, Subject.id == CsodsApplication.subject_id)
        .where(
            CsodsApplication.agency_id == agency_id,
            or_(CsodsApplication.subject_id.is_(None), _not_barred(user_id)),
        )
    )
    if not include_closed:
        stmt = stmt.where(CsodsApplication.stage.not_in([s.value for s in CLOSED_STAGES]))
    if stage is not None:
        stmt = stmt.where(CsodsApplication.stage == stage)
    if officer_id is not None:
        stmt = stmt.where(CsodsApplication.officer_id == officer_id)
    return list(db.session.execute(stmt.order_by(CsodsApplication.received_at)).scalars())


def officers(agency_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    rows = db.session.execute(
        select(User.id, User.full_name)
        .join(CsodsApplication, CsodsApplication.officer_id == User.id)
        .where(CsodsApplication.agency_id == agency_id)
        .distinct()
        .order_by(User.full_name)
    )
    return [(row[0], row[1]) for row in rows]


def outcome_counts(agency_id: uuid.UUID, start: date, end: date) -> dict[str, int]:
    """Applications received in ``[start, end]`` by stage group and outcome."""
    rows = db.session.execute(
        select(CsodsApplication.stage, CsodsApplication.outcome, func.count())
        .where(
            CsodsApplication.agency_id == agency_id,
            CsodsApplication.received_on >= start,
            CsodsApplication.received_on <= end,
        )
        .group_by(CsodsApplication.stage, CsodsApplication.outcome)
    )
    return {f"{row[0]}|{row[1] or ''}": int(row[2]) for row in rows}


@dataclass(frozen=True)
class LoggedDisclosure:
    seq: int
    at: datetime
    actor_id: uuid.UUID | None
    recipients: tuple[str, ...]
    legal_gateway: str | None
    dp_condition: str | None
    marking: str | None


def logged_disclosures(application_id: uuid.UUID) -> list[LoggedDisclosure]:
    """The access log's ``DISCLOSURE`` events for one application, oldest first (read only)."""
    rows = db.session.execute(
        select(AuditEventRow)
        .where(AuditEventRow.record_id == application_id, AuditEventRow.event_type == "DISCLOSURE")
        .order_by(AuditEventRow.seq)
    ).scalars()
    found = []
    for row in rows:
        extra = json.loads(row.body).get("with", {})
        found.append(
            LoggedDisclosure(
                seq=row.seq,
                at=row.recorded_at,
                actor_id=row.actor_id,
                recipients=tuple(extra.get("recipients", ())),
                legal_gateway=row.legal_gateway,
                dp_condition=row.dp_condition,
                marking=row.marking,
            )
        )
    return found
