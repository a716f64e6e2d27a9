"""outbox secrets encrypted at rest; one-time links for password resets

Revision ID: a9c4e2f1b7d3
Revises: f7b3d1c0a2e4
Create Date: 2026-12-01 21:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a9c4e2f1b7d3'
down_revision = 'f7b3d1c0a2e4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_mails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('secret', sa.Text(), nullable=True))
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('purpose', sa.String(length=12), nullable=False, server_default='invitation')
        )
        batch_op.create_check_constraint('purpose', "purpose IN ('invitation', 'reset')")


def downgrade():
    op.execute("DELETE FROM invitations WHERE purpose = 'reset'")
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_invitations_purpose'), type_='check')
        batch_op.drop_column('purpose')
    with op.batch_alter_table('outbox_mails', schema=None) as batch_op:
        batch_op.drop_column('secret')
