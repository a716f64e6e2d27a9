"""login attempts: failures per account and address pair, password-reset requests

Revision ID: f7b3d1c0a2e4
Revises: e41a7c2b9f10
Create Date: 2026-12-01 21:10:00

"""
from alembic import op


revision = 'f7b3d1c0a2e4'
down_revision = 'e41a7c2b9f10'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_login_attempts_key_kind'), type_='check')
        batch_op.create_check_constraint('key_kind', "key_kind IN ('account', 'address', 'pair', 'reset')")


def downgrade():
    op.execute("DELETE FROM login_attempts WHERE key_kind IN ('pair', 'reset')")
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_login_attempts_key_kind'), type_='check')
        batch_op.create_check_constraint('key_kind', "key_kind IN ('account', 'address')")
