"""A password chosen by an administrator must be changed at the user's next password sign-in.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 09:45:00

``user_account.password_change_required`` is set when an administrator adds a user or sets a new
password for one, and cleared when the user changes it. Existing accounts start without it.
Adding a column keeps the table's SQLite ``fact_version`` triggers (migration 0007), and the
application role's table-level privileges cover the new column on PostgreSQL.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        'user_account',
        sa.Column('password_change_required', sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade():
    op.drop_column('user_account', 'password_change_required')
