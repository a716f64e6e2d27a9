"""indexes in the lists' order: missions newest first, proposals need by need and best
first, sessions by status (the homes' work queues)

Revision ID: a7d4e9c2b8f5
Revises: f3c8a2e6b9d1
Create Date: 2026-12-07 19:00:00

"""
from alembic import op


revision = 'a7d4e9c2b8f5'
down_revision = 'f3c8a2e6b9d1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_missions_created', 'missions', ['created_at', 'id'])
    op.create_index('ix_proposals_need_rank', 'proposals', ['need_id', 'rank', 'id'])
    op.create_index('ix_mission_sessions_status', 'mission_sessions', ['status', 'mission_id'])


def downgrade():
    op.drop_index('ix_mission_sessions_status', table_name='mission_sessions')
    op.drop_index('ix_proposals_need_rank', table_name='proposals')
    op.drop_index('ix_missions_created', table_name='missions')
