"""Record the agencies a version of the minutes was not sent to, and why.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25 09:00:00

The chair answers for every agency on the distribution list: a data-protection condition to
send under, or "Do not send to this agency". The agencies sent to were recorded
(``mappa_minutes_recipient``); the ones left off were not, so nobody could later see that an
agency had been considered and why it was not sent the minutes. ``mappa_minutes_withheld``
holds one row per agency left off a distributed version, with the chair's reason.

On SQLite the new table gets the three ``fact_version`` triggers every table but the access
log's own has (migration 0007).
"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TABLE = "mappa_minutes_withheld"
ACTIONS = ("insert", "update", "delete")


def upgrade():
    op.create_table(
        TABLE,
        sa.Column("version_id", sa.Uuid(), nullable=False),
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agency.id"],
            name=op.f("fk_mappa_minutes_withheld_agency_id_agency"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["mappa_meeting.id"],
            name=op.f("fk_mappa_minutes_withheld_meeting_id_mappa_meeting"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["mappa_minutes_version.id"],
            name=op.f("fk_mappa_minutes_withheld_version_id_mappa_minutes_version"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mappa_minutes_withheld")),
        sa.UniqueConstraint(
            "version_id", "agency_id", name=op.f("uq_mappa_minutes_withheld_version_id")
        ),
    )
    op.create_index(op.f("ix_mappa_minutes_withheld_meeting_id"), TABLE, ["meeting_id"])
    op.create_index(op.f("ix_mappa_minutes_withheld_version_id"), TABLE, ["version_id"])
    if op.get_bind().dialect.name == "sqlite":
        for action in ACTIONS:
            op.execute(
                f"CREATE TRIGGER {TABLE}_{action}_counts AFTER {action.upper()} ON {TABLE} "
                "BEGIN UPDATE fact_version SET version = version + 1 WHERE id = 1; END"
            )


def downgrade():
    op.drop_table(TABLE)
