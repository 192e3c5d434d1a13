"""``flask demo seed`` and ``flask demo totp``: demo data for development machines only."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from portal.agencies.models import Agency
from portal.auth import passwords, totp
from portal.config import Settings
from portal.core.clock import db_now
from portal.db.transaction import transaction
from portal.demo.data import AGENCIES, DEMO_PASSWORD, USERS
from portal.extensions import db
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
    click.echo(f"Demo data: {created} new rows (0 means it was already loaded).")
    click.echo(f"Every demo account's password: {DEMO_PASSWORD}")
    click.echo(
        "Accounts and TOTP secrets (add one to an authenticator app, or run "
        "`flask --app wsgi demo totp EMAIL` for the current code):"
    )
    for spec in USERS:
        roles = ", ".join(r.label for r in spec.roles)
        click.echo(f"  {spec.email:28} {spec.totp_secret}  {roles}")


@demo_cli.command("totp")
@click.argument("email")
def current_code(email: str) -> None:
    """Print the current security code for a demo account."""
    _refuse_in_production()
    spec = next((u for u in USERS if u.email == email.strip().lower()), None)
    if spec is None:
        raise click.ClickException(f"{email} is not a demo account")
    with transaction():
        now = db_now()
    click.echo(totp.code_at(spec.totp_secret, now))
