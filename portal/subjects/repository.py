"""Queries for subjects, agencies and the grants shared with an agency; flush, never commit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, not_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.elements import ColumnElement

from portal.access.models import AccessGrant, GrantStatus, LaoKind, LaoList, LaoMember
from portal.agencies.models import Agency
from portal.db.statements import run, uuid_param, uuids_param
from portal.extensions import db
from portal.records.models import SharedRecord
from portal.subjects.models import Subject

#: How each database names the unique identifier constraints in its error message.
_IDENTIFIER_CONSTRAINTS = {
    "pnc_id": ("uq_subject_pnc_id", "subject.pnc_id"),
    "ndelius_crn": ("uq_subject_ndelius_crn", "subject.ndelius_crn"),
    "visor_ref": ("uq_subject_visor_ref", "subject.visor_ref"),
}


class IdentifierInUse(Exception):
    """Another subject already has this PNC ID, CRN or ViSOR reference."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


# Built once: every subject page runs it. The aliases are joined into the one SELECT.
_SUBJECT = (
    select(Subject).options(joinedload(Subject.aliases)).where(Subject.id == uuid_param("id"))
)


def find_subject(subject_id: uuid.UUID) -> Subject | None:
    return db.session.execute(_SUBJECT, {"id": subject_id}).unique().scalar_one_or_none()


def lock_subject(subject_id: uuid.UUID) -> Subject | None:
    """The subject row locked ``FOR UPDATE`` and freshly read, for an edit."""
    return db.session.execute(
        select(Subject)
        .where(Subject.id == subject_id)
        .with_for_update(of=Subject)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def add_subject(subject: Subject) -> None:
    """Insert and flush. :raises IdentifierInUse: when a unique identifier is taken."""
    db.session.add(subject)
    flush_subject()


def flush_subject() -> None:
    """Flush a subject change. :raises IdentifierInUse: when a unique identifier is taken."""
    try:
        db.session.flush()
    except IntegrityError as exc:
        for field, markers in _IDENTIFIER_CONSTRAINTS.items():
            if any(marker in str(exc.orig) for marker in markers):
                raise IdentifierInUse(field) from exc
        raise


def identifier_taken(field: str, value: str, *, other_than: uuid.UUID | None = None) -> bool:
    column = {"pnc_id": Subject.pnc_id, "ndelius_crn": Subject.ndelius_crn}.get(
        field, Subject.visor_ref
    )
    query = select(Subject.id).where(column == value)
    if other_than is not None:
        query = query.where(Subject.id != other_than)
    return db.session.execute(query.limit(1)).first() is not None


def list_agencies() -> Sequence[Agency]:
    return db.session.execute(select(Agency).order_by(Agency.name)).scalars().all()


# Built once: every subject page runs it.
_AGENCY_NAMES = select(Agency.id, Agency.name).where(Agency.id.in_(uuids_param("agency_ids")))


def agency_names(agency_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not agency_ids:
        return {}
    rows = run(_AGENCY_NAMES, {"agency_ids": sorted(agency_ids)})
    return {agency_id: name for agency_id, name in rows}


def _not_barred(user_id: uuid.UUID) -> ColumnElement[bool]:
    """The subject's LAO lists let this user in: not excluded, and named if restricted.

    Used only to choose which names a list shows; opening a subject is decided by the gate.
    """
    excluded = exists().where(
        LaoMember.subject_id == Subject.id,
        LaoMember.kind == LaoKind.EXCLUSION.value,
        LaoMember.user_id == user_id,
    )
    # As the gate reads them: a restriction list exists if it has a row or any member.
    restricted = or_(
        exists().where(LaoList.subject_id == Subject.id, LaoList.kind == LaoKind.RESTRICTION.value),
        exists().where(
            LaoMember.subject_id == Subject.id, LaoMember.kind == LaoKind.RESTRICTION.value
        ),
    )
    named = exists().where(
        LaoMember.subject_id == Subject.id,
        LaoMember.kind == LaoKind.RESTRICTION.value,
        LaoMember.user_id == user_id,
    )
    return and_(not_(excluded), or_(not_(restricted), named))


def list_owned_subjects(agency_id: uuid.UUID, *, user_id: uuid.UUID) -> Sequence[Subject]:
    """Subjects the agency owns whose LAO lists do not bar ``user_id``, by name."""
    return (
        db.session.execute(
            select(Subject)
            .where(Subject.owning_agency_id == agency_id, _not_barred(user_id))
            .order_by(Subject.family_name, Subject.given_names, Subject.id)
        )
        .scalars()
        .all()
    )


@dataclass(frozen=True)
class SharedRow:
    grant: AccessGrant
    subject: Subject
    record: SharedRecord | None


def list_live_grants_for(
    agency_id: uuid.UUID, *, user_id: uuid.UUID, now: datetime
) -> Sequence[SharedRow]:
    """Grants to the agency (or to this user in it) live at ``now``, soonest ending first.

    Live means ACTIVE and ``valid_from <= now < expires_at``; subjects whose LAO lists bar the
    user are left out.
    """
    rows = db.session.execute(
        select(AccessGrant, Subject, SharedRecord)
        .join(Subject, Subject.id == AccessGrant.subject_id)
        .outerjoin(SharedRecord, SharedRecord.id == AccessGrant.record_id)
        .where(
            AccessGrant.grantee_agency_id == agency_id,
            or_(AccessGrant.grantee_user_id.is_(None), AccessGrant.grantee_user_id == user_id),
            AccessGrant.status == GrantStatus.ACTIVE.value,
            AccessGrant.valid_from <= now,
            AccessGrant.expires_at > now,
            _not_barred(user_id),
        )
        .order_by(AccessGrant.expires_at, Subject.family_name, AccessGrant.id)
    ).all()
    return [SharedRow(grant=row[0], subject=row[1], record=row[2]) for row in rows]
