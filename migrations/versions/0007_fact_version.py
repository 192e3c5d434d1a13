"""SQLite: count the changes to the portal's facts, so a page can read before it takes the lock.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 09:00:00

On SQLite, a unit of work that only reads and records its access (``transaction(reads_only=True)``
in portal/db/transaction.py) reads and renders without the database's one write lock, then takes
it to write its access-log events, and commits them only if ``fact_version`` is what it was when
the unit read: that is, only if nothing the page or the gate decision could have read has changed
in between. Otherwise the request runs again, lock first.

Every table except the access log's own two (``audit_event``, ``audit_head``, which every audited
page writes and no gate decision reads) gets three triggers that add one to ``fact_version`` on
INSERT, UPDATE and DELETE. A table added by a later migration needs the same three (and so does a
table that migration rebuilds with ``batch_alter_table``, which drops a SQLite table's triggers);
tests/integration/db/test_reads_first.py fails until it has them. PostgreSQL needs none of this:
nothing is created there.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

#: Every table at this revision but ``audit_event`` and ``audit_head``.
TABLES = (
    "access_grant",
    "agency",
    "audit_checkpoint",
    "audit_verification",
    "break_glass_window",
    "confidentiality_acknowledgement",
    "csods_agency_check",
    "csods_application",
    "csods_child",
    "csods_decision",
    "csods_delivery",
    "csods_pause",
    "csods_referral",
    "csods_stage_change",
    "ig_alert",
    "ig_alert_disposition",
    "ig_alert_scan",
    "lao_list",
    "lao_member",
    "login_throttle",
    "mappa_action",
    "mappa_action_update",
    "mappa_carried_action",
    "mappa_meeting",
    "mappa_meeting_attendee",
    "mappa_meeting_decision",
    "mappa_minutes_recipient",
    "mappa_minutes_version",
    "shared_record",
    "subject",
    "subject_alias",
    "user_account",
    "user_identity",
    "user_role",
    "user_session",
)
ACTIONS = ("insert", "update", "delete")


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        "CREATE TABLE fact_version ("
        "id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1), "
        "version INTEGER NOT NULL)"
    )
    op.execute("INSERT INTO fact_version (id, version) VALUES (1, 0)")
    for table in TABLES:
        for action in ACTIONS:
            op.execute(
                f"CREATE TRIGGER {table}_{action}_counts AFTER {action.upper()} ON {table} "
                "BEGIN UPDATE fact_version SET version = version + 1 WHERE id = 1; END"
            )


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        for action in ACTIONS:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_{action}_counts")
    op.execute("DROP TABLE fact_version")
