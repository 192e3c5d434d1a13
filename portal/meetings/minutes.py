"""Minutes: the chair's approval, distribution and amendment.

Approval freezes the meeting record into the version's snapshot; distribution gives every
agency the chair sends the minutes to a scoped, time-limited grant (``GW-CJA03-S325`` with the
DP condition chosen for that agency, ending at the next review date plus the grace period)
through the gate's grant change, and records which version each agency holds. The list offered
is the attendees' agencies, agencies holding an agency-wide grant and agencies owning an
unfinished action in the minutes; the chair answers for each (a condition, or not sent this
time, with the reason recorded; never for an action's owner) and may add one agency outside it
with consent.
Amending distributed minutes starts a new draft version and leaves the earlier ones as they
are. Nothing here commits; a :class:`~portal.meetings.service.Refused` rolls the whole unit
of work back.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from portal.access import gate, grant_changes
from portal.access.gate import Purpose
from portal.access.grant_changes import GrantChange
from portal.access.models import AccessGrant, GrantStatus, ScopeKind, ViewProfile
from portal.access.permissions import Permission
from portal.agencies.models import Agency
from portal.core.actor import Actor
from portal.core.clock import db_now
from portal.core.markings import Marking
from portal.meetings import repository, rules
from portal.meetings.models import (
    Meeting,
    MinutesRecipient,
    MinutesStatus,
    MinutesVersion,
    MinutesWithheld,
)
from portal.meetings.schemas import AmendCommand, DistributeCommand
from portal.meetings.service import (
    AgencyChoice,
    Refused,
    SubjectHeading,
    find_meeting,
    heading,
    meeting_target,
    names_for,
    record_of,
)

#: The longest a distribution grant may run (as any grant).
MAX_GRANT: Final = timedelta(days=366)
NOT_APPROVED: Final = "Only minutes the chair has approved can be distributed"


def approve_minutes(actor: Actor, *, meeting_id: uuid.UUID) -> None:
    """Record the chair's approval of the draft; freezes the record into the version.

    One ``ALTERATION`` event. :raises Refused: for each missing part (chair, a decision with
    its rationale, next review date, lead agency), all at once, or for minutes not in draft.
    """
    meeting = find_meeting(actor, meeting_id, Permission.MEETING_WRITE, lock=True)
    gate.authorize(actor, Permission.MEETING_WRITE, meeting_target(meeting), purpose=Purpose.EDIT)
    version = repository.lock_latest_version(meeting.id)
    if version is None or version.status != MinutesStatus.DRAFT.value:
        raise Refused("submit", "These minutes have been approved already")
    problems = rules.approval_refusals(
        rules.ApprovalFacts(
            chair_name=meeting.chair_name,
            chair_agency_id=meeting.chair_agency_id,
            decisions=tuple((d.decision, d.rationale) for d in meeting.decisions),
            next_review_on=meeting.next_review_on,
            lead_agency_id=meeting.lead_agency_id,
        )
    )
    if problems:
        raise Refused(*problems[0], *problems[1:])
    version.snapshot = json.dumps(record_of(meeting, names_for(meeting)), sort_keys=True)
    version.status = MinutesStatus.CHAIR_APPROVED.value
    version.approved_by_id = actor.user_id
    version.approved_at = db_now()
    repository.flush()


@dataclass(frozen=True)
class RecipientChoice:
    agency_id: uuid.UUID
    name: str
    competent_authority: bool
    conditions: list[tuple[str, str]]
    why: str
    #: Owns an unfinished action in the minutes: the chair cannot leave it off.
    must_send: bool


@dataclass(frozen=True)
class DistributionPage:
    meeting_id: uuid.UUID
    subject: SubjectHeading
    number: int
    expires_on: date | None
    recipients: tuple[RecipientChoice, ...]
    others: tuple[AgencyChoice, ...]
    marking: str


def distribution_for(actor: Actor, *, meeting_id: uuid.UUID) -> DistributionPage:
    """Who the approved minutes go to: one consultation by the co-ordinator.

    :raises Refused: when the minutes are not approved and waiting to be distributed (a
        draft, or minutes distributed already); the consultation rolls back with it.
    """
    meeting = find_meeting(actor, meeting_id, Permission.MEETING_WRITE, lock=False)
    gate.authorize(actor, Permission.MEETING_WRITE, meeting_target(meeting), purpose=Purpose.VIEW)
    versions = repository.versions(meeting.id)
    if versions[-1].status != MinutesStatus.CHAIR_APPROVED.value:
        raise Refused("submit", NOT_APPROVED)
    now = db_now()
    owners = repository.action_owner_agencies(meeting.id, up_to_version=versions[-1].number)
    listed = _recipient_ids(meeting, now, owners)
    agencies = repository.agencies()
    attended = {x.agency_id for x in meeting.attendees}
    choices = tuple(
        RecipientChoice(
            agency_id=a,
            name=agencies[a].name,
            competent_authority=agencies[a].is_competent_authority,
            conditions=rules.dp_choices(competent_authority=agencies[a].is_competent_authority),
            why=_why_listed(a, attended, owners),
            must_send=a in owners,
        )
        for a in listed
        if a in agencies
    )
    others = tuple(
        AgencyChoice(a.id, a.name, a.is_competent_authority)
        for a in agencies.values()
        if a.id not in listed and a.id != meeting.owner_agency_id
    )
    return DistributionPage(
        meeting_id=meeting.id,
        subject=heading(meeting),
        number=versions[-1].number,
        expires_on=_expiry_day(meeting),
        recipients=choices,
        others=others,
        marking=Marking.from_json(meeting.marking).banner,
    )


def _recipient_ids(meeting: Meeting, now: datetime, owners: list[uuid.UUID]) -> list[uuid.UUID]:
    return rules.default_recipients(
        attendee_agencies=[a.agency_id for a in meeting.attendees],
        grant_holders=repository.agency_wide_grant_holders(meeting.subject_id, now=now),
        action_owners=owners,
        owner_agency_id=meeting.owner_agency_id,
    )


def _why_listed(agency_id: uuid.UUID, attended: set[uuid.UUID], owners: list[uuid.UUID]) -> str:
    if agency_id in attended and agency_id in owners:
        return "Attended or sent apologies, and owns an action in these minutes"
    if agency_id in attended:
        return "Attended or sent apologies"
    if agency_id in owners:
        return "Owns an action in these minutes"
    return "Holds access to the subject for the whole agency"


def _expiry_day(meeting: Meeting) -> date | None:
    if meeting.next_review_on is None:
        return None
    return meeting.next_review_on + timedelta(days=meeting.grace_days)


def distribute_minutes(
    actor: Actor, *, meeting_id: uuid.UUID, command: DistributeCommand
) -> list[uuid.UUID]:
    """Distribute the approved minutes: one ``DISCLOSURE`` event per DP condition used, under
    CJA 2003 s.325 and that condition, naming the agencies sent under it, and for each agency
    sent to a grant (one ``GRANT_CHANGED`` event each) ending at the start of the UK day after
    the next review date plus the grace period. Agencies on the list the chair left off get
    nothing, and are recorded against the version with the chair's reason. Returns the grant
    ids.

    :raises Refused: for minutes not approved, a list that changed since the page was shown
        (every agency on it needs an answer), a condition that does not fit an agency, an
        agency outside the list without the chair's consent, an action's owner left off,
        nobody to send to, or an expiry out of range.
    """
    meeting = find_meeting(actor, meeting_id, Permission.MEETING_WRITE, lock=True)
    now = db_now()
    version = repository.lock_latest_version(meeting.id)
    owners = (
        repository.action_owner_agencies(meeting.id, up_to_version=version.number)
        if version is not None
        else []
    )
    listed = _recipient_ids(meeting, now, owners)
    # Answers for an agency that has left the list since the page was shown (its grant ended)
    # are dropped: not sending never widens access. One that joined it has no answer yet.
    wanted = {a: code for a, code in command.conditions.items() if a in listed}
    unanswered = set(listed) - set(command.conditions) - command.left_off
    if command.extra_agency_id is not None and command.extra_condition is not None:
        wanted[command.extra_agency_id] = command.extra_condition
    agencies = repository.agencies(set(wanted))
    _authorize_disclosures(actor, meeting, version, wanted, agencies)
    if version is None or version.status != MinutesStatus.CHAIR_APPROVED.value:
        raise Refused("submit", NOT_APPROVED)
    if unanswered:
        raise Refused("submit", "The distribution list has changed: check it and send again")
    extra = command.extra_agency_id
    if extra is not None and (
        extra not in agencies or extra in listed or extra == meeting.owner_agency_id
    ):
        raise Refused("extra_agency_id", "Select an agency that is not on the list already")
    problems = [
        (f"dp_{agency_id.hex}" if agency_id != extra else "extra_condition", problem)
        for agency_id, code in wanted.items()
        if (
            problem := rules.dp_condition_refusal(
                code, competent_authority=agencies[agency_id].is_competent_authority
            )
        )
        is not None
    ]
    left_off = [a for a in listed if a in command.left_off]
    names = repository.agencies(set(left_off))
    problems += [
        (f"dp_{a.hex}", rules.left_off_refusal(names[a].name))
        for a in left_off
        if a in owners and a in names
    ]
    if problems:
        raise Refused(*problems[0], *problems[1:])
    if not wanted:
        raise Refused("submit", "There is nobody to distribute the minutes to")
    expires_on = _expiry_day(meeting)
    if expires_on is None:
        raise Refused("submit", "Enter the next review date before distribution")
    expires_at = rules.access_ends_at(expires_on)
    if expires_at <= now or expires_at - now > MAX_GRANT:
        raise Refused(
            "submit",
            "Access would end in the past or more than a year ahead: check the review date",
        )
    grants = [
        _grant(
            actor,
            meeting,
            agency_id,
            code,
            now,
            expires_at,
            version,
            extra == agency_id,
            command.chair_consent,
        )
        for agency_id, code in wanted.items()
    ]
    for agency_id in left_off:
        repository.add(
            MinutesWithheld(
                version_id=version.id,
                meeting_id=meeting.id,
                agency_id=agency_id,
                reason=command.withheld_reason or "",
                decided_at=now,
            )
        )
    version.status = MinutesStatus.DISTRIBUTED.value
    version.distributed_by_id = actor.user_id
    version.distributed_at = now
    repository.flush()
    return grants


def _authorize_disclosures(
    actor: Actor,
    meeting: Meeting,
    version: MinutesVersion | None,
    wanted: dict[uuid.UUID, str],
    agencies: dict[uuid.UUID, Agency],
) -> None:
    """One ``DISCLOSURE`` per DP condition the minutes go out under, naming the agencies sent
    under it, with the basis they are sent under (CJA 2003 s.325 and that condition), not the
    owner's policing purpose: each recipient's basis is logged as its grant records it. The
    first call decides access before any answer is judged; a refusal afterwards rolls every
    event back. With nobody to send to, one call still decides access (and the request is
    refused after it)."""
    groups: dict[str, list[str]] = {}
    for agency_id, code in wanted.items():
        if agency_id in agencies:
            groups.setdefault(code, []).append(agencies[agency_id].name)
    target = meeting_target(meeting)
    if not groups:
        gate.authorize(
            actor,
            Permission.MEETING_WRITE,
            target,
            purpose=Purpose.EXPORT,
            recipients=("(nobody)",),
        )
        return
    justification = _justification(meeting, version) if version is not None else None
    for code, names in groups.items():
        gate.authorize(
            actor,
            Permission.MEETING_WRITE,
            target,
            purpose=Purpose.EXPORT,
            recipients=tuple(names),
            basis=(rules.DISTRIBUTION_GATEWAY, code),
            justification=justification,
        )


def _justification(meeting: Meeting, version: MinutesVersion) -> str:
    """Why the minutes go out (the distribution's grants and disclosures say the same): it
    names the meeting and the minutes version sent."""
    return (
        f"MAPPA meeting {meeting.sequence} minutes (version {version.number}) distributed "
        "to a duty-to-co-operate agency for joint risk management"
    )


def _grant(
    actor: Actor,
    meeting: Meeting,
    agency_id: uuid.UUID,
    code: str,
    now: datetime,
    expires_at: datetime,
    version: MinutesVersion,
    outside_list: bool,
    consent: str | None,
) -> uuid.UUID:
    justification = _justification(meeting, version)
    grant = AccessGrant(
        id=uuid.uuid4(),
        owner_agency_id=meeting.owner_agency_id,
        grantee_agency_id=agency_id,
        scope_kind=ScopeKind.SUBJECT.value,
        subject_id=meeting.subject_id,
        view_profile=ViewProfile.SUMMARY_AND_ACTIONS.value,
        legal_gateway=rules.DISTRIBUTION_GATEWAY,
        dp_condition=code,
        justification=justification,
        isa_reference="MAPPA-MOU",
        status=GrantStatus.ACTIVE.value,
        valid_from=now,
        expires_at=expires_at,
        granted_by_id=actor.user_id,
        approved_by_id=actor.user_id,
        approved_at=now,
        created_at=now,
    )
    repository.add(grant)
    grant_changes.authorize_grant_change(
        actor,
        GrantChange.GRANTED,
        grant_id=grant.id,
        subject_id=meeting.subject_id,
        owner_agency_id=meeting.owner_agency_id,
        legal_gateway=grant.legal_gateway,
        dp_condition=grant.dp_condition,
        justification=justification,
        detail={
            "status": grant.status,
            "scope": grant.scope_kind,
            "view_profile": ViewProfile.SUMMARY_AND_ACTIONS.value,
            "grantee_agency_id": str(agency_id),
            "expires_at": expires_at.isoformat(),
            "meeting_id": str(meeting.id),
            "minutes_version": str(version.number),
        },
    )
    repository.add(
        MinutesRecipient(
            version_id=version.id,
            meeting_id=meeting.id,
            agency_id=agency_id,
            grant_id=grant.id,
            dp_condition=code,
            chair_consent=consent if outside_list else None,
            distributed_at=now,
        )
    )
    return grant.id


def amend_minutes(actor: Actor, *, meeting_id: uuid.UUID, command: AmendCommand) -> int:
    """Start an amendment of distributed minutes: a new draft version; the earlier versions
    stay as they are. One ``ALTERATION`` event. Returns the new version's number.

    :raises Refused: when the latest version has not been distributed.
    """
    meeting = find_meeting(actor, meeting_id, Permission.MEETING_WRITE, lock=True)
    gate.authorize(actor, Permission.MEETING_WRITE, meeting_target(meeting), purpose=Purpose.EDIT)
    latest = repository.lock_latest_version(meeting.id)
    if latest is None or latest.status != MinutesStatus.DISTRIBUTED.value:
        raise Refused("reason", "Only distributed minutes are amended; change the draft instead")
    version = MinutesVersion(
        meeting_id=meeting.id,
        number=latest.number + 1,
        status=MinutesStatus.DRAFT.value,
        amendment_reason=command.reason,
        created_by_id=actor.user_id,
        created_at=db_now(),
    )
    repository.add(version)
    return version.number
