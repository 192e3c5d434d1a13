"""MAPPA actions: raise one in a meeting, "Our actions", open one, record progress.

"Our actions" lists, soonest due first, a page at a time, the actions the actor's agency owns
on its own meetings, and those it owns on subjects shared with it, raised in minutes that have
been distributed to the agency; a co-ordinator also sees every action of the agency's
meetings. An action raised in an amendment's draft stays with the chair until that version
reaches the agency, there and on the action's own page.
Every subject shown goes through :func:`portal.access.gate.authorize_list`, which writes one
``CONSULTATION`` per subject naming the actions shown; a subject the gate refuses now (grant
expired by the database clock, revoked, LAO lists) is left out. Opening or changing one action
goes through :func:`portal.access.gate.authorize` like any other record.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Final

from portal.access import gate, policy
from portal.access.gate import AccessDenied, Purpose, Target
from portal.access.permissions import Permission
from portal.core.actor import Actor
from portal.core.clock import db_now
from portal.core.markings import Marking, combine
from portal.core.uk_time import uk_day
from portal.core.versions import saved_version
from portal.meetings import repository, rules
from portal.meetings.models import ActionUpdate, Meeting, MeetingAction, MinutesStatus
from portal.meetings.schemas import ActionCommand, ActionFilter, ProgressCommand
from portal.meetings.service import Refused, SubjectHeading, meeting_target

PAGE_SIZE: Final = 50


def _action_target(action: MeetingAction, meeting: Meeting) -> Target:
    """The action as the gate sees it: its subject, and the action as the record the event
    names. Its record owner is the meeting's owner, not the agency the action is for: that
    agency follows it through its grant, as before (only the meeting owner's staff open every
    action as the owner; a record-scope grant names a shared record, never an action)."""
    return Target(
        subject_id=action.subject_id,
        owning_agency_id=meeting.owner_agency_id,
        marking=Marking.from_json(action.marking),
        record_id=action.id,
        record_owner_agency_id=meeting.owner_agency_id,
    )


def add_action(actor: Actor, *, meeting_id: uuid.UUID, command: ActionCommand) -> uuid.UUID:
    """Raise an action in a meeting whose minutes are a draft; one ``COLLECTION`` event.

    :raises Refused: for an unknown agency, or minutes already approved.
    """
    meeting = repository.lock_meeting(meeting_id)
    if meeting is None:
        gate.deny_unknown(actor, Permission.MEETING_WRITE, record_id=meeting_id)
    action_id = uuid.uuid4()
    # The COLLECTION names the action it creates (which names its meeting).
    target = replace(meeting_target(meeting), record_id=action_id)
    gate.authorize(actor, Permission.MEETING_WRITE, target, purpose=Purpose.CREATE)
    latest = repository.lock_latest_version(meeting.id)
    if latest is None or latest.status != MinutesStatus.DRAFT.value:
        raise Refused("description", "Actions are added while the minutes are a draft")
    if command.owner_agency_id not in repository.agencies({command.owner_agency_id}):
        raise Refused("owner_agency_id", "Select the agency from the list")
    if command.due_on < meeting.held_on:
        raise Refused("due_on", "The due date must be on or after the meeting date")
    action = MeetingAction(
        id=action_id,
        meeting_id=meeting.id,
        minutes_version=latest.number,
        subject_id=meeting.subject_id,
        description=command.description,
        pillar=command.pillar,
        owner_agency_id=command.owner_agency_id,
        owner_person=command.owner_person,
        due_on=command.due_on,
        status=rules.OPEN,
        marking=meeting.marking,
        created_by_id=actor.user_id,
        created_at=db_now(),
    )
    repository.add(action)
    return action.id


def meeting_heading(actor: Actor, *, meeting_id: uuid.UUID) -> SubjectHeading:
    """The subject's name for the "add an action" page; a consultation by the co-ordinator."""
    meeting = repository.find_meeting(meeting_id)
    if meeting is None:
        gate.deny_unknown(actor, Permission.MEETING_WRITE, record_id=meeting_id)
    gate.authorize(actor, Permission.MEETING_WRITE, meeting_target(meeting), purpose=Purpose.VIEW)
    subject = repository.find_subject(meeting.subject_id)
    name = subject.display_name if subject else ""
    return SubjectHeading(meeting.subject_id, name, Marking.from_json(meeting.marking).banner)


# --- "Our actions" -------------------------------------------------------------------------


@dataclass(frozen=True)
class OurActionRow:
    action_id: uuid.UUID
    subject_id: uuid.UUID
    subject_name: str
    meeting_id: uuid.UUID
    meeting_sequence: int
    description: str
    pillar: str
    owner_agency: str
    owner_person: str
    due_on: date
    status: str
    overdue: bool
    marking: str
    #: The subject is the actor's agency's (its meetings page may be linked).
    our_subject: bool = False


@dataclass(frozen=True)
class OurActions:
    rows: tuple[OurActionRow, ...]
    total: int
    page: int
    pages: int
    subjects: tuple[tuple[uuid.UUID, str], ...]
    people: tuple[str, ...]
    #: Subjects whose actions wait for the actor's confidentiality acknowledgement.
    waiting: tuple[tuple[uuid.UUID, str], ...]
    marking: str
    owner_view: bool


def list_our_actions(actor: Actor, *, filters: ActionFilter, page: int = 1) -> OurActions:
    """One page of "Our actions" (see the module docstring); one event per subject shown."""
    owner_view = policy.allows(actor.roles, Permission.MEETING_WRITE)
    now = db_now()
    today = uk_day(now)
    candidates, total = repository.list_actions(
        actor.agency_id,
        actor.user_id,
        owner_view=owner_view,
        now=now,
        filters=filters,
        limit=PAGE_SIZE,
        offset=(max(page, 1) - 1) * PAGE_SIZE,
    )
    targets: dict[uuid.UUID, list[Marking]] = {}
    shown_ids: dict[uuid.UUID, list[uuid.UUID]] = {}
    owners: dict[uuid.UUID, uuid.UUID] = {}
    for row in candidates:
        targets.setdefault(row.subject_id, []).append(Marking.from_json(row.marking))
        shown_ids.setdefault(row.subject_id, []).append(row.action_id)
        owners[row.subject_id] = row.owning_agency_id
    decision = gate.authorize_list(
        actor,
        Permission.ACTIONS_VIEW,
        [Target(s, owners[s], combine(m)) for s, m in targets.items()],
        rows={s: tuple(ids) for s, ids in shown_ids.items()},
        listing="our_actions",
    )
    allowed = {s for s, d in decision.allowed.items() if policy.shows_actions(d.scope.value)}
    names = {a.id: a.name for a in repository.agencies().values()}
    rows = tuple(
        OurActionRow(
            action_id=r.action_id,
            subject_id=r.subject_id,
            subject_name=r.subject_name,
            meeting_id=r.meeting_id,
            meeting_sequence=r.meeting_sequence,
            description=r.description,
            pillar=rules.PILLAR_LABELS.get(r.pillar, r.pillar),
            owner_agency=names.get(r.owner_agency_id, ""),
            owner_person=r.owner_person,
            due_on=r.due_on,
            status=r.status,
            overdue=rules.is_overdue(r.status, r.due_on, today),
            marking=Marking.from_json(r.marking).banner,
            our_subject=r.owning_agency_id == actor.agency_id,
        )
        for r in candidates
        if r.subject_id in allowed
    )
    subject_names = {r.subject_id: r.subject_name for r in candidates}
    subjects, people = repository.filter_options(
        actor.agency_id, actor.user_id, owner_view=owner_view, now=now
    )
    markings = [Marking.from_json(r.marking) for r in candidates if r.subject_id in allowed]
    return OurActions(
        rows=rows,
        total=total,
        page=max(page, 1),
        pages=max(1, -(-total // PAGE_SIZE)),
        subjects=tuple(subjects),
        people=tuple(people),
        waiting=tuple((s, subject_names[s]) for s in decision.needs_acknowledgement),
        marking=combine(markings).banner,
        owner_view=owner_view,
    )


# --- One action ----------------------------------------------------------------------------


@dataclass(frozen=True)
class UpdateLine:
    status_from: str
    status_to: str
    note_html: str
    author: str
    agency: str
    created_at: datetime
    #: The UK day it was recorded on (what the page shows).
    created_on: date


@dataclass(frozen=True)
class ActionPage:
    action_id: uuid.UUID
    subject: SubjectHeading
    meeting_id: uuid.UUID
    meeting_sequence: int
    description: str
    pillar: str
    owner_agency: str
    owner_person: str
    due_on: date
    status: str
    overdue: bool
    updates: tuple[UpdateLine, ...]
    may_progress: bool
    may_close: bool
    marking: str
    #: Which state of the action the page shows, sent back with progress.
    version: str


class ChangedMeanwhile(Refused):
    """Progress was recorded on the action after the page was opened (by someone else, or by
    a click already sent): recording this too would repeat or contradict what the user never
    saw. Nothing is recorded."""

    def __init__(self) -> None:
        super().__init__(
            "submit",
            "Progress on this action was recorded after you opened this page, so your update "
            "has not been recorded. Check the updates shown, then record yours again if it is "
            "still needed",
        )


def progress_version(action: MeetingAction) -> str:
    """The state of an action a page shows: when progress was last recorded (each update
    stamps ``updated_at`` from the database clock), or when it was raised."""
    return saved_version(action)


def _find(actor: Actor, action_id: uuid.UUID, *, lock: bool) -> tuple[MeetingAction, Meeting]:
    action = (repository.lock_action if lock else repository.find_action)(action_id)
    meeting = None if action is None else repository.find_meeting(action.meeting_id)
    if action is None or meeting is None:
        gate.deny_unknown(actor, Permission.ACTIONS_VIEW, record_id=action_id)
    return action, meeting


def _refuse(actor: Actor, action: MeetingAction, reason: str, permission: Permission) -> None:
    raise AccessDenied(
        reason,
        actor=actor,
        permission=permission,
        subject_id=action.subject_id,
        record_id=action.id,
    )


def view_action(actor: Actor, *, action_id: uuid.UUID) -> ActionPage:
    """One action and its updates; one ``CONSULTATION`` event.

    The owning agency's staff see every action; anyone else only their agency's actions on
    a subject shared with them now under a grant that shows actions.

    :raises AccessDenied: otherwise (``AUTHZ_FAIL`` follows the rollback).
    """
    action, meeting = _find(actor, action_id, lock=False)
    decision = gate.authorize(
        actor, Permission.ACTIONS_VIEW, _action_target(action, meeting), purpose=Purpose.VIEW
    )
    owner = actor.agency_id == meeting.owner_agency_id
    if not owner:
        if not policy.shows_actions(decision.scope.value):
            _refuse(actor, action, "outside_scope", Permission.ACTIONS_VIEW)
        if not repository.action_received(action.id, actor.agency_id):
            _refuse(actor, action, "minutes_not_distributed", Permission.ACTIONS_VIEW)
        if not policy.may_update_action(
            actor_agency_id=actor.agency_id, action_owner_agency_id=action.owner_agency_id
        ):
            _refuse(actor, action, "not_action_owner", Permission.ACTIONS_VIEW)
    return _page(actor, action, meeting)


def _page(actor: Actor, action: MeetingAction, meeting: Meeting) -> ActionPage:
    updates = repository.updates_for(action.id)
    names = {a.id: a.name for a in repository.agencies().values()}
    people = repository.user_names({u.author_id for u in updates})
    subject = repository.find_subject(action.subject_id)
    may_progress = (
        action.status in rules.UNFINISHED
        and policy.may_update_action(
            actor_agency_id=actor.agency_id, action_owner_agency_id=action.owner_agency_id
        )
        and policy.allows(actor.roles, Permission.ACTION_UPDATE)
    )
    may_close = action.status in rules.UNFINISHED and policy.may_chair(
        actor_roles=actor.roles,
        actor_agency_id=actor.agency_id,
        owner_agency_id=meeting.owner_agency_id,
    )
    return ActionPage(
        action_id=action.id,
        subject=SubjectHeading(
            action.subject_id,
            subject.display_name if subject else "",
            Marking.from_json(meeting.marking).banner,
        ),
        meeting_id=meeting.id,
        meeting_sequence=meeting.sequence,
        description=action.description,
        pillar=rules.PILLAR_LABELS.get(action.pillar, action.pillar),
        owner_agency=names.get(action.owner_agency_id, ""),
        owner_person=action.owner_person,
        due_on=action.due_on,
        status=action.status,
        overdue=rules.is_overdue(action.status, action.due_on, uk_day(db_now())),
        updates=tuple(
            UpdateLine(
                status_from=u.status_from,
                status_to=u.status_to,
                note_html=u.note,
                author=people.get(u.author_id, ""),
                agency=names.get(u.author_agency_id, ""),
                created_at=u.created_at,
                created_on=uk_day(u.created_at),
            )
            for u in updates
        ),
        may_progress=may_progress,
        may_close=may_close,
        marking=Marking.from_json(action.marking).banner,
        version=progress_version(action),
    )


def record_progress(actor: Actor, *, action_id: uuid.UUID, command: ProgressCommand) -> None:
    """Record progress (the owning agency) or close an action (the chair); one
    ``ALTERATION`` event and one update row.

    :raises AccessDenied: for anyone but the action's agency (progress) or the meeting
        owner's co-ordinators (superseded, cancelled), or without a live grant.
    :raises Refused: for a move the state machine refuses, or a missing update or reason.
    :raises ChangedMeanwhile: when ``command.version`` is not the action's (locked) state.
    """
    action, meeting = _find(actor, action_id, lock=True)
    chair_move = command.status in rules.CHAIR_MOVES
    if chair_move:
        if not policy.may_chair(
            actor_roles=actor.roles,
            actor_agency_id=actor.agency_id,
            owner_agency_id=meeting.owner_agency_id,
        ):
            _refuse(actor, action, "not_chair", Permission.MEETING_WRITE)
        permission = Permission.MEETING_WRITE
    else:
        if not policy.may_update_action(
            actor_agency_id=actor.agency_id, action_owner_agency_id=action.owner_agency_id
        ):
            _refuse(actor, action, "not_action_owner", Permission.ACTION_UPDATE)
        permission = Permission.ACTION_UPDATE
    decision = gate.authorize(
        actor, permission, _action_target(action, meeting), purpose=Purpose.EDIT
    )
    if actor.agency_id != meeting.owner_agency_id:
        if not policy.shows_actions(decision.scope.value):
            _refuse(actor, action, "outside_scope", permission)
        if not repository.action_received(action.id, actor.agency_id):
            _refuse(actor, action, "minutes_not_distributed", permission)
    if command.version is not None and command.version != progress_version(action):
        raise ChangedMeanwhile()
    problem = rules.move_refusal(action.status, command.status, command.note_html, chair=chair_move)
    if problem is not None:
        raise Refused(*problem)
    now = db_now()
    repository.add(
        ActionUpdate(
            action_id=action.id,
            status_from=action.status,
            status_to=command.status,
            note=command.note_html,
            author_id=actor.user_id,
            author_agency_id=actor.agency_id,
            created_at=now,
        )
    )
    action.status = command.status
    action.updated_at = now
    repository.flush()


def action_for_progress(actor: Actor, *, action_id: uuid.UUID) -> ActionPage:
    """The action page, re-shown with the answers after a refusal (a consultation)."""
    return view_action(actor, action_id=action_id)
