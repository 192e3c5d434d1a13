"""Each MAPPA action records the minutes version that raised it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 16:00:00

Actions belong to the meeting, and partners used to follow them once any version of its minutes
had been distributed, so an action raised in the draft of an amendment (version 2 of minutes
whose version 1 went out) reached partners before the chair had approved or sent it.
``mappa_action.minutes_version`` is the number of the version whose draft raised the action; a
partner follows it once their agency has received that version or a later one.

Existing actions take the latest version created at or before the action (actions were only
added while the latest version was a draft, so that is the draft that raised it), or 1 when
none is older. SQLite adds a NOT NULL column only with a default, so the column arrives with
DEFAULT 1 before the backfill; PostgreSQL then drops the default (the application always sets
the value), while SQLite keeps it, as removing it would rebuild the table and drop its
``fact_version`` triggers (migration 0007). Adding and dropping a column keeps those triggers.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

BACKFILL = """
UPDATE mappa_action SET minutes_version = COALESCE((
    SELECT MAX(v.number) FROM mappa_minutes_version v
    WHERE v.meeting_id = mappa_action.meeting_id AND v.created_at <= mappa_action.created_at
), 1)
"""


def upgrade():
    op.add_column(
        'mappa_action',
        sa.Column(
            'minutes_version',
            sa.Integer(),
            sa.CheckConstraint(
                'minutes_version >= 1', name=op.f('ck_mappa_action_minutes_version')
            ),
            server_default='1',
            nullable=False,
        ),
    )
    op.execute(BACKFILL)
    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column('mappa_action', 'minutes_version', server_default=None)


def downgrade():
    op.drop_column('mappa_action', 'minutes_version')
