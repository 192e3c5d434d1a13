"""Record who made a CSODS disclosure.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26 12:00:00

A disclosure under the scheme is made in person, often by two officers, who may not be the
person who records it (domain §8.1, DisclosureDecision: "discloser(s)").
``csods_delivery.disclosed_by`` holds their names and roles. The delivery page asks for it for a
disclosure; deliveries recorded before this migration show "Not recorded".
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("csods_delivery", sa.Column("disclosed_by", sa.String(length=300)))


def downgrade():
    # SQLite 3.35+ drops a column in place, so the table keeps its fact_version triggers.
    op.drop_column("csods_delivery", "disclosed_by")
