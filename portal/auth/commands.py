"""``flask sessions purge``: delete the session rows that can never be used again, and the
creation forms' keys older than the longest session (no page can send them again).

A scheduler (cron, a systemd timer) runs it every hour or so. Nothing a user or information
governance sees changes: an ended session is refused whether its row is there or not, and the
access log keeps the record of who signed in and how each session ended.
"""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from portal.auth.sessions import purge_ended_sessions
from portal.config import Settings
from portal.core.clock import db_now
from portal.db import submissions
from portal.db.transaction import transaction

sessions_cli = AppGroup("sessions", help="Browser sessions.")


@sessions_cli.command("purge")
def purge_command() -> None:
    """Delete revoked and timed-out session rows, and form keys no page can send again."""
    settings: Settings = current_app.extensions["portal.settings"]
    with transaction():
        now = db_now()
        purged = purge_ended_sessions(settings, now=now)
        keys = submissions.purge_before(now - timedelta(seconds=settings.session_absolute_seconds))
    click.echo(f"Session rows deleted: {purged}")
    click.echo(f"Form keys deleted: {keys}")
