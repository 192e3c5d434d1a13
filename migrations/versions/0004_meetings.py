"""MAPPA meetings: attendees, decisions, versioned minutes and their recipients, actions, updates, carried-forward actions.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 15:36:29.763236

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "mappa_meeting",
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("owner_agency_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("is_virtual", sa.Boolean(), nullable=False),
        sa.Column("mappa_area", sa.String(length=100), nullable=False),
        sa.Column("chair_name", sa.String(length=200), nullable=True),
        sa.Column("chair_agency_id", sa.Uuid(), nullable=True),
        sa.Column("chair_role", sa.String(length=200), nullable=True),
        sa.Column("confidentiality_read", sa.Boolean(), nullable=False),
        sa.Column("category_level_confirmed", sa.Boolean(), nullable=False),
        sa.Column("rosh_children", sa.String(length=16), nullable=True),
        sa.Column("rosh_public", sa.String(length=16), nullable=True),
        sa.Column("rosh_known_adult", sa.String(length=16), nullable=True),
        sa.Column("rosh_staff", sa.String(length=16), nullable=True),
        sa.Column("victim_issues", sa.Text(), nullable=False),
        sa.Column("diversity_issues", sa.Text(), nullable=False),
        sa.Column("dissent", sa.Text(), nullable=False),
        sa.Column("discussion", sa.Text(), nullable=False),
        sa.Column("level_decision", sa.Integer(), nullable=True),
        sa.Column("lead_agency_id", sa.Uuid(), nullable=True),
        sa.Column("next_review_on", sa.Date(), nullable=True),
        sa.Column("grace_days", sa.Integer(), nullable=False),
        sa.Column("marking", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("kind IN ('INITIAL', 'REVIEW')", name=op.f("ck_mappa_meeting_kind")),
        sa.CheckConstraint("grace_days BETWEEN 0 AND 90", name=op.f("ck_mappa_meeting_grace_days")),
        sa.CheckConstraint("level BETWEEN 2 AND 3", name=op.f("ck_mappa_meeting_level")),
        sa.CheckConstraint(
            "level_decision IS NULL OR level_decision BETWEEN 1 AND 3",
            name=op.f("ck_mappa_meeting_decided"),
        ),
        sa.CheckConstraint("sequence >= 1", name=op.f("ck_mappa_meeting_sequence")),
        sa.ForeignKeyConstraint(
            ["chair_agency_id"],
            ["agency.id"],
            name=op.f("fk_mappa_meeting_chair_agency_id_agency"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_mappa_meeting_created_by_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["lead_agency_id"],
            ["agency.id"],
            name=op.f("fk_mappa_meeting_lead_agency_id_agency"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["owner_agency_id"],
            ["agency.id"],
            name=op.f("fk_mappa_meeting_owner_agency_id_agency"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subject.id"],
            name=op.f("fk_mappa_meeting_subject_id_subject"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mappa_meeting")),
        sa.UniqueConstraint("subject_id", "sequence", name=op.f("uq_mappa_meeting_subject_id")),
    )
    with op.batch_alter_table("mappa_meeting", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mappa_meeting_subject_id"), ["subject_id"], unique=False
        )

    op.create_table(
        "mappa_action",
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("pillar", sa.String(length=24), nullable=False),
        sa.Column("owner_agency_id", sa.Uuid(), nullable=False),
        sa.Column("owner_person", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("marking", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "pillar IN ('SUPERVISION', 'MONITORING_CONTROL', 'INTERVENTIONS', 'VICTIM_SAFETY')",
            name=op.f("ck_mappa_action_pillar"),
        ),
        sa.CheckConstraint(
            "status IN ('OPEN', 'IN_PROGRESS', 'COMPLETED', 'NOT_ACHIEVED', 'SUPERSEDED', 'CANCELLED')",
            name=op.f("ck_mappa_action_status"),
        ),
        sa.CheckConstraint("length(description) > 0", name=op.f("ck_mappa_action_description")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_mappa_action_created_by_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["mappa_meeting.id"],
            name=op.f("fk_mappa_action_meeting_id_mappa_meeting"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["owner_agency_id"],
            ["agency.id"],
            name=op.f("fk_mappa_action_owner_agency_id_agency"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subject.id"],
            name=op.f("fk_mappa_action_subject_id_subject"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mappa_action")),
    )
    with op.batch_alter_table("mappa_action", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mappa_action_meeting_id"), ["meeting_id"], unique=False
        )
        batch_op.create_index(
            "ix_mappa_action_owner_due", ["owner_agency_id", "due_on", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_mappa_action_subject_id"), ["subject_id"], unique=False
        )

    op.create_table(
        "mappa_meeting_attendee",
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=200), nullable=False),
        sa.Column("attendance", sa.String(length=16), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "attendance IN ('PRESENT', 'APOLOGIES')",
            name=op.f("ck_mappa_meeting_attendee_attendance"),
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agency.id"],
            name=op.f("fk_mappa_meeting_attendee_agency_id_agency"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["mappa_meeting.id"],
            name=op.f("fk_mappa_meeting_attendee_meeting_id_mappa_meeting"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mappa_meeting_attendee")),
    )
    with op.batch_alter_table("mappa_meeting_attendee", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mappa_meeting_attendee_meeting_id"), ["meeting_id"], unique=False
        )

    op.create_table(
        "mappa_meeting_decision",
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("length(decision) > 0", name=op.f("ck_mappa_meeting_decision_decision")),
        sa.CheckConstraint(
            "length(rationale) > 0", name=op.f("ck_mappa_meeting_decision_rationale")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["mappa_meeting.id"],
            name=op.f("fk_mappa_meeting_decision_meeting_id_mappa_meeting"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mappa_meeting_decision")),
    )
    with op.batch_alter_table("mappa_meeting_decision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mappa_meeting_decision_meeting_id"), ["meeting_id"], unique=False
        )

    op.create_table(
        "mappa_minutes_version",
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("amendment_reason", sa.Text(), nullable=True),
        sa.Column("snapshot", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by_id", sa.Uuid(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("distributed_by_id", sa.Uuid(), nullable=True),
        sa.Column("distributed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "status = 'DRAFT' OR snapshot IS NOT NULL", name=op.f("ck_mappa_minutes_version_frozen")
        ),
        sa.CheckConstraint(
            "status IN ('DRAFT', 'CHAIR_APPROVED', 'DISTRIBUTED')",
            name=op.f("ck_mappa_minutes_version_status"),
        ),
        sa.CheckConstraint("number >= 1", name=op.f("ck_mappa_minutes_version_number")),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["user_account.id"],
            name=op.f("fk_mappa_minutes_version_approved_by_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_mappa_minutes_version_created_by_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["distributed_by_id"],
            ["user_account.id"],
            name=op.f("fk_mappa_minutes_version_distributed_by_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["mappa_meeting.id"],
            name=op.f("fk_mappa_minutes_version_meeting_id_mappa_meeting"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mappa_minutes_version")),
        sa.UniqueConstraint(
            "meeting_id", "number", name=op.f("uq_mappa_minutes_version_meeting_id")
        ),
    )
    with op.batch_alter_table("mappa_minutes_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mappa_minutes_version_meeting_id"), ["meeting_id"], unique=False
        )

    op.create_table(
        "mappa_action_update",
        sa.Column("action_id", sa.Uuid(), nullable=False),
        sa.Column("status_from", sa.String(length=16), nullable=False),
        sa.Column("status_to", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("author_agency_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "status_to IN ('OPEN', 'IN_PROGRESS', 'COMPLETED', 'NOT_ACHIEVED', 'SUPERSEDED', 'CANCELLED')",
            name=op.f("ck_mappa_action_update_status_to"),
        ),
        sa.CheckConstraint("length(note) > 0", name=op.f("ck_mappa_action_update_note")),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["mappa_action.id"],
            name=op.f("fk_mappa_action_update_action_id_mappa_action"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["author_agency_id"],
            ["agency.id"],
            name=op.f("fk_mappa_action_update_author_agency_id_agency"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user_account.id"],
            name=op.f("fk_mappa_action_update_author_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mappa_action_update")),
    )
    with op.batch_alter_table("mappa_action_update", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mappa_action_update_action_id"), ["action_id"], unique=False
        )

    op.create_table(
        "mappa_carried_action",
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("action_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["mappa_action.id"],
            name=op.f("fk_mappa_carried_action_action_id_mappa_action"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["mappa_meeting.id"],
            name=op.f("fk_mappa_carried_action_meeting_id_mappa_meeting"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("meeting_id", "action_id", name=op.f("pk_mappa_carried_action")),
    )
    op.create_table(
        "mappa_minutes_recipient",
        sa.Column("version_id", sa.Uuid(), nullable=False),
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("grant_id", sa.Uuid(), nullable=False),
        sa.Column("dp_condition", sa.String(length=48), nullable=False),
        sa.Column("chair_consent", sa.Text(), nullable=True),
        sa.Column("distributed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agency.id"],
            name=op.f("fk_mappa_minutes_recipient_agency_id_agency"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["access_grant.id"],
            name=op.f("fk_mappa_minutes_recipient_grant_id_access_grant"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["mappa_meeting.id"],
            name=op.f("fk_mappa_minutes_recipient_meeting_id_mappa_meeting"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["mappa_minutes_version.id"],
            name=op.f("fk_mappa_minutes_recipient_version_id_mappa_minutes_version"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mappa_minutes_recipient")),
        sa.UniqueConstraint(
            "version_id", "agency_id", name=op.f("uq_mappa_minutes_recipient_version_id")
        ),
    )
    with op.batch_alter_table("mappa_minutes_recipient", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mappa_minutes_recipient_meeting_id"), ["meeting_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_mappa_minutes_recipient_version_id"), ["version_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("mappa_minutes_recipient", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mappa_minutes_recipient_version_id"))
        batch_op.drop_index(batch_op.f("ix_mappa_minutes_recipient_meeting_id"))

    op.drop_table("mappa_minutes_recipient")
    op.drop_table("mappa_carried_action")
    with op.batch_alter_table("mappa_action_update", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mappa_action_update_action_id"))

    op.drop_table("mappa_action_update")
    with op.batch_alter_table("mappa_minutes_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mappa_minutes_version_meeting_id"))

    op.drop_table("mappa_minutes_version")
    with op.batch_alter_table("mappa_meeting_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mappa_meeting_decision_meeting_id"))

    op.drop_table("mappa_meeting_decision")
    with op.batch_alter_table("mappa_meeting_attendee", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mappa_meeting_attendee_meeting_id"))

    op.drop_table("mappa_meeting_attendee")
    with op.batch_alter_table("mappa_action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mappa_action_subject_id"))
        batch_op.drop_index("ix_mappa_action_owner_due")
        batch_op.drop_index(batch_op.f("ix_mappa_action_meeting_id"))

    op.drop_table("mappa_action")
    with op.batch_alter_table("mappa_meeting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mappa_meeting_subject_id"))

    op.drop_table("mappa_meeting")
