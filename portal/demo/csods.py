"""Demo CSODS applications for Northshire Police: one at every stage, one breaching its target,
one closed with a disclosure, one closed with no disclosure, one with an immediate-risk
referral and one with its clock paused. A CSODS supervisor account approves decisions.

Rows are inserted directly (like the demo sharing data), with fixed ids so a second run changes
nothing. Times are relative to the database's ``now`` at seeding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Final

import click
from sqlalchemy import select

from portal.agencies.models import Agency
from portal.audit import events
from portal.audit.recorder import record
from portal.auth import passwords
from portal.config import Settings
from portal.core.actor import Actor
from portal.core.identity import Clearance, Role
from portal.csods.models import (
    CsodsAgencyCheck,
    CsodsApplication,
    CsodsChild,
    CsodsDecision,
    CsodsDelivery,
    CsodsPause,
    CsodsReferral,
    CsodsStageChange,
)
from portal.csods.service import marking_for
from portal.csods.stages import MOVES, Outcome, Stage, Transition
from portal.csods.steps import DISCLOSURE_JUSTIFICATION
from portal.demo.data import DEMO_PASSWORD, DemoUser, demo_id
from portal.extensions import db
from portal.users.models import User

SUPERVISOR: Final = DemoUser(
    "csods.supervisor@police.demo",
    "Sasha Supervisor",
    "NPOL",
    (Role.CSODS_OFFICER,),
    Clearance.SC,
)
OFFICER_EMAIL: Final = "mosovo@police.demo"
#: Who told the recipient of the demo disclosure.
DISCLOSERS: Final = "DC Priya Marsh (MOSOVO) and PC Tom Shah (neighbourhood team)"

#: The transition each ending takes from APPROVED, by outcome.
_ENDING: Final = {
    Outcome.DISCLOSE: Transition.DELIVER_DISCLOSURE,
    Outcome.NO_DISCLOSURE: Transition.INFORM_APPLICANT,
    Outcome.OTHER_ACTION: Transition.REFER,
}


@dataclass(frozen=True)
class DemoApplication:
    key: str
    surname: str
    stage: Stage
    #: How long ago it was received.
    age: timedelta
    outcome: Outcome | None = None
    referral: bool = False
    paused: bool = False
    children: tuple[str, ...] = field(default=("Child One",))


APPLICATIONS: Final = (
    DemoApplication("csods-received", "Ashby", Stage.RECEIVED, timedelta(hours=2)),
    # Received 30 hours ago and still in initial checks: the 24-hour target is breached.
    DemoApplication("csods-breach", "Barrow", Stage.INITIAL_CHECKS, timedelta(hours=30)),
    DemoApplication(
        "csods-urgent", "Carlow", Stage.SCOPE_DECIDED, timedelta(days=3), referral=True
    ),
    DemoApplication("csods-interviewed", "Denton", Stage.INTERVIEW_DONE, timedelta(days=8)),
    DemoApplication(
        "csods-assessing", "Elsworth", Stage.RISK_ASSESSMENT, timedelta(days=15), paused=True
    ),
    DemoApplication("csods-forum", "Fenwick", Stage.DECISION_FORUM, timedelta(days=30)),
    DemoApplication(
        "csods-decided", "Garside", Stage.DECIDED, timedelta(days=32), Outcome.DISCLOSE
    ),
    DemoApplication(
        "csods-approved", "Halloran", Stage.APPROVED, timedelta(days=33), Outcome.NO_DISCLOSURE
    ),
    DemoApplication(
        "csods-delivered",
        "Ingleby",
        Stage.DISCLOSURE_DELIVERED,
        timedelta(days=34),
        Outcome.DISCLOSE,
    ),
    DemoApplication(
        "csods-informed",
        "Jarrow",
        Stage.APPLICANT_INFORMED,
        timedelta(days=34),
        Outcome.NO_DISCLOSURE,
    ),
    DemoApplication(
        "csods-referred", "Kendal", Stage.REFERRED, timedelta(days=35), Outcome.OTHER_ACTION
    ),
    DemoApplication(
        "csods-disclosed",
        "Lowther",
        Stage.CLOSED,
        timedelta(days=40),
        Outcome.DISCLOSE,
        children=("Child One", "Child Two"),
    ),
    DemoApplication(
        "csods-not-disclosed", "Marsden", Stage.CLOSED, timedelta(days=36), Outcome.NO_DISCLOSURE
    ),
    DemoApplication(
        "csods-out-of-scope", "Norland", Stage.CLOSED_NOT_PROGRESSED, timedelta(days=5)
    ),
    DemoApplication(
        "csods-unverified", "Oldham", Stage.CLOSED_NO_DISCLOSURE_POSSIBLE, timedelta(days=9)
    ),
)


def path_to(stage: Stage, outcome: Outcome | None) -> list[Transition]:
    """The transitions from RECEIVED to ``stage`` (an approved decision ends by its outcome)."""
    moves: list[Transition] = []
    current = Stage.RECEIVED
    while current is not stage:
        options = [t for (s, t) in MOVES if s is current]
        if current is Stage.INITIAL_CHECKS:
            choice = (
                Transition.NOT_IN_SCOPE
                if stage is Stage.CLOSED_NOT_PROGRESSED
                else Transition.IN_SCOPE
            )
        elif current is Stage.SCOPE_DECIDED:
            choice = (
                Transition.NOT_VERIFIED
                if stage is Stage.CLOSED_NO_DISCLOSURE_POSSIBLE
                else Transition.VERIFIED
            )
        elif current is Stage.APPROVED:
            choice = _ENDING[outcome or Outcome.NO_DISCLOSURE]
        else:
            choice = options[0]
        moves.append(choice)
        current = MOVES[(current, choice)]
    return moves


def seed_csods(now: datetime, agencies: dict[str, Agency], settings: Settings) -> int:
    """The demo supervisor and applications; rows already there are kept."""
    police = agencies["NPOL"]
    created = 0
    supervisor = db.session.execute(
        select(User).where(User.email == SUPERVISOR.email)
    ).scalar_one_or_none()
    if supervisor is None:
        supervisor = User(
            agency_id=police.id,
            email=SUPERVISOR.email,
            full_name=SUPERVISOR.name,
            clearance=SUPERVISOR.clearance,
            status="active",
            password_hash=passwords.hash_password(DEMO_PASSWORD, settings.argon2),
            password_changed_at=now,
            totp_secret=SUPERVISOR.totp_secret,
            totp_enrolled_at=now,
        )
        supervisor.set_roles(frozenset(SUPERVISOR.roles))
        db.session.add(supervisor)
        db.session.flush()
        created += 1
    officer = db.session.execute(select(User).where(User.email == OFFICER_EMAIL)).scalar_one()
    for spec in APPLICATIONS:
        if db.session.get(CsodsApplication, demo_id(spec.key)) is None:
            _application(spec, now, police, officer, supervisor)
            created += 1
    db.session.flush()
    click.echo(f"  {SUPERVISOR.email:28} {SUPERVISOR.totp_secret}  CSODS supervisor")
    return created


def _application(
    spec: DemoApplication, now: datetime, police: Agency, officer: User, supervisor: User
) -> None:
    received = now - spec.age
    moves = path_to(spec.stage, spec.outcome)
    # Steps spread over the application's life; the last one an hour ago (or at receipt).
    gap = (spec.age - timedelta(hours=1)) / max(len(moves), 1) if moves else timedelta(0)
    app = CsodsApplication(
        id=demo_id(spec.key),
        agency_id=police.id,
        urn=f"{spec.surname.upper()}/{received.date().isoformat()}",
        channel="ONLINE",
        received_on=received.date(),
        officer_id=officer.id,
        applicant_family_name=spec.surname,
        applicant_given_names="Demo Applicant",
        applicant_address="1 Demo Street, Northtown",
        contact_method="Mobile, evenings",
        safe_contact="Text first; do not call before 6pm",
        subject_family_name="Subject",
        subject_given_names="Demo",
        subject_relationship_to_applicant="Partner's friend",
        stage=Stage.RECEIVED.value,
        received_at=received,
        stage_entered_at=received,
        phase_started_at=received,
        outcome=spec.outcome.value if spec.outcome else None,
    )
    app.children = [
        CsodsChild(
            position=n,
            name=f"{name} {spec.surname}",
            date_of_birth=date(2017 + n, 5, 1),
            lives_with="Mother",
            applicant_relationship="Mother",
            subject_relationship="Visits the household",
            mother_knows="YES",
            father_knows="NOT_KNOWN",
        )
        for n, name in enumerate(spec.children)
    ]
    db.session.add(app)
    db.session.flush()
    at = received
    for transition in moves:
        at += gap
        after = MOVES[(Stage(app.stage), transition)]
        by = supervisor.id if transition is Transition.APPROVE else officer.id
        db.session.add(
            CsodsStageChange(
                application_id=app.id,
                transition=transition.value,
                from_stage=app.stage,
                to_stage=after.value,
                by_id=by,
                at=at,
            )
        )
        _fill(app, transition, at, spec, officer, supervisor)
        app.stage, app.stage_entered_at = after.value, at
        if after in (Stage.SCOPE_DECIDED, Stage.INTERVIEW_DONE):
            app.phase_started_at = at
        if after.is_closed:
            app.closed_at = at
        db.session.flush()
    if spec.referral:
        db.session.add(
            CsodsReferral(
                application_id=app.id,
                stage=app.stage,
                referred_to="Northshire Children's Social Care MASH",
                risk="The subject has unsupervised contact this weekend",
                raised_by_id=officer.id,
                raised_at=received + timedelta(hours=3),
            )
        )
    if spec.paused:
        db.session.add(
            CsodsPause(
                application_id=app.id,
                reason="Partner agency checks delayed by a major incident",
                started_at=now - timedelta(days=2),
                started_by_id=officer.id,
            )
        )


def _fill(
    app: CsodsApplication,
    transition: Transition,
    at: datetime,
    spec: DemoApplication,
    officer: User,
    supervisor: User,
) -> None:
    if transition in (Transition.IN_SCOPE, Transition.NOT_IN_SCOPE):
        app.checks_made = "PNC, ViSOR and local intelligence checked"
        if transition is Transition.NOT_IN_SCOPE:
            app.scope_explanation = (
                "No specific child named; advised to contact children's services"
            )
    elif transition in (Transition.VERIFIED, Transition.NOT_VERIFIED):
        app.interview_notes = "Interview at Northtown station"
        if transition is Transition.VERIFIED:
            app.evidence_identity = "Passport"
            app.evidence_address = "Council tax bill"
            app.evidence_relationship = "Birth certificate"
    elif transition is Transition.COMPLETE_RISK_ASSESSMENT:
        app.risk_assessment = "Multi-agency checks complete"
        app.agency_checks = [
            CsodsAgencyCheck(position=0, agency="Children's social care", answer="Family known"),
            CsodsAgencyCheck(position=1, agency="School", answer="No concerns"),
        ]
    elif transition is Transition.RECORD_DECISION:
        disclose = spec.outcome is Outcome.DISCLOSE
        db.session.add(
            CsodsDecision(
                id=demo_id(f"{spec.key}-decision"),
                application_id=app.id,
                outcome=(spec.outcome or Outcome.NO_DISCLOSURE).value,
                forum="CSODS decision panel",
                attendees="DI Reed (chair), children's social care, probation",
                rationale="Lawful, necessary and proportionate to protect the child",
                pressing_need="The subject has contact with the child",
                recipient_name=f"Parent {spec.surname}" if disclose else None,
                recipient_relationship="Mother" if disclose else None,
                recipient_why="Has parental responsibility" if disclose else None,
                wording="The subject has convictions for offences against children"
                if disclose
                else None,
                legal_gateway="GW-CJA03-S327A" if disclose else None,
                dp_condition="DP3-SCH8-4" if disclose else None,
                safety_plan="Safety plan agreed with children's social care",
                referrals="Children's social care"
                if spec.outcome is Outcome.OTHER_ACTION
                else None,
                non_disclosure_reasons="No relevant convictions" if not disclose else None,
                decided_by_id=officer.id,
                decided_at=at,
            )
        )
        db.session.flush()
    elif transition is Transition.APPROVE:
        decision = db.session.get(CsodsDecision, demo_id(f"{spec.key}-decision"))
        if decision is not None:
            decision.approved_by_id, decision.approved_at = supervisor.id, at
    elif transition in _ENDING.values():
        disclosed = transition is Transition.DELIVER_DISCLOSURE
        db.session.add(
            CsodsDelivery(
                decision_id=demo_id(f"{spec.key}-decision"),
                kind={
                    Transition.DELIVER_DISCLOSURE: "DISCLOSURE",
                    Transition.INFORM_APPLICANT: "INFORMED",
                    Transition.REFER: "REFERRED",
                }[transition],
                delivered_on=at.date(),
                method="IN_PERSON" if disclosed else "LETTER",
                delivered_by_id=officer.id,
                undertaking_signed=disclosed,
                undertaking_signed_on=at.date() if disclosed else None,
                disclosed_by=DISCLOSERS if disclosed else None,
                recorded_at=at,
                audit_seq=_log_disclosure(app, officer, spec) if disclosed else None,
            )
        )


def _log_disclosure(app: CsodsApplication, officer: User, spec: DemoApplication) -> int:
    """The DISCLOSURE event a real delivery writes (recorded at seeding time)."""
    return record(
        events.disclosure(
            Actor.from_user(officer),
            recipients=(f"Parent {spec.surname} (Mother), outside the portal",),
            subject_id=app.id,
            record_id=app.id,
            legal_gateway="GW-CJA03-S327A",
            dp_condition="DP3-SCH8-4",
            justification=DISCLOSURE_JUSTIFICATION,
            marking=marking_for(app).banner,
            request_id="demo-seed",
        )
    )
