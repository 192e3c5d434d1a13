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
down_revision = '0005'
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
    _search_indexes()
    _tables()
    _disposition_rules()


def _tables():
    op.create_table('ig_alert_scan',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.Column('last_grant_check', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('id = 1', name=op.f('ck_ig_alert_scan_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ig_alert_scan'))
    )
    op.create_table('ig_alert',
    sa.Column('rule', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('subject_id', sa.Uuid(), nullable=True),
    sa.Column('grant_id', sa.Uuid(), nullable=True),
    sa.Column('event_seq', sa.BigInteger(), nullable=True),
    sa.Column('summary', sa.String(length=300), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("rule IN ('BREAK_GLASS', 'AFTER_HOURS', 'MANY_SUBJECTS', 'REPEATED_REFUSALS', 'GRANT_EXPIRING')", name=op.f('ck_ig_alert_rule')),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_ig_alert_actor_id_user_account'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ig_alert')),
    sa.UniqueConstraint('key', name=op.f('uq_ig_alert_key'))
    )
    with op.batch_alter_table('ig_alert', schema=None) as batch_op:
        batch_op.create_index('ix_ig_alert_raised_at', ['raised_at'], unique=False)

    op.create_table('break_glass_window',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint('ends_at > started_at', name=op.f('ck_break_glass_window_window')),
    sa.CheckConstraint('length(reason) >= 20', name=op.f('ck_break_glass_window_reason')),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_break_glass_window_agency_id_agency'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], name=op.f('fk_break_glass_window_subject_id_subject'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_break_glass_window_user_id_user_account'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_break_glass_window'))
    )
    with op.batch_alter_table('break_glass_window', schema=None) as batch_op:
        batch_op.create_index('ix_break_glass_window_lookup', ['user_id', 'subject_id', 'ends_at'], unique=False)

    op.create_table('ig_alert_disposition',
    sa.Column('alert_id', sa.Uuid(), nullable=False),
    sa.Column('reviewer_id', sa.Uuid(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('supersedes_id', sa.Uuid(), nullable=True),
    sa.Column('event_seq', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("outcome IN ('JUSTIFIED', 'FOLLOW_UP', 'BREACH')", name=op.f('ck_ig_alert_disposition_outcome')),
    sa.ForeignKeyConstraint(['alert_id'], ['ig_alert.id'], name=op.f('fk_ig_alert_disposition_alert_id_ig_alert'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['user_account.id'], name=op.f('fk_ig_alert_disposition_reviewer_id_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['supersedes_id'], ['ig_alert_disposition.id'], name=op.f('fk_ig_alert_disposition_supersedes_id_ig_alert_disposition'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ig_alert_disposition'))
    )
    with op.batch_alter_table('ig_alert_disposition', schema=None) as batch_op:
        batch_op.create_index('ix_ig_alert_disposition_alert', ['alert_id', 'decided_at'], unique=False)


def _disposition_rules():
    """Dispositions are never changed or deleted: a later one supersedes them."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
CREATE FUNCTION ig_disposition_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ig_alert_disposition is append-only: % refused', TG_OP;
END
$$""")
        op.execute("CREATE TRIGGER ig_alert_disposition_append_only BEFORE UPDATE OR DELETE "
                   "ON ig_alert_disposition FOR EACH ROW "
                   "EXECUTE FUNCTION ig_disposition_refuse_change()")
        return
    for op_name in ("UPDATE", "DELETE"):
        op.execute(f"""
CREATE TRIGGER ig_alert_disposition_no_{op_name.lower()} BEFORE {op_name} ON ig_alert_disposition
BEGIN
  SELECT RAISE(ABORT, 'ig_alert_disposition is append-only: {op_name} refused');
END""")


def _search_indexes():
    for column, nullable in SEARCH_COLUMNS:
        where = sa.text(f"{column} IS NOT NULL") if nullable else None
        kwargs = {"postgresql_where": where, "sqlite_where": where} if nullable else {}
        op.create_index(
            f"ix_audit_event_{column}_at", "audit_event", [column, "recorded_at", "seq"], **kwargs
        )
    op.create_index("ix_audit_event_at_seq", "audit_event", ["recorded_at", "seq"])


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ig_alert_disposition_append_only ON ig_alert_disposition")
        op.execute("DROP FUNCTION IF EXISTS ig_disposition_refuse_change()")
    else:
        op.execute("DROP TRIGGER IF EXISTS ig_alert_disposition_no_update")
        op.execute("DROP TRIGGER IF EXISTS ig_alert_disposition_no_delete")
    op.drop_table('ig_alert_disposition')
    op.drop_table('break_glass_window')
    op.drop_table('ig_alert')
    op.drop_table('ig_alert_scan')
    op.drop_index("ix_audit_event_at_seq", table_name="audit_event")
    for column, _ in reversed(SEARCH_COLUMNS):
        op.drop_index(f"ix_audit_event_{column}_at", table_name="audit_event")
