"""Sharing: subjects, aliases, marked shared records, access grants, LAO lists, acknowledgements.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 12:54:49.285959

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('subject',
    sa.Column('owning_agency_id', sa.Uuid(), nullable=False),
    sa.Column('lead_agency_id', sa.Uuid(), nullable=False),
    sa.Column('family_name', sa.String(length=100), nullable=False),
    sa.Column('given_names', sa.String(length=200), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('pnc_id', sa.String(length=20), nullable=True),
    sa.Column('ndelius_crn', sa.String(length=20), nullable=True),
    sa.Column('visor_ref', sa.String(length=30), nullable=True),
    sa.Column('subject_type', sa.String(length=16), nullable=False),
    sa.Column('mappa_category', sa.Integer(), nullable=False),
    sa.Column('mappa_level', sa.Integer(), nullable=False),
    sa.Column('marking', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("subject_type IN ('RSO', 'VO', 'PDP', 'TERRORIST_RISK')", name=op.f('ck_subject_subject_type')),
    sa.CheckConstraint('mappa_category BETWEEN 1 AND 4', name=op.f('ck_subject_mappa_category')),
    sa.CheckConstraint('mappa_level BETWEEN 1 AND 3', name=op.f('ck_subject_mappa_level')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_subject_created_by_id_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['lead_agency_id'], ['agency.id'], name=op.f('fk_subject_lead_agency_id_agency'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['owning_agency_id'], ['agency.id'], name=op.f('fk_subject_owning_agency_id_agency'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subject')),
    sa.UniqueConstraint('ndelius_crn', name=op.f('uq_subject_ndelius_crn')),
    sa.UniqueConstraint('pnc_id', name=op.f('uq_subject_pnc_id')),
    sa.UniqueConstraint('visor_ref', name=op.f('uq_subject_visor_ref'))
    )
    with op.batch_alter_table('subject', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subject_owning_agency_id'), ['owning_agency_id'], unique=False)

    op.create_table('lao_list',
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.CheckConstraint("kind IN ('EXCLUSION', 'RESTRICTION')", name=op.f('ck_lao_list_kind')),
    sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], name=op.f('fk_lao_list_subject_id_subject'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('subject_id', 'kind', name=op.f('pk_lao_list'))
    )
    op.create_table('lao_member',
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("kind IN ('EXCLUSION', 'RESTRICTION')", name=op.f('ck_lao_member_kind')),
    sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], name=op.f('fk_lao_member_subject_id_subject'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_lao_member_user_id_user_account'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('subject_id', 'kind', 'user_id', name=op.f('pk_lao_member'))
    )
    op.create_table('shared_record',
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('owner_agency_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('contains_health_details', sa.Boolean(), nullable=False),
    sa.Column('supervision', sa.Text(), nullable=True),
    sa.Column('monitoring_control', sa.Text(), nullable=True),
    sa.Column('interventions_treatment', sa.Text(), nullable=True),
    sa.Column('victim_safety', sa.Text(), nullable=True),
    sa.Column('contingency', sa.Text(), nullable=True),
    sa.Column('licence_conditions', sa.Text(), nullable=True),
    sa.Column('marking', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("kind IN ('RISK_SUMMARY', 'RISK_MANAGEMENT_PLAN', 'NOTE', 'ATTACHMENT')", name=op.f('ck_shared_record_kind')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_shared_record_created_by_id_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['owner_agency_id'], ['agency.id'], name=op.f('fk_shared_record_owner_agency_id_agency'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], name=op.f('fk_shared_record_subject_id_subject'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_shared_record_updated_by_id_user_account'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shared_record'))
    )
    with op.batch_alter_table('shared_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shared_record_owner_agency_id'), ['owner_agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shared_record_subject_id'), ['subject_id'], unique=False)

    op.create_table('subject_alias',
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], name=op.f('fk_subject_alias_subject_id_subject'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subject_alias'))
    )
    with op.batch_alter_table('subject_alias', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subject_alias_subject_id'), ['subject_id'], unique=False)

    op.create_table('access_grant',
    sa.Column('owner_agency_id', sa.Uuid(), nullable=False),
    sa.Column('grantee_agency_id', sa.Uuid(), nullable=False),
    sa.Column('grantee_user_id', sa.Uuid(), nullable=True),
    sa.Column('scope_kind', sa.String(length=16), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('record_id', sa.Uuid(), nullable=True),
    sa.Column('view_profile', sa.String(length=24), nullable=True),
    sa.Column('legal_gateway', sa.String(length=48), nullable=False),
    sa.Column('dp_condition', sa.String(length=48), nullable=False),
    sa.Column('justification', sa.Text(), nullable=False),
    sa.Column('isa_reference', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requested_by_id', sa.Uuid(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('granted_by_id', sa.Uuid(), nullable=True),
    sa.Column('approved_by_id', sa.Uuid(), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_by_id', sa.Uuid(), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('renews_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("(scope_kind = 'SUBJECT' AND view_profile IS NOT NULL AND record_id IS NULL) OR (scope_kind = 'RECORD' AND record_id IS NOT NULL)", name=op.f('ck_access_grant_scope_shape')),
    sa.CheckConstraint("scope_kind IN ('SUBJECT', 'RECORD')", name=op.f('ck_access_grant_scope_kind')),
    sa.CheckConstraint("status IN ('REQUESTED', 'ACTIVE', 'SUSPENDED', 'REVOKED', 'REFUSED')", name=op.f('ck_access_grant_status')),
    sa.CheckConstraint("view_profile IS NULL OR view_profile IN ('SUMMARY', 'SUMMARY_AND_ACTIONS', 'FULL')", name=op.f('ck_access_grant_view_profile')),
    sa.CheckConstraint('expires_at > valid_from', name=op.f('ck_access_grant_window')),
    sa.CheckConstraint('length(justification) > 0', name=op.f('ck_access_grant_justification')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['user_account.id'], name=op.f('fk_access_grant_approved_by_id_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['ended_by_id'], ['user_account.id'], name=op.f('fk_access_grant_ended_by_id_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['granted_by_id'], ['user_account.id'], name=op.f('fk_access_grant_granted_by_id_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['grantee_agency_id'], ['agency.id'], name=op.f('fk_access_grant_grantee_agency_id_agency'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['grantee_user_id'], ['user_account.id'], name=op.f('fk_access_grant_grantee_user_id_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['owner_agency_id'], ['agency.id'], name=op.f('fk_access_grant_owner_agency_id_agency'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['record_id'], ['shared_record.id'], name=op.f('fk_access_grant_record_id_shared_record'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['renews_id'], ['access_grant.id'], name=op.f('fk_access_grant_renews_id_access_grant'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'], name=op.f('fk_access_grant_requested_by_id_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], name=op.f('fk_access_grant_subject_id_subject'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_grant'))
    )
    with op.batch_alter_table('access_grant', schema=None) as batch_op:
        batch_op.create_index('ix_access_grant_lookup', ['grantee_agency_id', 'subject_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_grant_owner_agency_id'), ['owner_agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_grant_subject_id'), ['subject_id'], unique=False)

    op.create_table('confidentiality_acknowledgement',
    sa.Column('grant_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['grant_id'], ['access_grant.id'], name=op.f('fk_confidentiality_acknowledgement_grant_id_access_grant'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_confidentiality_acknowledgement_user_id_user_account'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_confidentiality_acknowledgement')),
    sa.UniqueConstraint('grant_id', 'user_id', name=op.f('uq_confidentiality_acknowledgement_grant_id'))
    )


def downgrade():
    op.drop_table('confidentiality_acknowledgement')
    with op.batch_alter_table('access_grant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_grant_subject_id'))
        batch_op.drop_index(batch_op.f('ix_access_grant_owner_agency_id'))
        batch_op.drop_index('ix_access_grant_lookup')

    op.drop_table('access_grant')
    with op.batch_alter_table('subject_alias', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subject_alias_subject_id'))

    op.drop_table('subject_alias')
    with op.batch_alter_table('shared_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shared_record_subject_id'))
        batch_op.drop_index(batch_op.f('ix_shared_record_owner_agency_id'))

    op.drop_table('shared_record')
    op.drop_table('lao_member')
    op.drop_table('lao_list')
    with op.batch_alter_table('subject', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subject_owning_agency_id'))

    op.drop_table('subject')
