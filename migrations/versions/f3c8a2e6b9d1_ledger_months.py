"""ledger_months: the ledger summed per mission and month (the report's and the
dashboard's source), filled from the entries already there

Revision ID: f3c8a2e6b9d1
Revises: d8f2b6c4a1e7
Create Date: 2026-12-07 18:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'f3c8a2e6b9d1'
down_revision = 'd8f2b6c4a1e7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'ledger_months',
        sa.Column('mission_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('convention_id', sa.Integer(), nullable=False),
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.Column('minutes', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['convention_id'], ['conventions.id'], name=op.f('fk_ledger_months_convention_id_conventions')),
        sa.ForeignKeyConstraint(['group_id'], ['organisations.id'], name=op.f('fk_ledger_months_group_id_organisations')),
        sa.ForeignKeyConstraint(['mission_id'], ['missions.id'], name=op.f('fk_ledger_months_mission_id_missions')),
        sa.PrimaryKeyConstraint('mission_id', 'month', name=op.f('pk_ledger_months')),
    )
    op.create_index('ix_ledger_months_convention_month', 'ledger_months', ['convention_id', 'month'])
    op.create_index('ix_ledger_months_group_month', 'ledger_months', ['group_id', 'month'])
    if op.get_bind().dialect.name == 'postgresql':
        month = "CAST(date_trunc('month', entry_on) AS DATE)"
    else:
        month = "date(entry_on, 'start of month')"
    op.execute(
        "INSERT INTO ledger_months (mission_id, month, convention_id, group_id, minutes) "
        f"SELECT mission_id, {month}, MIN(convention_id), MIN(group_id), SUM(minutes) "
        f"FROM ledger_entries GROUP BY mission_id, {month}"
    )


def downgrade():
    op.drop_index('ix_ledger_months_group_month', table_name='ledger_months')
    op.drop_index('ix_ledger_months_convention_month', table_name='ledger_months')
    op.drop_table('ledger_months')
