"""who accepted a proposal on each side, and when (the mission's timeline shows both)

Revision ID: e5b1c7d9a3f2
Revises: a7d4e9c2b8f5
Create Date: 2026-12-07 21:40:00

"""
from alembic import op
import sqlalchemy as sa

import marketplace.db


revision = 'e5b1c7d9a3f2'
down_revision = 'a7d4e9c2b8f5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        for side in ('sme', 'expert'):
            batch_op.add_column(sa.Column(f'{side}_answered_at', marketplace.db.UTCDateTime(timezone=True), nullable=True))
            batch_op.add_column(sa.Column(f'{side}_answered_by_id', sa.Integer(), nullable=True))
            batch_op.create_foreign_key(
                op.f(f'fk_proposals_{side}_answered_by_id_users'),
                'users',
                [f'{side}_answered_by_id'],
                ['id'],
            )


def downgrade():
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        for side in ('sme', 'expert'):
            batch_op.drop_constraint(
                op.f(f'fk_proposals_{side}_answered_by_id_users'), type_='foreignkey'
            )
            batch_op.drop_column(f'{side}_answered_by_id')
            batch_op.drop_column(f'{side}_answered_at')
