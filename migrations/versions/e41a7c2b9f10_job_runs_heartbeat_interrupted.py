"""job runs: heartbeat, and the interrupted status

Revision ID: e41a7c2b9f10
Revises: d3a6d0daa358
Create Date: 2026-12-01 20:40:00

"""
from alembic import op
import sqlalchemy as sa

import marketplace.db


revision = 'e41a7c2b9f10'
down_revision = 'd3a6d0daa358'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('heartbeat_at', marketplace.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.alter_column(
            'status', existing_type=sa.String(length=10), type_=sa.String(length=12)
        )
        batch_op.drop_constraint(op.f('ck_job_runs_status'), type_='check')
        batch_op.create_check_constraint(
            'status', "status IN ('running', 'succeeded', 'failed', 'interrupted')"
        )
    # Runs left `running` by an older version had no heartbeat: they are over.
    op.execute(
        "UPDATE job_runs SET status = 'interrupted', finished_at = started_at "
        "WHERE status = 'running'"
    )


def downgrade():
    op.execute("UPDATE job_runs SET status = 'failed' WHERE status = 'interrupted'")
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_job_runs_status'), type_='check')
        batch_op.create_check_constraint('status', "status IN ('running', 'succeeded', 'failed')")
        batch_op.alter_column(
            'status', existing_type=sa.String(length=12), type_=sa.String(length=10)
        )
        batch_op.drop_column('heartbeat_at')
