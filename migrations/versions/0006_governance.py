"""Information governance: search indexes on the access log; alerts, dispositions, break-glass.

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-23 15:45:00

The IG search reads the log newest first by ``(recorded_at, seq)`` and pages by keyset, so each
filter column gets an index ``(column, recorded_at, seq)`` (partial on ``column IS NOT NULL``
when the column may be empty), and the date range alone ``(recorded_at, seq)``.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0003'
branch_labels = None
depends_on = None

SEARCH_COLUMNS = (
    ("actor_id", True),
    ("actor_agency_id", True),
    ("subject_id", True),
    ("record_id", True),
    ("grant_id", True),
    ("event_type", False),
    ("legal_gateway", True),
    ("dp_condition", True),
    ("marking", True),
)


def upgrade():
    for column, nullable in SEARCH_COLUMNS:
        where = sa.text(f"{column} IS NOT NULL") if nullable else None
        kwargs = {"postgresql_where": where, "sqlite_where": where} if nullable else {}
        op.create_index(
            f"ix_audit_event_{column}_at", "audit_event", [column, "recorded_at", "seq"], **kwargs
        )
    op.create_index("ix_audit_event_at_seq", "audit_event", ["recorded_at", "seq"])


def downgrade():
    op.drop_index("ix_audit_event_at_seq", table_name="audit_event")
    for column, _ in reversed(SEARCH_COLUMNS):
        op.drop_index(f"ix_audit_event_{column}_at", table_name="audit_event")
