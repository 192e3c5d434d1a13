"""A supervisor can send a CSODS decision back to the forum instead of approving it.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26 15:00:00

Before this a decision the supervisor did not agree with could only be approved: the
application had no other way on. ``SEND_BACK`` moves it from DECIDED back to DECISION_FORUM.

- ``csods_returned_decision`` keeps what each decision sent back said (outcome, forum,
  rationale, who recorded it and when), who sent it back, when and why. On SQLite it gets the
  three ``fact_version`` triggers every table but the access log's own has (migration 0007).
- ``csods_stage_change.transition``'s CHECK allows ``SEND_BACK``. SQLite cannot alter a CHECK,
  so there the table is rebuilt from the definition below (the same columns, keys, index and
  checks) and its three triggers are made again.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

ACTIONS = ("insert", "update", "delete")
STAGES = (
    "RECEIVED", "INITIAL_CHECKS", "SCOPE_DECIDED", "INTERVIEW_DONE", "RISK_ASSESSMENT",
    "DECISION_FORUM", "DECIDED", "APPROVED", "DISCLOSURE_DELIVERED", "APPLICANT_INFORMED",
    "REFERRED", "CLOSED", "CLOSED_NOT_PROGRESSED", "CLOSED_NO_DISCLOSURE_POSSIBLE",
)  # fmt: skip
BEFORE = (
    "BEGIN_CHECKS", "IN_SCOPE", "NOT_IN_SCOPE", "VERIFIED", "NOT_VERIFIED",
    "BEGIN_RISK_ASSESSMENT", "COMPLETE_RISK_ASSESSMENT", "RECORD_DECISION", "APPROVE",
    "DELIVER_DISCLOSURE", "INFORM_APPLICANT", "REFER", "CLOSE",
)  # fmt: skip
AFTER = (*BEFORE[:9], "SEND_BACK", *BEFORE[9:])
OUTCOMES = ("DISCLOSE", "NO_DISCLOSURE", "OTHER_ACTION")
CHECK = "ck_csods_stage_change_transition"


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _stage_change(transitions):
    """``csods_stage_change`` as migration 0005 made it, with ``transitions`` allowed."""
    table = sa.Table(
        "csods_stage_change",
        sa.MetaData(),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("transition", sa.String(length=40), nullable=False),
        sa.Column("from_stage", sa.String(length=40), nullable=False),
        sa.Column("to_stage", sa.String(length=40), nullable=False),
        sa.Column("by_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(_in("from_stage", STAGES), name="ck_csods_stage_change_from_stage"),
        sa.CheckConstraint(_in("to_stage", STAGES), name="ck_csods_stage_change_to_stage"),
        sa.CheckConstraint(_in("transition", transitions), name=CHECK),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["csods_application.id"],
            name="fk_csods_stage_change_application_id_csods_application",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["by_id"],
            ["user_account.id"],
            name="fk_csods_stage_change_by_id_user_account",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_csods_stage_change"),
    )
    sa.Index("ix_csods_stage_change_application_id", table.c.application_id)
    return table


def _counts(table):
    for action in ACTIONS:
        op.execute(
            f"CREATE TRIGGER {table}_{action}_counts AFTER {action.upper()} ON {table} "
            "BEGIN UPDATE fact_version SET version = version + 1 WHERE id = 1; END"
        )


def _allow(transitions):
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table(
            "csods_stage_change", recreate="always", copy_from=_stage_change(transitions)
        ):
            pass
        _counts("csods_stage_change")
    else:
        op.drop_constraint(op.f(CHECK), "csods_stage_change", type_="check")
        op.create_check_constraint(
            op.f(CHECK), "csods_stage_change", _in("transition", transitions)
        )


def upgrade():
    op.create_table(
        "csods_returned_decision",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("forum", sa.String(length=200), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("decided_by_id", sa.Uuid(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("returned_by_id", sa.Uuid(), nullable=False),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            _in("outcome", OUTCOMES), name=op.f("ck_csods_returned_decision_outcome")
        ),
        sa.CheckConstraint(
            "returned_by_id <> decided_by_id", name=op.f("ck_csods_returned_decision_two_people")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["csods_application.id"],
            name=op.f("fk_csods_returned_decision_application_id_csods_application"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_csods_returned_decision_decided_by_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["returned_by_id"],
            ["user_account.id"],
            name=op.f("fk_csods_returned_decision_returned_by_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csods_returned_decision")),
    )
    op.create_index(
        op.f("ix_csods_returned_decision_application_id"),
        "csods_returned_decision",
        ["application_id"],
    )
    if op.get_bind().dialect.name == "sqlite":
        _counts("csods_returned_decision")
    _allow(AFTER)


def downgrade():
    op.execute("DELETE FROM csods_stage_change WHERE transition = 'SEND_BACK'")
    _allow(BEFORE)
    op.drop_table("csods_returned_decision")
