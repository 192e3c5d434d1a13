"""Queries for meetings, minutes and actions; flush, never commit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select

from portal.access.models import AccessGrant, GrantStatus, ScopeKind
from portal.access.policy import ACTION_PROFILES
from portal.agencies.models import Agency
from portal.extensions import db
from portal.meetings import rules
from portal.meetings.models import (
    ActionUpdate,
    CarriedAction,
    Meeting,
    MeetingAction,
    MinutesRecipient,
    MinutesVersion,
    MinutesWithheld,
)
from portal.meetings.schemas import ActionFilter
from portal.subjects.models import Subject
from portal.subjects.repository import _not_barred
from portal.users.models import User


def find_meeting(meeting_id: uuid.UUID) -> Meeting | None:
    return db.session.get(Meeting, meeting_id)


def lock_meeting(meeting_id: uuid.UUID) -> Meeting | None:
    """The meeting row locked ``FOR UPDATE`` and freshly read, for a change."""
    return db.session.execute(
        select(Meeting)
        .where(Meeting.id == meeting_id)
        .with_for_update(of=Meeting)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def find_subject(subject_id: uuid.UUID) -> Subject | None:
    return db.session.get(Subject, subject_id)


def meetings_for_subject(subject_id: uuid.UUID) -> Sequence[Meeting]:
    return (
        db.session.execute(
            select(Meeting).where(Meeting.subject_id == subject_id).order_by(Meeting.sequence)
        )
        .scalars()
        .all()
    )


def next_sequence(subject_id: uuid.UUID) -> int:
    """The number the subject's next meeting takes.

    The subject row is locked first (``FOR NO KEY UPDATE``, until the caller's transaction
    ends), so meetings recorded for one subject at the same moment are numbered one after the
    other instead of both taking the same number.
    """
    db.session.execute(
        select(Subject.id).where(Subject.id == subject_id).with_for_update(key_share=True)
    )
    top = db.session.execute(
        select(func.max(Meeting.sequence)).where(Meeting.subject_id == subject_id)
    ).scalar_one_or_none()
    return int(top or 0) + 1


def versions(meeting_id: uuid.UUID) -> Sequence[MinutesVersion]:
    return (
        db.session.execute(
            select(MinutesVersion)
            .where(MinutesVersion.meeting_id == meeting_id)
            .order_by(MinutesVersion.number)
        )
        .scalars()
        .all()
    )


def lock_latest_version(meeting_id: uuid.UUID) -> MinutesVersion | None:
    return db.session.execute(
        select(MinutesVersion)
        .where(MinutesVersion.meeting_id == meeting_id)
        .order_by(MinutesVersion.number.desc())
        .limit(1)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def recipients(meeting_id: uuid.UUID) -> Sequence[MinutesRecipient]:
    return (
        db.session.execute(
            select(MinutesRecipient)
            .where(MinutesRecipient.meeting_id == meeting_id)
            .order_by(MinutesRecipient.distributed_at, MinutesRecipient.id)
        )
        .scalars()
        .all()
    )


def withheld(meeting_id: uuid.UUID) -> Sequence[MinutesWithheld]:
    """The agencies each version of the meeting's minutes was not sent to, and why."""
    return (
        db.session.execute(
            select(MinutesWithheld)
            .where(MinutesWithheld.meeting_id == meeting_id)
            .order_by(MinutesWithheld.decided_at, MinutesWithheld.id)
        )
        .scalars()
        .all()
    )


def agencies(agency_ids: set[uuid.UUID] | None = None) -> dict[uuid.UUID, Agency]:
    stmt = select(Agency).order_by(Agency.name)
    if agency_ids is not None:
        if not agency_ids:
            return {}
        stmt = stmt.where(Agency.id.in_(agency_ids))
    return {agency.id: agency for agency in db.session.execute(stmt).scalars()}


def agency_wide_grant_holders(subject_id: uuid.UUID, *, now: datetime) -> list[uuid.UUID]:
    """Agencies holding a live subject-wide grant to the whole agency now (they are on the
    distribution list). A grant to one named user leaves the agency off: distribution gives an
    agency-wide grant, so listing it would open the subject to colleagues the owner never named.
    """
    rows = db.session.execute(
        select(AccessGrant.grantee_agency_id)
        .where(
            AccessGrant.subject_id == subject_id,
            AccessGrant.scope_kind == ScopeKind.SUBJECT.value,
            AccessGrant.grantee_user_id.is_(None),
            AccessGrant.status == GrantStatus.ACTIVE.value,
            AccessGrant.valid_from <= now,
            AccessGrant.expires_at > now,
        )
        .distinct()
    ).scalars()
    return list(rows)


def add(row: Any) -> None:
    db.session.add(row)
    db.session.flush()


def flush() -> None:
    db.session.flush()


def actions_for_meeting(meeting_id: uuid.UUID) -> Sequence[MeetingAction]:
    return (
        db.session.execute(
            select(MeetingAction)
            .where(MeetingAction.meeting_id == meeting_id)
            .order_by(MeetingAction.due_on, MeetingAction.id)
        )
        .scalars()
        .all()
    )


def action_owner_agencies(meeting_id: uuid.UUID, *, up_to_version: int) -> list[uuid.UUID]:
    """Agencies owning an open or in-progress action raised in the meeting's minutes up to
    ``up_to_version`` (they need the minutes to follow it), in the order first raised."""
    rows = db.session.execute(
        select(MeetingAction.owner_agency_id)
        .where(
            MeetingAction.meeting_id == meeting_id,
            MeetingAction.minutes_version <= up_to_version,
            MeetingAction.status.in_(sorted(rules.UNFINISHED)),
        )
        .order_by(MeetingAction.created_at, MeetingAction.id)
    ).scalars()
    return list(dict.fromkeys(rows))


def unfinished_actions_before(subject_id: uuid.UUID, sequence: int) -> Sequence[MeetingAction]:
    """Open and in-progress actions of the subject's earlier meetings (to carry forward)."""
    return (
        db.session.execute(
            select(MeetingAction)
            .join(Meeting, Meeting.id == MeetingAction.meeting_id)
            .where(
                MeetingAction.subject_id == subject_id,
                Meeting.sequence < sequence,
                MeetingAction.status.in_(sorted(rules.UNFINISHED)),
            )
            .order_by(MeetingAction.due_on, MeetingAction.id)
        )
        .scalars()
        .all()
    )


def carried_actions(meeting_id: uuid.UUID) -> Sequence[MeetingAction]:
    return (
        db.session.execute(
            select(MeetingAction)
            .join(CarriedAction, CarriedAction.action_id == MeetingAction.id)
            .where(CarriedAction.meeting_id == meeting_id)
            .order_by(MeetingAction.due_on, MeetingAction.id)
        )
        .scalars()
        .all()
    )


def find_action(action_id: uuid.UUID) -> MeetingAction | None:
    return db.session.get(MeetingAction, action_id)


def lock_action(action_id: uuid.UUID) -> MeetingAction | None:
    return db.session.execute(
        select(MeetingAction)
        .where(MeetingAction.id == action_id)
        .with_for_update(of=MeetingAction)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def updates_for(action_id: uuid.UUID) -> Sequence[ActionUpdate]:
    return (
        db.session.execute(
            select(ActionUpdate)
            .where(ActionUpdate.action_id == action_id)
            .order_by(ActionUpdate.created_at, ActionUpdate.id)
        )
        .scalars()
        .all()
    )


def user_names(user_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not user_ids:
        return {}
    rows = db.session.execute(select(User.id, User.full_name).where(User.id.in_(user_ids)))
    return {row[0]: row[1] for row in rows}


# --- "Our actions" ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionRow:
    action_id: uuid.UUID
    subject_id: uuid.UUID
    owning_agency_id: uuid.UUID
    subject_name: str
    meeting_id: uuid.UUID
    meeting_sequence: int
    description: str
    pillar: str
    owner_agency_id: uuid.UUID
    owner_person: str
    due_on: date
    status: str
    marking: str


def _shared_with(agency_id: uuid.UUID, user_id: uuid.UUID, now: datetime) -> ColumnElement[bool]:
    """A live subject-wide grant to the agency (or to this user in it) showing actions."""
    return exists().where(
        AccessGrant.subject_id == MeetingAction.subject_id,
        AccessGrant.grantee_agency_id == agency_id,
        or_(AccessGrant.grantee_user_id.is_(None), AccessGrant.grantee_user_id == user_id),
        AccessGrant.scope_kind == ScopeKind.SUBJECT.value,
        AccessGrant.view_profile.in_(sorted(ACTION_PROFILES)),
        AccessGrant.status == GrantStatus.ACTIVE.value,
        AccessGrant.valid_from <= now,
        AccessGrant.expires_at > now,
    )


def _visible(
    *, agency_id: uuid.UUID, user_id: uuid.UUID, owner_view: bool, now: datetime
) -> ColumnElement[bool]:
    """Which actions a list may hold, one union for everyone: the agency's own actions on
    meetings the agency owns (its staff open those as the owner); the agency's actions from
    minutes sent to it, on subjects shared with it now; and, for those who hold meetings
    (``owner_view``: the co-ordinators), every action of the agency's meetings. A co-ordinator
    in one agency follows its actions from another's meetings as any partner does. The gate
    decides again on every subject shown."""
    ours = MeetingAction.owner_agency_id == agency_id
    reach = [
        and_(ours, Meeting.owner_agency_id == agency_id),
        and_(ours, _received(agency_id), _shared_with(agency_id, user_id, now)),
    ]
    if owner_view:
        reach.append(Meeting.owner_agency_id == agency_id)
    return and_(or_(*reach), _not_barred(user_id))


def _received(agency_id: uuid.UUID) -> ColumnElement[bool]:
    """Partners follow an action once their agency has been sent the minutes version that
    raised it, or a later one. Any distributed version is not enough: after version 1 goes
    out, an action raised in the draft of version 2 stays with the chair until version 2 is
    distributed to the agency. (A recipient row exists only for a distributed version.)"""
    return exists().where(
        MinutesRecipient.meeting_id == MeetingAction.meeting_id,
        MinutesRecipient.agency_id == agency_id,
        MinutesVersion.id == MinutesRecipient.version_id,
        MinutesVersion.number >= MeetingAction.minutes_version,
    )


def action_received(action_id: uuid.UUID, agency_id: uuid.UUID) -> bool:
    """Whether ``agency_id`` has been sent the minutes that raised the action (see
    :func:`_received`)."""
    found = db.session.execute(
        select(MeetingAction.id).where(MeetingAction.id == action_id, _received(agency_id)).limit(1)
    ).first()
    return found is not None


def _listing(agency_id: uuid.UUID, user_id: uuid.UUID, *, owner_view: bool, now: datetime) -> Any:
    return (
        select(MeetingAction.id)
        .join(Meeting, Meeting.id == MeetingAction.meeting_id)
        .join(Subject, Subject.id == MeetingAction.subject_id)
        .where(_visible(agency_id=agency_id, user_id=user_id, owner_view=owner_view, now=now))
    )


def list_actions(
    agency_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    owner_view: bool,
    now: datetime,
    filters: ActionFilter,
    limit: int,
    offset: int,
) -> tuple[list[ActionRow], int]:
    """One page of actions, soonest due first, and how many match in all (two queries)."""
    conditions: list[ColumnElement[bool]] = [
        _visible(agency_id=agency_id, user_id=user_id, owner_view=owner_view, now=now)
    ]
    if filters.subject_id is not None:
        conditions.append(MeetingAction.subject_id == filters.subject_id)
    if filters.status is not None:
        conditions.append(MeetingAction.status == filters.status)
    if filters.owner_person is not None:
        conditions.append(MeetingAction.owner_person == filters.owner_person)
    base = (
        select(
            MeetingAction.id,
            MeetingAction.subject_id,
            Subject.owning_agency_id,
            Subject.family_name,
            Subject.given_names,
            Meeting.id,
            Meeting.sequence,
            MeetingAction.description,
            MeetingAction.pillar,
            MeetingAction.owner_agency_id,
            MeetingAction.owner_person,
            MeetingAction.due_on,
            MeetingAction.status,
            MeetingAction.marking,
        )
        .join(Meeting, Meeting.id == MeetingAction.meeting_id)
        .join(Subject, Subject.id == MeetingAction.subject_id)
        .where(*conditions)
    )
    total = db.session.execute(
        select(func.count()).select_from(base.with_only_columns(MeetingAction.id).subquery())
    ).scalar_one()
    page = db.session.execute(
        base.order_by(MeetingAction.due_on, MeetingAction.id).limit(limit).offset(offset)
    ).all()
    rows = [
        ActionRow(
            action_id=r[0],
            subject_id=r[1],
            owning_agency_id=r[2],
            subject_name=f"{r[3].upper()}, {r[4]}",
            meeting_id=r[5],
            meeting_sequence=r[6],
            description=r[7],
            pillar=r[8],
            owner_agency_id=r[9],
            owner_person=r[10],
            due_on=r[11],
            status=r[12],
            marking=r[13],
        )
        for r in page
    ]
    return rows, int(total)


def filter_options(
    agency_id: uuid.UUID, user_id: uuid.UUID, *, owner_view: bool, now: datetime
) -> tuple[list[tuple[uuid.UUID, str]], list[str]]:
    """The subjects and owner people the filters offer (of the actions the list may hold)."""
    visible = _visible(agency_id=agency_id, user_id=user_id, owner_view=owner_view, now=now)
    subjects = db.session.execute(
        select(Subject.id, Subject.family_name, Subject.given_names)
        .join(MeetingAction, MeetingAction.subject_id == Subject.id)
        .join(Meeting, Meeting.id == MeetingAction.meeting_id)
        .where(visible)
        .group_by(Subject.id, Subject.family_name, Subject.given_names)
        .order_by(Subject.family_name, Subject.given_names, Subject.id)
    ).all()
    people = db.session.execute(
        select(MeetingAction.owner_person)
        .join(Meeting, Meeting.id == MeetingAction.meeting_id)
        .join(Subject, Subject.id == MeetingAction.subject_id)
        .where(visible)
        .group_by(MeetingAction.owner_person)
        .order_by(MeetingAction.owner_person)
    ).scalars()
    return [(r[0], f"{r[1].upper()}, {r[2]}") for r in subjects], list(people)
