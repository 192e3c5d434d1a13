"""Queries for grants, the subjects they name and the LAO lists; flush, never commit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, delete, exists, func, not_, or_, select
from sqlalchemy.sql.elements import ColumnElement

from portal.access.models import AccessGrant, GrantStatus, LaoKind, LaoList, LaoMember
from portal.agencies.models import Agency
from portal.extensions import db
from portal.records.models import SharedRecord
from portal.subjects.models import Subject
from portal.users.models import User


def find_subject(subject_id: uuid.UUID) -> Subject | None:
    return db.session.get(Subject, subject_id)


def find_subject_by_identifier(kind: str, value: str) -> Subject | None:
    column = {
        "pnc_id": Subject.pnc_id,
        "ndelius_crn": Subject.ndelius_crn,
        "visor_ref": Subject.visor_ref,
    }[kind]
    return db.session.execute(
        select(Subject).where(func.upper(column) == value.upper())
    ).scalar_one_or_none()


def find_grant(grant_id: uuid.UUID) -> AccessGrant | None:
    return db.session.get(AccessGrant, grant_id)


def lock_grant(grant_id: uuid.UUID) -> AccessGrant | None:
    """The grant, locked ``FOR UPDATE`` (a change waits for accesses reading it ``FOR SHARE``)."""
    return db.session.execute(
        select(AccessGrant)
        .where(AccessGrant.id == grant_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def lock_renewal_chain(grant_id: uuid.UUID) -> dict[uuid.UUID, AccessGrant]:
    """The grant and every grant in its renewal chain (the ones it renews and the ones renewing
    it), each locked ``FOR UPDATE`` in id order, so two changes to one chain cannot deadlock.
    Empty when there is no such grant.

    The chain is read again once locked: a renewal being written meanwhile holds a lock on the
    grant it renews, so it is either committed by then (and read here) or not yet begun.
    """
    locked: dict[uuid.UUID, AccessGrant] = {}
    ids = _chain_ids(grant_id)
    while ids - locked.keys():
        for grant in db.session.execute(
            select(AccessGrant)
            .where(AccessGrant.id.in_(sorted(ids - locked.keys())))
            .order_by(AccessGrant.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalars():
            locked[grant.id] = grant
        if grant_id not in locked:
            return {}
        ids = _chain_ids(grant_id)
    return locked


def _chain_ids(grant_id: uuid.UUID) -> set[uuid.UUID]:
    """Ids in ``grant_id``'s renewal chain, itself included (only itself when it does not exist)."""
    ids = {grant_id}
    older = select(AccessGrant.renews_id).where(AccessGrant.id == bindparam("at"))
    newer = select(AccessGrant.id).where(AccessGrant.renews_id == bindparam("at"))
    for step in (older, newer):
        found = db.session.execute(step, {"at": grant_id}).scalar()
        while found is not None and found not in ids:
            ids.add(found)
            found = db.session.execute(step, {"at": found}).scalar()
    return ids


def add_grant(grant: AccessGrant) -> None:
    db.session.add(grant)
    db.session.flush()


def flush() -> None:
    db.session.flush()


def list_grants_for_subject(subject_id: uuid.UUID) -> Sequence[AccessGrant]:
    return (
        db.session.execute(
            select(AccessGrant)
            .where(AccessGrant.subject_id == subject_id)
            .order_by(AccessGrant.expires_at.desc(), AccessGrant.id)
        )
        .scalars()
        .all()
    )


def same_request_pending(request: AccessGrant) -> bool:
    """Whether the same person's request for the subject, on the same terms, is still pending
    (the same form sent twice)."""
    return bool(
        db.session.execute(
            select(
                exists().where(
                    AccessGrant.subject_id == request.subject_id,
                    AccessGrant.requested_by_id == request.requested_by_id,
                    AccessGrant.status == GrantStatus.REQUESTED.value,
                    AccessGrant.view_profile == request.view_profile,
                    AccessGrant.legal_gateway == request.legal_gateway,
                    AccessGrant.dp_condition == request.dp_condition,
                    AccessGrant.justification == request.justification,
                    AccessGrant.isa_reference == request.isa_reference,
                    AccessGrant.expires_at == request.expires_at,
                )
            )
        ).scalar()
    )


def is_renewed(grant_id: uuid.UUID) -> bool:
    return bool(
        db.session.execute(select(exists().where(AccessGrant.renews_id == grant_id))).scalar()
    )


def _not_barred(user_id: uuid.UUID) -> ColumnElement[bool]:
    """The subject's LAO lists let this user in (chooses which names a list shows)."""
    excluded = exists().where(
        LaoMember.subject_id == Subject.id,
        LaoMember.kind == LaoKind.EXCLUSION.value,
        LaoMember.user_id == user_id,
    )
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


@dataclass(frozen=True)
class RequestRow:
    grant: AccessGrant
    subject: Subject


def list_pending_requests(owner_agency_id: uuid.UUID, *, user_id: uuid.UUID) -> list[RequestRow]:
    """Requests for the agency's subjects, oldest first; subjects barring the user left out."""
    rows = db.session.execute(
        select(AccessGrant, Subject)
        .join(Subject, Subject.id == AccessGrant.subject_id)
        .where(
            AccessGrant.owner_agency_id == owner_agency_id,
            AccessGrant.status == GrantStatus.REQUESTED.value,
            _not_barred(user_id),
        )
        .order_by(AccessGrant.requested_at, AccessGrant.id)
    ).all()
    return [RequestRow(grant=row[0], subject=row[1]) for row in rows]


def list_agencies() -> Sequence[Agency]:
    return db.session.execute(select(Agency).order_by(Agency.name, Agency.id)).scalars().all()


def agency_names(agency_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not agency_ids:
        return {}
    rows = db.session.execute(select(Agency.id, Agency.name).where(Agency.id.in_(agency_ids)))
    return {row.id: row.name for row in rows}


def user_names(user_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not user_ids:
        return {}
    rows = db.session.execute(select(User.id, User.full_name).where(User.id.in_(user_ids)))
    return {row.id: row.full_name for row in rows}


@dataclass(frozen=True)
class Person:
    id: uuid.UUID
    agency_id: uuid.UUID
    email: str
    full_name: str


def find_people_by_email(emails: Sequence[str]) -> dict[str, Person]:
    if not emails:
        return {}
    rows = db.session.execute(
        select(User.id, User.agency_id, User.email, User.full_name).where(
            func.lower(User.email).in_([e.lower() for e in emails])
        )
    )
    return {
        row.email.lower(): Person(row.id, row.agency_id, row.email, row.full_name) for row in rows
    }


@dataclass(frozen=True)
class RecordChoice:
    id: uuid.UUID
    title: str
    kind: str
    #: The record's stored marking (JSON); a page showing its title carries it.
    marking: str


def records_of(subject_id: uuid.UUID) -> list[RecordChoice]:
    rows = db.session.execute(
        select(SharedRecord.id, SharedRecord.title, SharedRecord.kind, SharedRecord.marking)
        .where(SharedRecord.subject_id == subject_id)
        .order_by(SharedRecord.title, SharedRecord.id)
    )
    return [RecordChoice(row.id, row.title, row.kind, row.marking) for row in rows]


def record_subject(record_id: uuid.UUID) -> uuid.UUID | None:
    return db.session.execute(
        select(SharedRecord.subject_id).where(SharedRecord.id == record_id)
    ).scalar_one_or_none()


# --- LAO lists ------------------------------------------------------------------------------


def lao_lists(subject_id: uuid.UUID) -> dict[str, LaoList]:
    rows = db.session.execute(select(LaoList).where(LaoList.subject_id == subject_id)).scalars()
    return {row.kind: row for row in rows}


def lao_members(subject_id: uuid.UUID) -> dict[str, list[Person]]:
    rows = db.session.execute(
        select(LaoMember.kind, User.id, User.agency_id, User.email, User.full_name)
        .join(User, User.id == LaoMember.user_id)
        .where(LaoMember.subject_id == subject_id)
        .order_by(User.full_name, User.id)
    )
    members: dict[str, list[Person]] = {kind.value: [] for kind in LaoKind}
    for row in rows:
        members[row.kind].append(Person(row.id, row.agency_id, row.email, row.full_name))
    return members


def lock_subject(subject_id: uuid.UUID) -> None:
    """Lock the subject row (``FOR NO KEY UPDATE``, until the caller's transaction ends) before
    reading its LAO lists to change one, or its pending requests to add one: lists saved, or
    requests sent, at the same moment are judged one after the other, each knowing what the
    one before it wrote. (Inserting rows that refer to the subject is not held up.)"""
    db.session.execute(
        select(Subject.id).where(Subject.id == subject_id).with_for_update(key_share=True)
    )


def replace_lao_list(
    subject_id: uuid.UUID, kind: str, *, user_ids: Sequence[uuid.UUID], message: str | None
) -> None:
    """Replace one list; a list without members is removed (after :func:`lock_subject`)."""
    db.session.execute(
        delete(LaoMember).where(LaoMember.subject_id == subject_id, LaoMember.kind == kind)
    )
    db.session.execute(
        delete(LaoList).where(LaoList.subject_id == subject_id, LaoList.kind == kind)
    )
    if user_ids:
        db.session.add(LaoList(subject_id=subject_id, kind=kind, message=message or ""))
        for user_id in user_ids:
            db.session.add(LaoMember(subject_id=subject_id, kind=kind, user_id=user_id))
    db.session.flush()
