"""Verification results are ordered as they were stored, and dated by the database.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 16:00:00

``audit_verification`` held whatever ``verified_at`` its inserter gave; the IG status panel showed
the row with the newest one and ``--since-checkpoint`` resumed from the highest checkpoint of any
intact row. The application role must keep INSERT (the IG panel runs the verifier in the web
application, and ``flask audit verify`` runs as the same role, see ``docs/audit.md``), so one row
dated 2999 saying "intact" masked every real result after it.

``seq`` now numbers the results in the order they were stored, and the portal orders by it:

- PostgreSQL: a BEFORE INSERT trigger, SECURITY DEFINER and owned by ``portal_owner``, sets
  ``seq`` from ``audit_verification_seq`` (which only ``portal_owner`` may use) and
  ``verified_at`` to the database's ``now()``, whatever the insert said.
- SQLite has no roles (its triggers stop mistakes) and its triggers cannot change the row being
  inserted: one refuses a row whose ``seq`` is not one more than the last. ``verified_at`` stays
  as written; nothing orders by it any more.

Existing rows are numbered in the order they were stored on SQLite (``rowid``: the table is
append-only) and in ``verified_at`` order on PostgreSQL, which keeps no insertion order: a row
dated in the future stays last until the next run is stored.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

OWNER_ROLE = "portal_owner"
APP_ROLE = "portal_app"
SEQUENCE = "audit_verification_seq"
INDEX = "ix_audit_verification_seq"


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_upgrade()
    else:
        _sqlite_upgrade()
    op.create_index(INDEX, "audit_verification", ["seq"], unique=True)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_verification_stamp ON audit_verification")
        op.execute("DROP FUNCTION audit_verification_stamp()")
    else:
        op.execute("DROP TRIGGER audit_verification_in_order")
    op.drop_index(INDEX, table_name="audit_verification")
    op.drop_column("audit_verification", "seq")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP SEQUENCE {SEQUENCE}")


def _schema():
    name = op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one()
    return '"' + name.replace('"', '""') + '"'


# --- PostgreSQL ---------------------------------------------------------------------------

def _postgresql_upgrade():
    op.add_column("audit_verification", sa.Column("seq", sa.BigInteger(), nullable=True))
    # The append-only trigger is off for this one UPDATE, inside the migration's transaction
    # (whoever migrates is a member of the owner role: migration 0002).
    op.execute("ALTER TABLE audit_verification DISABLE TRIGGER audit_verification_append_only")
    op.execute("""
UPDATE audit_verification AS v SET seq = n.seq
FROM (SELECT id, row_number() OVER (ORDER BY verified_at, id) AS seq
      FROM audit_verification) AS n
WHERE v.id = n.id""")
    op.execute("ALTER TABLE audit_verification ENABLE TRIGGER audit_verification_append_only")
    op.alter_column("audit_verification", "seq", nullable=False)
    op.execute(f"CREATE SEQUENCE {SEQUENCE} AS bigint")
    op.execute(
        f"SELECT setval('{SEQUENCE}', coalesce(max(seq), 0) + 1, false) FROM audit_verification"
    )
    path = f"SET search_path = {_schema()}, pg_temp"
    op.execute(f"""
CREATE FUNCTION audit_verification_stamp() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER {path}
AS $$
BEGIN
  NEW.seq := nextval('{SEQUENCE}');
  NEW.verified_at := now();
  RETURN NEW;
END
$$""")
    op.execute("CREATE TRIGGER audit_verification_stamp BEFORE INSERT ON audit_verification "
               "FOR EACH ROW EXECUTE FUNCTION audit_verification_stamp()")
    # Default privileges (migration 0002) gave the application role the new sequence: take it
    # back, so the only way to a number is the trigger.
    op.execute(f"ALTER SEQUENCE {SEQUENCE} OWNER TO {OWNER_ROLE}")
    op.execute(f"REVOKE ALL ON SEQUENCE {SEQUENCE} FROM PUBLIC, {APP_ROLE}")
    op.execute(f"ALTER FUNCTION audit_verification_stamp() OWNER TO {OWNER_ROLE}")
    op.execute("REVOKE ALL ON FUNCTION audit_verification_stamp() FROM PUBLIC")


# --- SQLite -------------------------------------------------------------------------------

def _sqlite_upgrade():
    # ADD COLUMN keeps the table's triggers (a batch rebuild would drop them); NOT NULL needs a
    # default there, and 0 is never the next number, so an insert that forgets it is refused.
    op.add_column(
        "audit_verification",
        sa.Column("seq", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
    )
    op.execute("DROP TRIGGER audit_verification_no_update")
    op.execute("""
UPDATE audit_verification SET seq = (
  SELECT count(*) FROM audit_verification AS o WHERE o.rowid <= audit_verification.rowid
)""")
    op.execute("""
CREATE TRIGGER audit_verification_no_update BEFORE UPDATE ON audit_verification
BEGIN
  SELECT RAISE(ABORT, 'audit_verification is append-only: UPDATE refused');
END""")
    op.execute("""
CREATE TRIGGER audit_verification_in_order BEFORE INSERT ON audit_verification
WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM audit_verification)
BEGIN
  SELECT RAISE(ABORT, 'audit_verification is numbered in order: seq must follow the last');
END""")
