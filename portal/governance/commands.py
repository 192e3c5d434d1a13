"""``flask governance scan``: raise the access-log alerts on a schedule.

The review queue runs the same scan when it opens; a scheduler (cron, a systemd timer) running
this every few minutes keeps alerts close to the events that cause them when nobody is looking
at the queue.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.db.transaction import transaction
from portal.governance import alerts

governance_cli = AppGroup("governance", help="Information-governance jobs.")


@governance_cli.command("scan")
@click.option(
    "--batches",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help=f"Read at most this many batches of {alerts.SCAN_BATCH} new events.",
)
def scan_command(batches: int) -> None:
    """Apply the alert rules to the events written since the last scan."""
    with transaction():
        raised = alerts.scan(batches=batches)
    click.echo(f"Alerts raised: {raised}")
