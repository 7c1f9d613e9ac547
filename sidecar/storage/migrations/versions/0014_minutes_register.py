"""minutes register (approved PV versions chained by hash), actions read from PVs, officer handovers

Revision ID: 0014
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0014'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('seat_snapshots',
    sa.Column('association_id', sa.Integer(), nullable=False),
    sa.Column('seats', sa.JSON(), nullable=False),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['association_id'], ['associations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('association_id')
    )

    op.create_table('minutes_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('association_id', sa.Integer(), nullable=False),
    sa.Column('meeting_uid', sa.String(length=500), nullable=False),
    sa.Column('recurrence_id', sa.String(length=64), nullable=False),
    sa.Column('meeting_day', sa.Date(), nullable=False),
    sa.Column('body_code', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=24), nullable=False),
    sa.Column('path', sa.String(length=2000), nullable=False),
    sa.Column('owner', sa.String(length=200), nullable=False),
    sa.Column('owner_email', sa.String(length=320), nullable=True),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('due', sa.Date(), nullable=True),
    sa.Column('todo_uid', sa.String(length=100), nullable=False),
    sa.Column('todo_href', sa.String(length=1000), nullable=True),
    sa.Column('todo_etag', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['association_id'], ['associations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('association_id', 'meeting_uid', 'recurrence_id', 'key', name='uq_minutes_actions_key')
    )
    op.create_table('minutes_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('association_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=2000), nullable=False),
    sa.Column('fileid', sa.String(length=64), nullable=True),
    sa.Column('etag', sa.String(length=200), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('meeting_uid', sa.String(length=500), nullable=False),
    sa.Column('recurrence_id', sa.String(length=64), nullable=False),
    sa.Column('meeting_day', sa.Date(), nullable=False),
    sa.Column('body_code', sa.String(length=32), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('findings', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['association_id'], ['associations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('association_id', 'path', name='uq_minutes_checks_path')
    )
    op.create_table('minutes_register',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('association_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('meeting_uid', sa.String(length=500), nullable=False),
    sa.Column('meeting_day', sa.String(length=10), nullable=False),
    sa.Column('body_code', sa.String(length=32), nullable=False),
    sa.Column('path', sa.String(length=2000), nullable=False),
    sa.Column('fileid', sa.String(length=64), nullable=False),
    sa.Column('etag', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('approved_by', sa.String(length=200), nullable=False),
    sa.Column('approved_via', sa.String(length=16), nullable=False),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('entry_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['association_id'], ['associations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('association_id', 'seq', name='uq_minutes_register_seq')
    )
    op.create_table('handovers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('association_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('member_name', sa.String(length=200), nullable=False),
    sa.Column('member_email', sa.String(length=320), nullable=False),
    sa.Column('nc_user', sa.String(length=200), nullable=True),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['association_id'], ['associations.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('handovers', schema=None) as batch_op:
        batch_op.create_index('ix_handovers_association', ['association_id'], unique=False)

    op.create_table('handover_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('handover_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('ref', sa.String(length=500), nullable=False),
    sa.Column('label', sa.Text(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_by', sa.String(length=200), nullable=True),
    sa.Column('done_how', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['handover_id'], ['handovers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('handover_id', 'kind', 'ref', name='uq_handover_items_ref')
    )



def downgrade() -> None:
    op.drop_table('seat_snapshots')

    op.drop_table('handover_items')
    with op.batch_alter_table('handovers', schema=None) as batch_op:
        batch_op.drop_index('ix_handovers_association')

    op.drop_table('handovers')
    op.drop_table('minutes_register')
    op.drop_table('minutes_checks')
    op.drop_table('minutes_actions')

