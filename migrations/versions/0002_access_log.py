"""The access log: append-only hash-chained events, head, checkpoints, verifications, roles.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 09:00:00

Both databases get the same tables and the same rules, enforced by triggers:

- ``audit_event``, ``audit_checkpoint`` and ``audit_verification`` refuse UPDATE and DELETE
  (and TRUNCATE on PostgreSQL);
- an insert into ``audit_event`` must extend the chain head (``seq = head.seq + 1``,
  ``prev_hash = head.hash``; on PostgreSQL the row hash is recomputed too), and the head then
  moves onto it; the head cannot be moved any other way, nor deleted.

On PostgreSQL the tables belong to ``portal_owner`` (NOLOGIN). ``portal_app`` (NOLOGIN; the
web application logs in as a role that is a member of it, see ``docs/audit.md``) may only
SELECT and INSERT the log, SELECT the head, and lock the head through ``audit_lock_head()``, a
SECURITY DEFINER function. Not being an owner or a superuser, it can neither disable the
triggers nor set ``session_replication_role``. Roles are cluster-wide, so creating them is
idempotent, and the downgrade keeps them.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

OWNER_ROLE = "portal_owner"
APP_ROLE = "portal_app"
APPEND_ONLY = ("audit_event", "audit_checkpoint", "audit_verification")
TABLES = ("audit_event", "audit_head", "audit_checkpoint", "audit_verification")
EVENT_TYPES = (
    "COLLECTION", "ALTERATION", "CONSULTATION", "DISCLOSURE", "COMBINATION", "ERASURE",
    "AUTHZ_FAIL", "LOGIN", "LOGIN_FAILED", "LOGOUT", "MFA_RESET", "SESSION_ENDED",
    "USER_CHANGED", "GRANT_CHANGED", "BREAK_GLASS", "LOG_READ", "LOG_EXPORTED", "CHECKPOINT",
)
OUTCOMES = ("success", "failure", "denied")
PARTIAL_INDEXES = (
    "actor_id", "actor_agency_id", "subject_id", "record_id", "grant_id", "target_user_id",
)


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        _create_roles()
        _grant_existing_tables()
    _create_tables()
    if dialect == "postgresql":
        _postgresql_rules()
    else:
        _sqlite_rules()


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        schema = _schema()
        for table in TABLES:
            op.execute(f"DROP TABLE {table} CASCADE")
        for function in (
            "audit_lock_head()", "audit_event_extend_head()", "audit_head_guard()",
            "audit_refuse_change()",
        ):
            op.execute(f"DROP FUNCTION IF EXISTS {function}")
        op.execute(
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
            f"REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM {APP_ROLE}"
        )
        op.execute(
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
            f"REVOKE USAGE, SELECT ON SEQUENCES FROM {APP_ROLE}"
        )
        op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {APP_ROLE}")
        op.execute(f"REVOKE USAGE ON SCHEMA {schema} FROM {APP_ROLE}")
        return
    for name in (
        "audit_event_no_update", "audit_event_no_delete", "audit_event_extends_head",
        "audit_event_advance_head", "audit_head_forward_only", "audit_head_no_delete",
        "audit_checkpoint_no_update", "audit_checkpoint_no_delete",
        "audit_verification_no_update", "audit_verification_no_delete",
    ):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table('audit_verification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_verification_verified_at'))
    op.drop_table('audit_verification')
    op.drop_table('audit_checkpoint')
    op.drop_table('audit_head')
    op.drop_table('audit_event')


def _schema():
    name = op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one()
    return '"' + name.replace('"', '""') + '"'


def _create_tables():
    op.create_table('audit_event',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('event_type', sa.String(length=32), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('actor_agency_id', sa.Uuid(), nullable=True),
    sa.Column('subject_id', sa.Uuid(), nullable=True),
    sa.Column('record_id', sa.Uuid(), nullable=True),
    sa.Column('grant_id', sa.Uuid(), nullable=True),
    sa.Column('target_user_id', sa.Uuid(), nullable=True),
    sa.Column('legal_gateway', sa.String(length=48), nullable=True),
    sa.Column('dp_condition', sa.String(length=48), nullable=True),
    sa.Column('marking', sa.String(length=200), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('row_hash', sa.LargeBinary(length=32), nullable=False),
    sa.CheckConstraint('seq > 0', name=op.f('ck_audit_event_seq_positive')),
    sa.CheckConstraint(_in('event_type', EVENT_TYPES), name=op.f('ck_audit_event_event_type')),
    sa.CheckConstraint(_in('outcome', OUTCOMES), name=op.f('ck_audit_event_outcome')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_event'))
    )
    op.create_index('ix_audit_event_recorded_at', 'audit_event', ['recorded_at'])
    op.create_index('ix_audit_event_event_type_seq', 'audit_event', ['event_type', 'seq'])
    for column in PARTIAL_INDEXES:
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(
            f'ix_audit_event_{column}_seq', 'audit_event', [column, 'seq'],
            postgresql_where=where, sqlite_where=where,
        )
    head = op.create_table('audit_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.LargeBinary(length=32), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_audit_head_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": bytes(32)}])  # genesis
    op.create_table('audit_checkpoint',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('head_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('key_id', sa.String(length=32), nullable=False),
    sa.Column('signature', sa.LargeBinary(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_checkpoint'))
    )
    op.create_table('audit_verification',
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('intact', sa.Boolean(), nullable=False),
    sa.Column('from_seq', sa.BigInteger(), nullable=False),
    sa.Column('through_seq', sa.BigInteger(), nullable=False),
    sa.Column('head_hash', sa.LargeBinary(length=32), nullable=True),
    sa.Column('checkpoint_seq', sa.BigInteger(), nullable=True),
    sa.Column('problem', sa.String(length=300), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("mode IN ('full', 'since_checkpoint')", name=op.f('ck_audit_verification_mode')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_verification'))
    )
    with op.batch_alter_table('audit_verification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_verification_verified_at'), ['verified_at'], unique=False)


# --- PostgreSQL ---------------------------------------------------------------------------

def _create_roles():
    # Roles are cluster-wide and every test database is a copy of one template on one cluster:
    # create each only if missing, and tolerate another session creating it at the same moment.
    for role in (OWNER_ROLE, APP_ROLE):
        op.execute(f"""
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
    BEGIN
      CREATE ROLE {role} NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
  END IF;
END
$$""")
    # Whoever migrates must be able to hand the access-log objects to the owner role.
    op.execute(f"""
DO $$
BEGIN
  IF NOT pg_has_role(current_user, '{OWNER_ROLE}', 'MEMBER') THEN
    EXECUTE format('GRANT {OWNER_ROLE} TO %I', current_user);
  END IF;
END
$$""")


def _grant_existing_tables():
    """The application role works on the tables of earlier migrations like any application;
    the schema version is read-only to it."""
    schema = _schema()
    op.execute(f"GRANT USAGE ON SCHEMA {schema} TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {APP_ROLE}")
    op.execute(f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {APP_ROLE}")


def _postgresql_rules():
    schema = _schema()
    path = f"SET search_path = {schema}, pg_temp"
    op.execute(f"""
CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql {path} AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END
$$""")
    op.execute(f"""
CREATE FUNCTION audit_lock_head() RETURNS TABLE (seq bigint, hash bytea)
LANGUAGE sql SECURITY DEFINER {path} AS $$
  SELECT h.seq, h.hash FROM audit_head AS h WHERE h.id = 1 FOR UPDATE
$$""")
    # BEFORE INSERT, so that a multi-row INSERT checks each row against the head the previous
    # row left (AFTER ROW triggers would all run at the end of the statement).
    op.execute(f"""
CREATE FUNCTION audit_event_extend_head() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER {path}
AS $$
DECLARE
  head_seq bigint;
  head_hash bytea;
BEGIN
  SELECT h.seq, h.hash INTO head_seq, head_hash FROM audit_head AS h WHERE h.id = 1 FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'audit_head is missing';
  END IF;
  IF NEW.seq IS DISTINCT FROM head_seq + 1 OR NEW.prev_hash IS DISTINCT FROM head_hash THEN
    RAISE EXCEPTION 'audit_event % does not extend the chain head %', NEW.seq, head_seq
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF NEW.row_hash IS DISTINCT FROM
     sha256(head_hash || int8send(NEW.seq) || sha256(convert_to(NEW.body, 'UTF8'))) THEN
    RAISE EXCEPTION 'audit_event % does not carry its chain hash', NEW.seq
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  UPDATE audit_head SET seq = NEW.seq, hash = NEW.row_hash WHERE id = 1;
  RETURN NEW;
END
$$""")
    op.execute(f"""
CREATE FUNCTION audit_head_guard() RETURNS trigger LANGUAGE plpgsql {path} AS $$
BEGIN
  IF TG_OP <> 'UPDATE' OR pg_trigger_depth() < 2 OR NEW.id <> 1 OR NEW.seq <> OLD.seq + 1 THEN
    RAISE EXCEPTION 'audit_head moves only when an event is appended (% refused)', TG_OP;
  END IF;
  RETURN NEW;
END
$$""")
    op.execute("CREATE TRIGGER audit_event_extends_head BEFORE INSERT ON audit_event "
               "FOR EACH ROW EXECUTE FUNCTION audit_event_extend_head()")
    op.execute("CREATE TRIGGER audit_head_guard BEFORE UPDATE OR DELETE ON audit_head "
               "FOR EACH ROW EXECUTE FUNCTION audit_head_guard()")
    op.execute("CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head "
               "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()")
    for table in APPEND_ONLY:
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()")
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()")
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} OWNER TO {OWNER_ROLE}")
        op.execute(f"REVOKE ALL ON {table} FROM PUBLIC")
    for function in (
        "audit_refuse_change()", "audit_lock_head()", "audit_event_extend_head()",
        "audit_head_guard()",
    ):
        op.execute(f"ALTER FUNCTION {function} OWNER TO {OWNER_ROLE}")
        op.execute(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION audit_lock_head() TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT ON {', '.join(APPEND_ONLY)} TO {APP_ROLE}")
    op.execute(f"GRANT SELECT ON audit_head TO {APP_ROLE}")
    # Tables of later migrations are the application's to use, unless they say otherwise.
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
               f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
               f"GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}")


# --- SQLite -------------------------------------------------------------------------------

def _sqlite_rules():
    for table in APPEND_ONLY:
        for op_name in ("UPDATE", "DELETE"):
            op.execute(f"""
CREATE TRIGGER {table}_no_{op_name.lower()} BEFORE {op_name} ON {table}
BEGIN
  SELECT RAISE(ABORT, '{table} is append-only: {op_name} refused');
END""")
    op.execute("""
CREATE TRIGGER audit_event_extends_head BEFORE INSERT ON audit_event
WHEN NEW.seq IS NOT (SELECT seq + 1 FROM audit_head WHERE id = 1)
  OR NEW.prev_hash IS NOT (SELECT hash FROM audit_head WHERE id = 1)
BEGIN
  SELECT RAISE(ABORT, 'audit_event does not extend the chain head');
END""")
    op.execute("""
CREATE TRIGGER audit_event_advance_head AFTER INSERT ON audit_event
BEGIN
  UPDATE audit_head SET seq = NEW.seq, hash = NEW.row_hash WHERE id = 1;
END""")
    op.execute("""
CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head
WHEN NEW.id IS NOT 1 OR NEW.seq IS NOT OLD.seq + 1
  OR NEW.hash IS NOT (SELECT row_hash FROM audit_event WHERE seq = NEW.seq)
BEGIN
  SELECT RAISE(ABORT, 'audit_head moves only when an event is appended');
END""")
    op.execute("""
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
BEGIN
  SELECT RAISE(ABORT, 'audit_head cannot be deleted');
END""")
