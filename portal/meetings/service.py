"""Meetings and their minutes: record, edit and read (approval, distribution and amendment
are in :mod:`portal.meetings.minutes`).

Every use case starts with :func:`portal.access.gate.authorize` (exactly one audit event in the
caller's transaction) and never commits; an unknown id goes through
:func:`~portal.access.gate.deny_unknown`. Access is decided before any input is judged, and a
refusal of the input (:class:`Refused`) rolls the whole unit of work back: nothing is written.

Minutes move ``DRAFT -> CHAIR_APPROVED -> DISTRIBUTED``. Approval freezes the meeting record
into the version's snapshot; distribution gives every agency the chair sends them to a scoped,
time-limited grant (``GW-CJA03-S325`` with the DP condition chosen for that agency, ending at
the next review date plus the grace period) through the gate's grant change, and records which
version each agency holds. Amending distributed minutes starts a new draft version; earlier
versions stay as they were.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final, NoReturn

from portal.access import gate, policy
from portal.access.gate import AccessDenied, Purpose, Target
from portal.access.permissions import Permission
from portal.core.actor import Actor
from portal.core.clock import db_now
from portal.core.markings import Descriptor, Marking
from portal.core.uk_time import uk_day
from portal.core.versions import saved_version
from portal.meetings import repository, rules
from portal.meetings.models import (
    CarriedAction,
    Meeting,
    MeetingAttendee,
    MeetingDecision,
    MinutesStatus,
    MinutesVersion,
)
from portal.meetings.schemas import (
    ATTENDANCE,
    KINDS,
    ROSH,
    ROSH_GROUPS,
    MeetingCommand,
)
from portal.subjects.models import Subject

#: Minutes default to OFFICIAL-SENSITIVE with the PERSONAL DATA descriptor (domain §1.9).
MINUTES_MARKING: Final = Marking(sensitive=True, descriptors=frozenset({Descriptor.PERSONAL_DATA}))
STATUS_LABELS: Final = {
    MinutesStatus.DRAFT.value: "Draft",
    MinutesStatus.CHAIR_APPROVED.value: "Approved by the chair",
    MinutesStatus.DISTRIBUTED.value: "Distributed",
}


class Refused(Exception):
    """The input cannot be saved; each ``(field, message)`` says where and why."""

    def __init__(self, field: str, message: str, *more: tuple[str, str]) -> None:
        super().__init__(message)
        self.problems: list[tuple[str, str]] = [(field, message), *more]


def minutes_marking(owner: uuid.UUID) -> Marking:
    return Marking(
        sensitive=MINUTES_MARKING.sensitive,
        descriptors=MINUTES_MARKING.descriptors,
        owner=str(owner),
    )


def meeting_target(meeting: Meeting) -> Target:
    """The meeting as the gate sees it: its subject, and the meeting itself as the record the
    event names (so the access log says which minutes were read, changed or sent). The
    meeting's owner is its record owner: the decision is the subject's, as before (only the
    owning agency writes; a record-scope grant names a shared record, never a meeting)."""
    return Target(
        subject_id=meeting.subject_id,
        owning_agency_id=meeting.owner_agency_id,
        marking=Marking.from_json(meeting.marking),
        record_id=meeting.id,
        record_owner_agency_id=meeting.owner_agency_id,
    )


def _subject(actor: Actor, subject_id: uuid.UUID, permission: Permission) -> Subject:
    subject = repository.find_subject(subject_id)
    if subject is None:
        gate.deny_unknown(actor, permission, subject_id=subject_id)
    return subject


def find_meeting(
    actor: Actor, meeting_id: uuid.UUID, permission: Permission, *, lock: bool
) -> Meeting:
    meeting = (repository.lock_meeting if lock else repository.find_meeting)(meeting_id)
    if meeting is None:
        gate.deny_unknown(actor, permission, record_id=meeting_id)
    return meeting


# --- Record and edit -----------------------------------------------------------------------


@dataclass(frozen=True)
class SubjectHeading:
    subject_id: uuid.UUID
    name: str
    marking: str


@dataclass(frozen=True)
class AgencyChoice:
    id: uuid.UUID
    name: str
    competent_authority: bool


def agency_choices() -> list[AgencyChoice]:
    """Every agency (names are not protected data)."""
    return [
        AgencyChoice(a.id, a.name, a.is_competent_authority) for a in repository.agencies().values()
    ]


def subject_for_meeting(actor: Actor, *, subject_id: uuid.UUID) -> SubjectHeading:
    """The subject's name for the "record a meeting" page: a consultation of the subject."""
    subject = _subject(actor, subject_id, Permission.MEETING_WRITE)
    marking = minutes_marking(subject.owning_agency_id)
    target = Target(subject.id, subject.owning_agency_id, marking)
    gate.authorize(actor, Permission.MEETING_WRITE, target, purpose=Purpose.VIEW)
    return SubjectHeading(subject.id, subject.display_name, marking.banner)


def create_meeting(actor: Actor, *, subject_id: uuid.UUID, command: MeetingCommand) -> uuid.UUID:
    """Record a meeting about a subject the actor's agency owns, with draft minutes (version 1);
    one ``COLLECTION`` event. Unfinished actions of earlier meetings are carried onto a review
    meeting's agenda.

    :raises Refused: for an initial meeting after another, a review without one, or an
        unknown agency.
    """
    subject = _subject(actor, subject_id, Permission.MEETING_WRITE)
    marking = minutes_marking(subject.owning_agency_id)
    meeting_id = uuid.uuid4()
    # The COLLECTION names the meeting it creates.
    target = Target(
        subject.id, subject.owning_agency_id, marking, meeting_id, subject.owning_agency_id
    )
    gate.authorize(actor, Permission.MEETING_WRITE, target, purpose=Purpose.CREATE)
    sequence = repository.next_sequence(subject.id)
    if command.kind == "INITIAL" and sequence > 1:
        raise Refused("kind", "This subject has had a meeting already: select review meeting")
    if command.kind == "REVIEW" and sequence == 1:
        raise Refused("kind", "This is the subject’s first meeting: select initial meeting")
    _check_held_on(command)
    _check_agencies(command)
    now = db_now()
    meeting = Meeting(
        id=meeting_id,
        subject_id=subject.id,
        owner_agency_id=subject.owning_agency_id,
        sequence=sequence,
        marking=marking.to_json(),
        created_by_id=actor.user_id,
        created_at=now,
    )
    _apply(meeting, command)
    repository.add(meeting)
    repository.add(
        MinutesVersion(
            meeting_id=meeting.id,
            number=1,
            status=MinutesStatus.DRAFT.value,
            created_by_id=actor.user_id,
            created_at=now,
        )
    )
    if command.kind == "REVIEW":
        for action in repository.unfinished_actions_before(subject.id, sequence):
            repository.add(CarriedAction(meeting_id=meeting.id, action_id=action.id))
    return meeting.id


def meeting_for_edit(actor: Actor, *, meeting_id: uuid.UUID) -> tuple[Meeting, SubjectHeading]:
    """The meeting, to fill the edit form: a consultation by its co-ordinator."""
    meeting = find_meeting(actor, meeting_id, Permission.MEETING_WRITE, lock=False)
    gate.authorize(actor, Permission.MEETING_WRITE, meeting_target(meeting), purpose=Purpose.VIEW)
    return meeting, heading(meeting)


class RecordChangedMeanwhile(Refused):
    """The meeting record was saved by someone else after the edit page was opened. Nothing is
    saved: saving would silently undo their change. ``version`` is the current one, for the
    page shown again with the user's answers (sent again, they are saved)."""

    def __init__(self, version: str) -> None:
        super().__init__(
            "submit",
            "This meeting record was changed by someone else after you opened this page, so "
            "your changes have not been saved. Check the minutes as they are now, then save "
            "your changes again",
        )
        self.version = version


def record_version(meeting: Meeting) -> str:
    """What the edit page sends back to say which saved state of the record it shows: when it
    was last saved (an edit stamps ``updated_at`` from the database clock)."""
    return saved_version(meeting)


def edit_meeting(actor: Actor, *, meeting_id: uuid.UUID, command: MeetingCommand) -> None:
    """Change the record while its minutes are a draft; one ``ALTERATION`` event.

    :raises Refused: when the minutes are no longer a draft, or for an unknown agency.
    :raises RecordChangedMeanwhile: when the page showed an earlier saved state of the record.
    """
    meeting = find_meeting(actor, meeting_id, Permission.MEETING_WRITE, lock=True)
    gate.authorize(actor, Permission.MEETING_WRITE, meeting_target(meeting), purpose=Purpose.EDIT)
    latest = repository.lock_latest_version(meeting.id)
    if latest is None or latest.status != MinutesStatus.DRAFT.value:
        raise Refused("kind", "Approved minutes cannot be changed: amend them instead")
    if command.version is not None and command.version != record_version(meeting):
        raise RecordChangedMeanwhile(record_version(meeting))
    if command.kind != meeting.kind:
        raise Refused("kind", "A meeting cannot change from initial to review or back")
    _check_held_on(command)
    _check_agencies(command)
    _apply(meeting, command)
    meeting.updated_at = db_now()
    repository.flush()


def _check_held_on(command: MeetingCommand) -> None:
    """Minutes record a meeting that has taken place: on the UK day of the database clock at
    the latest."""
    if command.held_on > uk_day(db_now()):
        raise Refused("held_on", "The date of the meeting must be today or in the past")


def _check_agencies(command: MeetingCommand) -> None:
    wanted = {a.agency_id for a in command.attendees}
    for agency_id in (command.chair_agency_id, command.lead_agency_id):
        if agency_id is not None:
            wanted.add(agency_id)
    known = repository.agencies(wanted)
    if command.chair_agency_id is not None and command.chair_agency_id not in known:
        raise Refused("chair_agency_id", "Select the chair’s agency from the list")
    if command.lead_agency_id is not None and command.lead_agency_id not in known:
        raise Refused("lead_agency_id", "Select the lead agency from the list")
    for attendee in command.attendees:
        if attendee.agency_id not in known:
            # The row the agency was entered in, blank rows before it counted.
            raise Refused(f"attendee_{attendee.row}_agency", "Select the agency from the list")


def _apply(meeting: Meeting, command: MeetingCommand) -> None:
    meeting.kind = command.kind
    meeting.level = command.level
    meeting.held_on = command.held_on
    meeting.location = command.location
    meeting.is_virtual = command.is_virtual
    meeting.mappa_area = command.mappa_area
    meeting.chair_name = command.chair_name
    meeting.chair_agency_id = command.chair_agency_id
    meeting.chair_role = command.chair_role
    meeting.confidentiality_read = command.confidentiality_read
    meeting.category_level_confirmed = command.category_level_confirmed
    meeting.rosh_children = command.rosh["rosh_children"]
    meeting.rosh_public = command.rosh["rosh_public"]
    meeting.rosh_known_adult = command.rosh["rosh_known_adult"]
    meeting.rosh_staff = command.rosh["rosh_staff"]
    meeting.victim_issues = command.victim_issues_html
    meeting.diversity_issues = command.diversity_issues_html
    meeting.dissent = command.dissent_html
    meeting.discussion = command.discussion_html
    meeting.level_decision = command.level_decision
    meeting.lead_agency_id = command.lead_agency_id
    meeting.next_review_on = command.next_review_on
    meeting.grace_days = command.grace_days
    meeting.decisions = [
        MeetingDecision(position=i, decision=d, rationale=r)
        for i, (d, r) in enumerate(command.decisions, start=1)
    ]
    meeting.attendees = [
        MeetingAttendee(
            position=i, agency_id=a.agency_id, name=a.name, role=a.role, attendance=a.attendance
        )
        for i, a in enumerate(command.attendees, start=1)
    ]


def heading(meeting: Meeting) -> SubjectHeading:
    subject = repository.find_subject(meeting.subject_id)
    name = subject.display_name if subject else ""
    return SubjectHeading(meeting.subject_id, name, Marking.from_json(meeting.marking).banner)


# --- The record as minutes show it -----------------------------------------------------------


def record_of(meeting: Meeting, names: Mapping[uuid.UUID, str]) -> dict[str, Any]:
    """The meeting record in the national structure, as plain values (what a snapshot holds)."""

    def name(agency_id: uuid.UUID | None) -> str:
        return names.get(agency_id, "") if agency_id else ""

    return {
        "kind": KINDS.get(meeting.kind, meeting.kind),
        "sequence": meeting.sequence,
        "level": meeting.level,
        "held_on": meeting.held_on.isoformat(),
        "location": meeting.location,
        "is_virtual": meeting.is_virtual,
        "mappa_area": meeting.mappa_area,
        "chair": {
            "name": meeting.chair_name or "",
            "agency": name(meeting.chair_agency_id),
            "role": meeting.chair_role or "",
        },
        "attendees": [
            {
                "agency": name(a.agency_id),
                "name": a.name,
                "role": a.role,
                "attendance": ATTENDANCE.get(a.attendance, a.attendance),
            }
            for a in meeting.attendees
        ],
        "confidentiality_read": meeting.confidentiality_read,
        "category_level_confirmed": meeting.category_level_confirmed,
        "rosh": [
            (label, ROSH.get(getattr(meeting, field) or "", "Not recorded"))
            for field, label in ROSH_GROUPS.items()
        ],
        "victim_issues_html": meeting.victim_issues,
        "diversity_issues_html": meeting.diversity_issues,
        "dissent_html": meeting.dissent,
        "discussion_html": meeting.discussion,
        "decisions": [
            {"decision": d.decision, "rationale": d.rationale} for d in meeting.decisions
        ],
        "level_decision": meeting.level_decision,
        "lead_agency": name(meeting.lead_agency_id),
        "next_review_on": meeting.next_review_on.isoformat() if meeting.next_review_on else "",
    }


def names_for(meeting: Meeting) -> dict[uuid.UUID, str]:
    ids = {a.agency_id for a in meeting.attendees}
    ids |= {i for i in (meeting.chair_agency_id, meeting.lead_agency_id) if i is not None}
    return {agency_id: a.name for agency_id, a in repository.agencies(ids).items()}


@dataclass(frozen=True)
class VersionRow:
    number: int
    status: str
    amendment_reason: str | None
    approved_at: datetime | None
    distributed_at: datetime | None
    recipients: tuple[str, ...]
    #: For the owning agency: the agencies on the list the chair did not send it to, and why.
    withheld: tuple[str, ...] = ()
    withheld_reason: str | None = None


@dataclass(frozen=True)
class ActionLine:
    action_id: uuid.UUID
    description: str
    pillar: str
    owner_agency: str
    owner_person: str
    due_on: date
    status: str
    overdue: bool


@dataclass(frozen=True)
class MeetingPage:
    meeting_id: uuid.UUID
    subject: SubjectHeading
    is_chair: bool
    #: The version shown, and the record it holds (a draft shows the live record).
    number: int
    status: str
    record: dict[str, Any]
    versions: tuple[VersionRow, ...]
    #: For a recipient: the versions its agency received.
    held: tuple[int, ...]
    actions: tuple[ActionLine, ...]
    carried: tuple[ActionLine, ...]
    marking: str


def view_meeting(actor: Actor, *, meeting_id: uuid.UUID, number: int | None = None) -> MeetingPage:
    """A meeting's minutes; one ``CONSULTATION`` event.

    The co-ordinators of the owning agency see every version and the draft. Anyone else needs
    a live grant showing actions, and sees only versions distributed to their agency (the
    latest of them unless ``number`` names another they received) and, of the actions, their
    agency's. A version shows the actions raised up to it, never one from a later draft.

    :raises AccessDenied: for anyone else, or a version the actor's agency did not receive.
    """
    meeting = find_meeting(actor, meeting_id, Permission.SUBJECT_READ, lock=False)
    is_owner = actor.agency_id == meeting.owner_agency_id
    versions = repository.versions(meeting.id)
    recipients = repository.recipients(meeting.id)
    held = tuple(
        v.number
        for v in versions
        if any(r.version_id == v.id and r.agency_id == actor.agency_id for r in recipients)
    )
    # Which version the page shows is known before the gate, so its event can name it.
    latest = versions[-1].number if is_owner else (held[-1] if held else None)
    choice = number if number is not None else latest
    decision = gate.authorize(
        actor,
        Permission.SUBJECT_READ,
        meeting_target(meeting),
        purpose=Purpose.VIEW,
        detail={"minutes_version": str(choice)} if choice is not None else None,
    )
    if not is_owner and (not policy.shows_actions(decision.scope.value) or not held):
        _refuse(actor, meeting, decision.grant_id, "not_on_distribution_list")
    version = next((v for v in versions if v.number == choice), None)
    if version is None or (not is_owner and choice not in held):
        _refuse(actor, meeting, decision.grant_id, "version_not_received")
    if version.snapshot is not None:
        record = json.loads(version.snapshot)
    else:
        record = record_of(meeting, names_for(meeting))
    names = {a.id: a.name for a in repository.agencies().values()}
    today = uk_day(db_now())
    # A version lists the actions raised up to it: a partner reading version 1 never sees one
    # raised in the draft of version 2, and the chair reading version 1 sees it as sent.
    lines = [
        a for a in repository.actions_for_meeting(meeting.id) if a.minutes_version <= version.number
    ]
    if not is_owner:
        lines = [a for a in lines if a.owner_agency_id == actor.agency_id]
    carried = repository.carried_actions(meeting.id) if is_owner else []
    withheld = repository.withheld(meeting.id) if is_owner else []
    return MeetingPage(
        meeting_id=meeting.id,
        subject=heading(meeting),
        is_chair=policy.may_chair(
            actor_roles=actor.roles,
            actor_agency_id=actor.agency_id,
            owner_agency_id=meeting.owner_agency_id,
        ),
        number=version.number,
        status=version.status,
        record=record,
        versions=tuple(
            VersionRow(
                number=v.number,
                status=v.status,
                amendment_reason=v.amendment_reason,
                approved_at=v.approved_at,
                distributed_at=v.distributed_at,
                recipients=tuple(
                    names.get(r.agency_id, "") for r in recipients if r.version_id == v.id
                ),
                withheld=tuple(
                    names.get(w.agency_id, "") for w in withheld if w.version_id == v.id
                ),
                withheld_reason=next((w.reason for w in withheld if w.version_id == v.id), None),
            )
            for v in versions
            if is_owner or v.number in held
        ),
        held=held,
        actions=tuple(action_line(a, names, today) for a in lines),
        carried=tuple(action_line(a, names, today) for a in carried),
        marking=Marking.from_json(meeting.marking).banner,
    )


def action_line(action: Any, names: Mapping[uuid.UUID, str], today: date) -> ActionLine:
    return ActionLine(
        action_id=action.id,
        description=action.description,
        pillar=rules.PILLAR_LABELS.get(action.pillar, action.pillar),
        owner_agency=names.get(action.owner_agency_id, ""),
        owner_person=action.owner_person,
        due_on=action.due_on,
        status=action.status,
        overdue=rules.is_overdue(action.status, action.due_on, today),
    )


def _refuse(actor: Actor, meeting: Meeting, grant_id: uuid.UUID | None, reason: str) -> NoReturn:
    # Rolls the consultation back; the gate's rollback hook records AUTHZ_FAIL.
    raise AccessDenied(
        reason,
        actor=actor,
        permission=Permission.SUBJECT_READ,
        subject_id=meeting.subject_id,
        record_id=meeting.id,
        grant_id=grant_id,
    )


@dataclass(frozen=True)
class MeetingRow:
    meeting_id: uuid.UUID
    sequence: int
    kind: str
    held_on: date
    status: str


def list_meetings(
    actor: Actor, *, subject_id: uuid.UUID
) -> tuple[SubjectHeading, list[MeetingRow]]:
    """The subject's meetings for its co-ordinators; one ``CONSULTATION`` event."""
    subject = _subject(actor, subject_id, Permission.MEETING_WRITE)
    marking = minutes_marking(subject.owning_agency_id)
    target = Target(subject.id, subject.owning_agency_id, marking)
    gate.authorize(actor, Permission.MEETING_WRITE, target, purpose=Purpose.VIEW)
    rows = []
    for meeting in repository.meetings_for_subject(subject.id):
        latest = repository.versions(meeting.id)[-1]
        rows.append(
            MeetingRow(
                meeting.id, meeting.sequence, KINDS[meeting.kind], meeting.held_on, latest.status
            )
        )
    return SubjectHeading(subject.id, subject.display_name, marking.banner), rows


def subject_of_meeting(meeting_id: uuid.UUID) -> uuid.UUID | None:
    """Which subject a meeting is about, to send the actor to its confidentiality statement
    (the gate has already asked for the acknowledgement; no content is read)."""
    meeting = repository.find_meeting(meeting_id)
    return meeting.subject_id if meeting else None


def subject_of_action(action_id: uuid.UUID) -> uuid.UUID | None:
    """As :func:`subject_of_meeting`, for an action."""
    action = repository.find_action(action_id)
    return action.subject_id if action else None
