"""Demo MAPPA meetings: two subjects with an initial and a review meeting each, minutes in
every state (draft, approved by the chair, distributed, and an amended second version), and
actions owned by every partner agency in every status, some overdue. Fictional throughout.

Loaded by ``flask demo seed`` after the sharing data; rows already there are kept.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from portal.access.models import AccessGrant, GrantStatus, ScopeKind, ViewProfile
from portal.agencies.models import Agency
from portal.core.sanitise import clean_rich_text
from portal.demo.data import demo_id
from portal.extensions import db
from portal.meetings.models import (
    ActionUpdate,
    CarriedAction,
    Meeting,
    MeetingAction,
    MeetingAttendee,
    MeetingDecision,
    MinutesRecipient,
    MinutesVersion,
)
from portal.meetings.rules import DISTRIBUTION_GATEWAY
from portal.meetings.service import minutes_marking, record_of
from portal.subjects.models import Subject
from portal.users.models import User

PARTNERS: Final = ("NPROB", "NCSC", "NHOUS")
#: The condition each partner receives minutes under (probation is a competent authority).
CONDITIONS: Final = {"NPROB": "DP3-S35-LE", "NCSC": "GDPR-6-1-E", "NHOUS": "GDPR-6-1-E"}
STATUSES: Final = ("OPEN", "IN_PROGRESS", "COMPLETED", "NOT_ACHIEVED", "SUPERSEDED", "CANCELLED")
NOTES: Final = {
    "IN_PROGRESS": "<p>First visit done; the next is booked.</p>",
    "COMPLETED": "<p>Done: the visit record is on our case file.</p>",
    "NOT_ACHIEVED": "<p>Not achieved: the subject moved before the visit.</p>",
    "SUPERSEDED": "<p>Superseded by the review meeting's plan.</p>",
    "CANCELLED": "<p>Cancelled by the chair: no longer needed.</p>",
}
TASKS: Final = {
    "NPROB": ("SUPERVISION", "Weekly reporting at the probation office"),
    "NCSC": ("VICTIM_SAFETY", "Strategy discussion about the children at the address"),
    "NHOUS": ("MONITORING_CONTROL", "Check the tenancy conditions and visitors"),
}


def seed_meetings(now: datetime, agencies: dict[str, Agency]) -> int:
    """Load the demo meetings; returns the number of rows added (0 when already loaded)."""
    if db.session.get(Meeting, demo_id("meeting-hargreaves-1")) is not None:
        return 0
    police = agencies["NPOL"]
    users = {u.email: u for u in db.session.query(User)}
    coordinator = users["mappa@police.demo"]
    names = {a.id: a.name for a in agencies.values()}
    today = now.date()
    created = 0
    # (subject, sequence, held days ago, versions' statuses)
    plan = (
        ("hargreaves", 1, 70, ("DISTRIBUTED", "DISTRIBUTED")),
        ("hargreaves", 2, 7, ("CHAIR_APPROVED",)),
        ("kelly", 1, 40, ("DISTRIBUTED",)),
        ("kelly", 2, 2, ("DRAFT",)),
    )
    for subject_key, sequence, ago, statuses in plan:
        subject = db.session.get(Subject, demo_id(subject_key))
        if subject is None:
            continue
        held = today - timedelta(days=ago)
        meeting = Meeting(
            id=demo_id(f"meeting-{subject_key}-{sequence}"),
            subject_id=subject.id,
            owner_agency_id=police.id,
            kind="INITIAL" if sequence == 1 else "REVIEW",
            sequence=sequence,
            level=2,
            held_on=held,
            location="Northshire Police HQ, MAPPA room" if sequence == 1 else "Video call",
            is_virtual=sequence == 2,
            mappa_area="Northshire",
            chair_name="DI Robin Chair",
            chair_agency_id=police.id,
            chair_role="Detective Inspector, MAPPA chair",
            confidentiality_read=True,
            category_level_confirmed=True,
            rosh_children="HIGH",
            rosh_public="MEDIUM",
            rosh_known_adult="MEDIUM",
            rosh_staff="LOW",
            victim_issues=clean_rich_text("<p>Former partner lives two streets away.</p>"),
            diversity_issues=clean_rich_text("<p>Needs an interpreter for Polish.</p>"),
            dissent=clean_rich_text(
                "<p>Housing asked for level 3; the meeting agreed to review in 3 months.</p>"
            ),
            discussion=clean_rich_text(
                "<p>The panel reviewed compliance, the address and contact with children.</p>"
            ),
            level_decision=2,
            lead_agency_id=agencies["NPROB"].id,
            next_review_on=held + timedelta(days=84 if sequence == 2 else ago - 2 + 7),
            grace_days=28,
            marking=minutes_marking(police.id).to_json(),
            created_by_id=coordinator.id,
            created_at=now,
        )
        meeting.decisions = [
            MeetingDecision(
                position=1,
                decision="Remain at level 2",
                rationale="The risk management plan is being followed",
            ),
            MeetingDecision(
                position=2,
                decision="Children's social care to lead on safeguarding at the address",
                rationale="A child under 10 lives at the address",
            ),
        ]
        meeting.attendees = [
            MeetingAttendee(
                position=i,
                agency_id=agencies[code].id,
                name=name,
                role=role,
                attendance="APOLOGIES" if code == "NHOUS" and sequence == 2 else "PRESENT",
            )
            for i, (code, name, role) in enumerate(
                (
                    ("NPOL", "DS Jo Mosovo", "MOSOVO manager"),
                    ("NPROB", "Priya Probation", "Probation officer"),
                    ("NCSC", "Sam Social", "Social worker"),
                    ("NHOUS", "Harper Housing", "Housing officer"),
                ),
                start=1,
            )
        ]
        db.session.add(meeting)
        db.session.flush()
        created += 1 + len(meeting.decisions) + len(meeting.attendees)
        created += _actions(meeting, today, coordinator, agencies, users)
        for number, status in enumerate(statuses, start=1):
            created += _version(meeting, number, status, now, coordinator, agencies, names)
        if sequence == 2:
            earlier = demo_id(f"meeting-{subject_key}-1")
            for action in db.session.query(MeetingAction).filter(
                MeetingAction.meeting_id == earlier,
                MeetingAction.status.in_(("OPEN", "IN_PROGRESS")),
            ):
                db.session.add(CarriedAction(meeting_id=meeting.id, action_id=action.id))
                created += 1
    db.session.flush()
    return created


def _actions(
    meeting: Meeting,
    today: date,
    coordinator: User,
    agencies: dict[str, Agency],
    users: dict[str, User],
) -> int:
    """One action per partner per meeting, statuses spread so every partner has every status
    across the four meetings (and the OPEN and IN_PROGRESS ones of the initial meetings are
    overdue)."""
    people = {
        "NPROB": users["probation@probation.demo"],
        "NCSC": users["social@childrens.demo"],
        "NHOUS": users["housing@housing.demo"],
    }
    created = 0
    offset = {("hargreaves", 1): 0, ("hargreaves", 2): 2, ("kelly", 1): 4, ("kelly", 2): 0}
    subject_key = "hargreaves" if meeting.subject_id == demo_id("hargreaves") else "kelly"
    base = offset[(subject_key, meeting.sequence)]
    for index, code in enumerate(PARTNERS):
        pillar, task = TASKS[code]
        for extra in range(2):
            status = STATUSES[(base + index * 2 + extra) % len(STATUSES)]
            if meeting.sequence == 2 and subject_key == "kelly":
                status = "OPEN"  # a draft meeting's actions have not started
            due = meeting.held_on + timedelta(days=21 + 14 * extra)
            action = MeetingAction(
                id=demo_id(f"action-{meeting.id}-{code}-{extra}"),
                meeting_id=meeting.id,
                minutes_version=1,  # raised in each meeting's first minutes
                subject_id=meeting.subject_id,
                description=f"{task}" + (" (follow-up)" if extra else ""),
                pillar=pillar,
                owner_agency_id=agencies[code].id,
                owner_person=people[code].full_name,
                due_on=due,
                status=status,
                marking=meeting.marking,
                created_by_id=coordinator.id,
                created_at=datetime.combine(meeting.held_on, time(11), tzinfo=UTC),
            )
            db.session.add(action)
            db.session.flush()
            created += 1
            if status in NOTES:
                chair_move = status in ("SUPERSEDED", "CANCELLED")
                author = coordinator if chair_move else people[code]
                db.session.add(
                    ActionUpdate(
                        action_id=action.id,
                        status_from="OPEN",
                        status_to=status,
                        note=clean_rich_text(NOTES[status]),
                        author_id=author.id,
                        author_agency_id=author.agency_id,
                        created_at=datetime.combine(min(today, due), time(15), tzinfo=UTC),
                    )
                )
                created += 1
    db.session.flush()
    return created


def _version(
    meeting: Meeting,
    number: int,
    status: str,
    now: datetime,
    coordinator: User,
    agencies: dict[str, Agency],
    names: dict[uuid.UUID, str],
) -> int:
    record = record_of(meeting, names)
    if number == 1 and status == "DISTRIBUTED" and meeting.sequence == 1:
        record["decisions"] = record["decisions"][:1]  # version 2 added the second decision
    version = MinutesVersion(
        id=demo_id(f"minutes-{meeting.id}-{number}"),
        meeting_id=meeting.id,
        number=number,
        status=status,
        amendment_reason="The second decision was left out of version 1" if number > 1 else None,
        snapshot=None if status == "DRAFT" else json.dumps(record, sort_keys=True),
        created_by_id=coordinator.id,
        created_at=now,
        approved_by_id=None if status == "DRAFT" else coordinator.id,
        approved_at=None if status == "DRAFT" else now,
        distributed_by_id=coordinator.id if status == "DISTRIBUTED" else None,
        distributed_at=now if status == "DISTRIBUTED" else None,
    )
    db.session.add(version)
    db.session.flush()
    if status != "DISTRIBUTED" or meeting.next_review_on is None:
        return 1
    expires = datetime.combine(
        meeting.next_review_on + timedelta(days=meeting.grace_days + 1), time.min, tzinfo=UTC
    )
    created = 1
    for code in PARTNERS:
        grant = AccessGrant(
            id=demo_id(f"grant-{version.id}-{code}"),
            owner_agency_id=meeting.owner_agency_id,
            grantee_agency_id=agencies[code].id,
            scope_kind=ScopeKind.SUBJECT.value,
            subject_id=meeting.subject_id,
            view_profile=ViewProfile.SUMMARY_AND_ACTIONS.value,
            legal_gateway=DISTRIBUTION_GATEWAY,
            dp_condition=CONDITIONS[code],
            justification=f"MAPPA meeting {meeting.sequence} minutes (version {number}) "
            "distributed to a duty-to-co-operate agency for joint risk management",
            isa_reference="MAPPA-MOU",
            status=GrantStatus.ACTIVE.value,
            valid_from=now - timedelta(minutes=1),
            expires_at=max(expires, now + timedelta(days=7)),
            granted_by_id=coordinator.id,
            approved_by_id=coordinator.id,
            approved_at=now,
            created_at=now,
        )
        db.session.add(grant)
        db.session.flush()
        db.session.add(
            MinutesRecipient(
                version_id=version.id,
                meeting_id=meeting.id,
                agency_id=agencies[code].id,
                grant_id=grant.id,
                dp_condition=CONDITIONS[code],
                distributed_at=now,
            )
        )
        created += 2
    return created
