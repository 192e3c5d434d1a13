"""``flask demo seed`` and ``flask demo totp``: demo data for development machines only."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from portal.access.models import AccessGrant, GrantStatus, ScopeKind
from portal.agencies.models import Agency
from portal.auth import passwords, totp
from portal.config import Settings
from portal.core.clock import db_now
from portal.core.markings import Marking
from portal.core.sanitise import clean_rich_text
from portal.db.transaction import transaction
from portal.demo.csods import SUPERVISOR, seed_csods
from portal.demo.data import (
    AGENCIES,
    DEMO_PASSWORD,
    GRANT_BASIS,
    GRANTS,
    ISA_REFERENCE,
    RECORDS,
    REQUEST_JUSTIFICATION,
    REQUESTERS,
    SUBJECTS,
    USERS,
    DemoGrant,
    demo_id,
)
from portal.demo.governance import seed_governance
from portal.demo.meetings import seed_meetings
from portal.extensions import db
from portal.records.models import SharedRecord
from portal.subjects.models import Subject, SubjectAlias
from portal.users.models import User

demo_cli = AppGroup("demo", help="Demo data for development machines.")


def _settings() -> Settings:
    settings: Settings = current_app.extensions["portal.settings"]
    return settings


def _refuse_in_production() -> None:
    if _settings().is_production or not _settings().demo_data:
        raise click.ClickException(
            "demo data is only for development machines (PORTAL_DEMO_DATA=1, not production)"
        )


@demo_cli.command("seed")
def seed() -> None:
    """Load the demo agencies and users. Running it again changes nothing."""
    _refuse_in_production()
    created = 0
    with transaction():
        now = db_now()
        agencies = {a.code: a for a in db.session.execute(select(Agency)).scalars()}
        for agency_spec in AGENCIES:
            if agency_spec.code not in agencies:
                agency = Agency(
                    code=agency_spec.code,
                    name=agency_spec.name,
                    type=agency_spec.type,
                    is_competent_authority=agency_spec.competent,
                )
                db.session.add(agency)
                agencies[agency_spec.code] = agency
                created += 1
        db.session.flush()
        existing = set(db.session.execute(select(User.email)).scalars())
        for spec in USERS:
            if spec.email in existing:
                continue
            user = User(
                agency_id=agencies[spec.agency].id,
                email=spec.email,
                full_name=spec.name,
                clearance=spec.clearance,
                status="active",
                password_hash=passwords.hash_password(DEMO_PASSWORD, _settings().argon2),
                password_changed_at=now,
                totp_secret=spec.totp_secret,
                totp_enrolled_at=now,
            )
            user.set_roles(frozenset(spec.roles))
            db.session.add(user)
            created += 1
        db.session.flush()
        created += _seed_sharing(now, agencies)
        created += seed_csods(now, agencies, _settings())
        created += seed_meetings(now, agencies)
    created += seed_governance(test=_settings().env == "test")
    click.echo(f"Demo data: {created} new rows (0 means it was already loaded).")
    click.echo(f"Every demo account's password: {DEMO_PASSWORD}")
    click.echo(
        "Accounts and TOTP secrets (add one to an authenticator app, or run "
        "`flask --app wsgi demo totp EMAIL` for the current code):"
    )
    for spec in (*USERS, SUPERVISOR):
        roles = ", ".join(r.label for r in spec.roles)
        click.echo(f"  {spec.email:28} {spec.totp_secret}  {roles}")


def _seed_sharing(now: datetime, agencies: dict[str, Agency]) -> int:
    """Subjects, records and grants from Northshire Police; rows already there are kept."""
    police = agencies["NPOL"]
    users = {u.email: u for u in db.session.execute(select(User)).scalars()}
    officer, coordinator = users["mosovo@police.demo"], users["mappa@police.demo"]
    owner = str(police.id)
    created = 0
    for spec in SUBJECTS:
        if db.session.get(Subject, demo_id(spec.key)) is not None:
            continue
        subject = Subject(
            id=demo_id(spec.key),
            owning_agency_id=police.id,
            lead_agency_id=agencies[spec.lead_agency].id,
            family_name=spec.family_name,
            given_names=spec.given_names,
            date_of_birth=spec.born,
            pnc_id=spec.pnc_id,
            ndelius_crn=spec.ndelius_crn,
            visor_ref=spec.visor_ref,
            subject_type=spec.subject_type,
            mappa_category=spec.mappa_category,
            mappa_level=spec.mappa_level,
            marking=Marking.from_dict(
                {"tier": "OFFICIAL", **spec.marking, "owner": owner}
            ).to_json(),
            created_by_id=officer.id,
        )
        subject.aliases = [SubjectAlias(name=name) for name in spec.aliases]
        db.session.add(subject)
        created += 1
    db.session.flush()
    for record_spec in RECORDS:
        if db.session.get(SharedRecord, demo_id(record_spec.key)) is not None:
            continue
        plan = record_spec.plan or (None,) * 6
        db.session.add(
            SharedRecord(
                id=demo_id(record_spec.key),
                subject_id=demo_id(record_spec.subject),
                owner_agency_id=police.id,
                kind=record_spec.kind,
                title=record_spec.title,
                body=clean_rich_text(record_spec.body),
                contains_health_details=record_spec.health,
                supervision=plan[0] and clean_rich_text(plan[0]),
                monitoring_control=plan[1] and clean_rich_text(plan[1]),
                interventions_treatment=plan[2] and clean_rich_text(plan[2]),
                victim_safety=plan[3] and clean_rich_text(plan[3]),
                contingency=plan[4] and clean_rich_text(plan[4]),
                licence_conditions=plan[5] and clean_rich_text(plan[5]),
                marking=Marking.from_dict(
                    {"tier": "OFFICIAL", **record_spec.marking, "owner": owner}
                ).to_json(),
                created_by_id=officer.id,
            )
        )
        created += 1
    db.session.flush()
    for grant_spec in GRANTS:
        if db.session.get(AccessGrant, demo_id(grant_spec.key)) is not None:
            continue
        if grant_spec.state == "requested":
            requester = users[REQUESTERS[grant_spec.grantee]]
            db.session.add(_request(grant_spec, now, police, agencies, requester))
        else:
            db.session.add(_grant(grant_spec, now, police, agencies, officer, coordinator))
        created += 1
    return created


def _scope(spec: DemoGrant, police: Agency, agencies: dict[str, Agency]) -> dict[str, Any]:
    """What every demo grant or request states: who shares what, with whom, on what basis."""
    gateway, condition = GRANT_BASIS[spec.grantee]
    return {
        "id": demo_id(spec.key),
        "owner_agency_id": police.id,
        "grantee_agency_id": agencies[spec.grantee].id,
        "scope_kind": (ScopeKind.RECORD if spec.record else ScopeKind.SUBJECT).value,
        "subject_id": demo_id(spec.subject),
        "record_id": demo_id(spec.record) if spec.record else None,
        "view_profile": spec.view_profile,
        "legal_gateway": gateway,
        "dp_condition": condition,
        "isa_reference": ISA_REFERENCE,
    }


def _grant(
    spec: DemoGrant,
    now: datetime,
    police: Agency,
    agencies: dict[str, Agency],
    officer: User,
    coordinator: User,
) -> AccessGrant:
    """A grant inserted directly (demo only: the grants service writes audit events)."""
    starts, ends = {
        "live": (now - timedelta(days=10), now + timedelta(days=60)),
        "expiring": (now - timedelta(days=25), now + timedelta(days=3)),
        "expired": (now - timedelta(days=90), now - timedelta(days=5)),
        "revoked": (now - timedelta(days=20), now + timedelta(days=40)),
    }[spec.state]
    revoked = spec.state == "revoked"
    return AccessGrant(
        **_scope(spec, police, agencies),
        justification="Shared for joint management of the risk agreed at the MAPPA meeting.",
        status=(GrantStatus.REVOKED if revoked else GrantStatus.ACTIVE).value,
        valid_from=starts,
        expires_at=ends,
        granted_by_id=officer.id,
        approved_by_id=coordinator.id,
        approved_at=starts,
        ended_by_id=officer.id if revoked else None,
        ended_at=now - timedelta(days=2) if revoked else None,
        status_reason="No longer needed after the case transferred." if revoked else None,
        created_at=starts,
    )


def _request(
    spec: DemoGrant, now: datetime, police: Agency, agencies: dict[str, Agency], requester: User
) -> AccessGrant:
    """A partner's pending request for access, as the request form stores it (demo only)."""
    asked = now - timedelta(days=1)
    return AccessGrant(
        **_scope(spec, police, agencies),
        justification=REQUEST_JUSTIFICATION,
        status=GrantStatus.REQUESTED.value,
        valid_from=asked,
        expires_at=asked + timedelta(days=90),
        requested_by_id=requester.id,
        requested_at=asked,
        created_at=asked,
    )


@demo_cli.command("totp")
@click.argument("email")
def current_code(email: str) -> None:
    """Print the current security code for a demo account."""
    _refuse_in_production()
    spec = next((u for u in (*USERS, SUPERVISOR) if u.email == email.strip().lower()), None)
    if spec is None:
        raise click.ClickException(f"{email} is not a demo account")
    with transaction():
        now = db_now()
    click.echo(totp.code_at(spec.totp_secret, now))
