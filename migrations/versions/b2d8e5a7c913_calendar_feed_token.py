"""users: the private calendar feed's token (hashed)

Revision ID: b2d8e5a7c913
Revises: a9c4e2f1b7d3
Create Date: 2026-12-01 22:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b2d8e5a7c913'
down_revision = 'a9c4e2f1b7d3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_token_hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            op.f('uq_users_calendar_token_hash'), ['calendar_token_hash']
        )


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('uq_users_calendar_token_hash'), type_='unique')
        batch_op.drop_column('calendar_token_hash')
