"""Remember the creation forms already saved, so one sent twice is saved once.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 09:00:00

A double click without JavaScript sends a creation form twice (a subject, a shared record,
access for an agency, a CSODS application, child or step). Each such form now carries a random
key; ``form_submission`` holds the keys of the forms saved, who sent them, when, and the page
that shows what was saved (see ``portal/db/submissions.py``). It holds no content.

On SQLite the new table gets the three ``fact_version`` triggers every table but the access
log's own has (migration 0007).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TABLE = "form_submission"
ACTIONS = ("insert", "update", "delete")


def upgrade():
    op.create_table(
        TABLE,
        sa.Column("key", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("location", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_form_submission_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_form_submission")),
    )
    op.create_index(op.f("ix_form_submission_user_id"), TABLE, ["user_id"])
    if op.get_bind().dialect.name == "sqlite":
        for action in ACTIONS:
            op.execute(
                f"CREATE TRIGGER {TABLE}_{action}_counts AFTER {action.upper()} ON {TABLE} "
                "BEGIN UPDATE fact_version SET version = version + 1 WHERE id = 1; END"
            )


def downgrade():
    op.drop_table(TABLE)
