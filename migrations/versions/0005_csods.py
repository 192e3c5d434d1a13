"""CSODS: applications, children, agency checks, stage history, pauses, referrals, decisions, deliveries.

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-23 15:34:16.894578

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('csods_application',
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('urn', sa.String(length=60), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('officer_id', sa.Uuid(), nullable=False),
    sa.Column('applicant_family_name', sa.String(length=100), nullable=False),
    sa.Column('applicant_given_names', sa.String(length=200), nullable=False),
    sa.Column('applicant_other_names', sa.String(length=200), nullable=True),
    sa.Column('applicant_date_of_birth', sa.Date(), nullable=True),
    sa.Column('applicant_address', sa.String(length=500), nullable=False),
    sa.Column('contact_method', sa.String(length=200), nullable=False),
    sa.Column('safe_contact', sa.String(length=1000), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=True),
    sa.Column('subject_family_name', sa.String(length=100), nullable=True),
    sa.Column('subject_given_names', sa.String(length=200), nullable=True),
    sa.Column('subject_date_of_birth', sa.Date(), nullable=True),
    sa.Column('subject_address', sa.String(length=500), nullable=True),
    sa.Column('subject_relationship_to_applicant', sa.String(length=200), nullable=False),
    sa.Column('stage', sa.String(length=40), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('stage_entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('phase_started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('checks_made', sa.Text(), nullable=True),
    sa.Column('scope_explanation', sa.Text(), nullable=True),
    sa.Column('evidence_identity', sa.String(length=200), nullable=True),
    sa.Column('evidence_address', sa.String(length=200), nullable=True),
    sa.Column('evidence_relationship', sa.String(length=200), nullable=True),
    sa.Column('interview_notes', sa.Text(), nullable=True),
    sa.Column('risk_assessment', sa.Text(), nullable=True),
    sa.Column('closing_note', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("channel IN ('ONLINE', 'PHONE', 'IN_PERSON')", name=op.f('ck_csods_application_channel')),
    sa.CheckConstraint("outcome IS NULL OR outcome IN ('DISCLOSE', 'NO_DISCLOSURE', 'OTHER_ACTION')", name=op.f('ck_csods_application_outcome')),
    sa.CheckConstraint("stage IN ('RECEIVED', 'INITIAL_CHECKS', 'SCOPE_DECIDED', 'INTERVIEW_DONE', 'RISK_ASSESSMENT', 'DECISION_FORUM', 'DECIDED', 'APPROVED', 'DISCLOSURE_DELIVERED', 'APPLICANT_INFORMED', 'REFERRED', 'CLOSED', 'CLOSED_NOT_PROGRESSED', 'CLOSED_NO_DISCLOSURE_POSSIBLE')", name=op.f('ck_csods_application_stage')),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_csods_application_agency_id_agency'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['officer_id'], ['user_account.id'], name=op.f('fk_csods_application_officer_id_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], name=op.f('fk_csods_application_subject_id_subject'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_csods_application')),
    sa.UniqueConstraint('agency_id', 'urn', name='agency_urn')
    )
    with op.batch_alter_table('csods_application', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_csods_application_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_csods_application_stage'), ['stage'], unique=False)
        batch_op.create_index(batch_op.f('ix_csods_application_subject_id'), ['subject_id'], unique=False)

    op.create_table('csods_agency_check',
    sa.Column('application_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('agency', sa.String(length=200), nullable=False),
    sa.Column('answer', sa.String(length=1000), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['csods_application.id'], name=op.f('fk_csods_agency_check_application_id_csods_application'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_csods_agency_check'))
    )
    with op.batch_alter_table('csods_agency_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_csods_agency_check_application_id'), ['application_id'], unique=False)

    op.create_table('csods_child',
    sa.Column('application_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('age', sa.Integer(), nullable=True),
    sa.Column('lives_with', sa.String(length=200), nullable=False),
    sa.Column('applicant_relationship', sa.String(length=100), nullable=False),
    sa.Column('subject_relationship', sa.String(length=100), nullable=False),
    sa.Column('mother_knows', sa.String(length=10), nullable=False),
    sa.Column('father_knows', sa.String(length=10), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("father_knows IN ('YES', 'NO', 'NOT_KNOWN')", name=op.f('ck_csods_child_father_knows')),
    sa.CheckConstraint("mother_knows IN ('YES', 'NO', 'NOT_KNOWN')", name=op.f('ck_csods_child_mother_knows')),
    sa.CheckConstraint('age IS NULL OR (age >= 0 AND age < 18)', name=op.f('ck_csods_child_age')),
    sa.CheckConstraint('date_of_birth IS NOT NULL OR age IS NOT NULL', name=op.f('ck_csods_child_dob_or_age')),
    sa.ForeignKeyConstraint(['application_id'], ['csods_application.id'], name=op.f('fk_csods_child_application_id_csods_application'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_csods_child'))
    )
    with op.batch_alter_table('csods_child', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_csods_child_application_id'), ['application_id'], unique=False)

    op.create_table('csods_decision',
    sa.Column('application_id', sa.Uuid(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('forum', sa.String(length=200), nullable=False),
    sa.Column('attendees', sa.String(length=1000), nullable=False),
    sa.Column('rationale', sa.Text(), nullable=False),
    sa.Column('pressing_need', sa.Text(), nullable=False),
    sa.Column('recipient_name', sa.String(length=200), nullable=True),
    sa.Column('recipient_relationship', sa.String(length=100), nullable=True),
    sa.Column('recipient_why', sa.Text(), nullable=True),
    sa.Column('wording', sa.Text(), nullable=True),
    sa.Column('legal_gateway', sa.String(length=48), nullable=True),
    sa.Column('dp_condition', sa.String(length=48), nullable=True),
    sa.Column('safety_plan', sa.Text(), nullable=True),
    sa.Column('referrals', sa.Text(), nullable=True),
    sa.Column('non_disclosure_reasons', sa.Text(), nullable=True),
    sa.Column('decided_by_id', sa.Uuid(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('approved_by_id', sa.Uuid(), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("outcome <> 'DISCLOSE' OR (recipient_name IS NOT NULL AND wording IS NOT NULL AND legal_gateway IS NOT NULL AND dp_condition IS NOT NULL)", name=op.f('ck_csods_decision_disclosure_complete')),
    sa.CheckConstraint("outcome IN ('DISCLOSE', 'NO_DISCLOSURE', 'OTHER_ACTION')", name=op.f('ck_csods_decision_outcome')),
    sa.CheckConstraint('approved_by_id IS NULL OR approved_by_id <> decided_by_id', name=op.f('ck_csods_decision_two_people')),
    sa.ForeignKeyConstraint(['application_id'], ['csods_application.id'], name=op.f('fk_csods_decision_application_id_csods_application'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['approved_by_id'], ['user_account.id'], name=op.f('fk_csods_decision_approved_by_id_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_csods_decision_decided_by_id_user_account'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_csods_decision')),
    sa.UniqueConstraint('application_id', name=op.f('uq_csods_decision_application_id'))
    )
    op.create_table('csods_pause',
    sa.Column('application_id', sa.Uuid(), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_by_id', sa.Uuid(), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_by_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['csods_application.id'], name=op.f('fk_csods_pause_application_id_csods_application'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['ended_by_id'], ['user_account.id'], name=op.f('fk_csods_pause_ended_by_id_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['started_by_id'], ['user_account.id'], name=op.f('fk_csods_pause_started_by_id_user_account'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_csods_pause'))
    )
    with op.batch_alter_table('csods_pause', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_csods_pause_application_id'), ['application_id'], unique=False)

    op.create_table('csods_referral',
    sa.Column('application_id', sa.Uuid(), nullable=False),
    sa.Column('stage', sa.String(length=40), nullable=False),
    sa.Column('referred_to', sa.String(length=200), nullable=False),
    sa.Column('risk', sa.String(length=1000), nullable=False),
    sa.Column('raised_by_id', sa.Uuid(), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['csods_application.id'], name=op.f('fk_csods_referral_application_id_csods_application'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['raised_by_id'], ['user_account.id'], name=op.f('fk_csods_referral_raised_by_id_user_account'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_csods_referral'))
    )
    with op.batch_alter_table('csods_referral', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_csods_referral_application_id'), ['application_id'], unique=False)

    op.create_table('csods_stage_change',
    sa.Column('application_id', sa.Uuid(), nullable=False),
    sa.Column('transition', sa.String(length=40), nullable=False),
    sa.Column('from_stage', sa.String(length=40), nullable=False),
    sa.Column('to_stage', sa.String(length=40), nullable=False),
    sa.Column('by_id', sa.Uuid(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("from_stage IN ('RECEIVED', 'INITIAL_CHECKS', 'SCOPE_DECIDED', 'INTERVIEW_DONE', 'RISK_ASSESSMENT', 'DECISION_FORUM', 'DECIDED', 'APPROVED', 'DISCLOSURE_DELIVERED', 'APPLICANT_INFORMED', 'REFERRED', 'CLOSED', 'CLOSED_NOT_PROGRESSED', 'CLOSED_NO_DISCLOSURE_POSSIBLE')", name=op.f('ck_csods_stage_change_from_stage')),
    sa.CheckConstraint("to_stage IN ('RECEIVED', 'INITIAL_CHECKS', 'SCOPE_DECIDED', 'INTERVIEW_DONE', 'RISK_ASSESSMENT', 'DECISION_FORUM', 'DECIDED', 'APPROVED', 'DISCLOSURE_DELIVERED', 'APPLICANT_INFORMED', 'REFERRED', 'CLOSED', 'CLOSED_NOT_PROGRESSED', 'CLOSED_NO_DISCLOSURE_POSSIBLE')", name=op.f('ck_csods_stage_change_to_stage')),
    sa.CheckConstraint("transition IN ('BEGIN_CHECKS', 'IN_SCOPE', 'NOT_IN_SCOPE', 'VERIFIED', 'NOT_VERIFIED', 'BEGIN_RISK_ASSESSMENT', 'COMPLETE_RISK_ASSESSMENT', 'RECORD_DECISION', 'APPROVE', 'DELIVER_DISCLOSURE', 'INFORM_APPLICANT', 'REFER', 'CLOSE')", name=op.f('ck_csods_stage_change_transition')),
    sa.ForeignKeyConstraint(['application_id'], ['csods_application.id'], name=op.f('fk_csods_stage_change_application_id_csods_application'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['by_id'], ['user_account.id'], name=op.f('fk_csods_stage_change_by_id_user_account'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_csods_stage_change'))
    )
    with op.batch_alter_table('csods_stage_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_csods_stage_change_application_id'), ['application_id'], unique=False)

    op.create_table('csods_delivery',
    sa.Column('decision_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('delivered_on', sa.Date(), nullable=False),
    sa.Column('method', sa.String(length=200), nullable=False),
    sa.Column('delivered_by_id', sa.Uuid(), nullable=False),
    sa.Column('undertaking_signed', sa.Boolean(), nullable=False),
    sa.Column('undertaking_signed_on', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('audit_seq', sa.Integer(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("kind <> 'DISCLOSURE' OR (undertaking_signed AND undertaking_signed_on IS NOT NULL AND audit_seq IS NOT NULL)", name=op.f('ck_csods_delivery_undertaking')),
    sa.CheckConstraint("kind IN ('DISCLOSURE', 'INFORMED', 'REFERRED')", name=op.f('ck_csods_delivery_kind')),
    sa.ForeignKeyConstraint(['decision_id'], ['csods_decision.id'], name=op.f('fk_csods_delivery_decision_id_csods_decision'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['delivered_by_id'], ['user_account.id'], name=op.f('fk_csods_delivery_delivered_by_id_user_account'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_csods_delivery')),
    sa.UniqueConstraint('decision_id', name=op.f('uq_csods_delivery_decision_id'))
    )


def downgrade():
    op.drop_table('csods_delivery')
    with op.batch_alter_table('csods_stage_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_csods_stage_change_application_id'))

    op.drop_table('csods_stage_change')
    with op.batch_alter_table('csods_referral', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_csods_referral_application_id'))

    op.drop_table('csods_referral')
    with op.batch_alter_table('csods_pause', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_csods_pause_application_id'))

    op.drop_table('csods_pause')
    op.drop_table('csods_decision')
    with op.batch_alter_table('csods_child', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_csods_child_application_id'))

    op.drop_table('csods_child')
    with op.batch_alter_table('csods_agency_check', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_csods_agency_check_application_id'))

    op.drop_table('csods_agency_check')
    with op.batch_alter_table('csods_application', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_csods_application_subject_id'))
        batch_op.drop_index(batch_op.f('ix_csods_application_stage'))
        batch_op.drop_index(batch_op.f('ix_csods_application_agency_id'))

    op.drop_table('csods_application')
