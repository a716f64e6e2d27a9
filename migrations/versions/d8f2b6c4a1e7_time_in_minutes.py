"""time counted in whole minutes: sessions, ledger, reservations, capacities, counters;
hours per day per convention (7 h) and per offer

Every amount of time that was a float number of days becomes an integer number of minutes,
converted exactly at the convention's hours per day (7 h for the existing conventions; a
half day is 210 minutes): sessions, ledger entries, the missions' reservations, the offers'
capacity and counters, the conventions' and groups' quotas and counters. Needs, offers and
missions keep their `days` (half days, as people set them).

Revision ID: d8f2b6c4a1e7
Revises: c3e9a1d4f6b2
Create Date: 2026-12-07 18:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd8f2b6c4a1e7'
down_revision = 'c3e9a1d4f6b2'
branch_labels = None
depends_on = None

PER_DAY = 420
# The rate of each row's convention (7 h when a mission has none).
CONVENTION_RATE = "(SELECT c.minutes_per_day FROM conventions c WHERE c.id = {table}.convention_id)"
MISSION_RATE = (
    "COALESCE((SELECT c.minutes_per_day FROM conventions c JOIN missions m "
    "ON m.convention_id = c.id WHERE m.id = {table}.mission_id), 420)"
)


def _int(expression: str) -> str:
    # Half days at an even number of minutes are whole: ROUND only drops the float's ".0".
    return f"CAST(ROUND({expression}) AS INTEGER)"


def _swap(table, columns, drop_checks, new_checks, rate, keep=()):
    """Add the minute columns, fill them from the day columns, drop the day columns (but
    those in `keep`), then add the new CHECKs. Counters default to 0; limits have none."""
    with op.batch_alter_table(table) as batch:
        for new, _old in columns:
            batch.add_column(sa.Column(new, sa.Integer(), nullable=True))
        for name in drop_checks:
            batch.drop_constraint(op.f(name), type_='check')
    assignments = ", ".join(f"{new} = {_int(f'{old} * {rate}')}" for new, old in columns)
    op.execute(f"UPDATE {table} SET {assignments}")
    with op.batch_alter_table(table) as batch:
        for new, old in columns:
            if old not in keep:
                batch.drop_column(old)
            counter = new.startswith(('minutes_', 'approved_', 'override_'))
            batch.alter_column(
                new,
                existing_type=sa.Integer(),
                nullable=False,
                server_default='0' if counter else None,
            )
        for name, condition in new_checks:
            batch.create_check_constraint(name, condition)


def upgrade():
    with op.batch_alter_table('conventions') as batch:
        batch.add_column(
            sa.Column('minutes_per_day', sa.Integer(), nullable=False, server_default=str(PER_DAY))
        )
    _swap(
        'conventions',
        [
            ('quota_minutes', 'skill_days_quota'),
            ('minutes_reserved', 'days_reserved'),
            ('minutes_delivered', 'days_delivered'),
            ('minutes_overridden', 'days_overridden'),
        ],
        ['ck_conventions_quota_positive', 'ck_conventions_quota_not_exceeded'],
        [
            (
                'minutes_per_day_range',
                'minutes_per_day >= 60 AND minutes_per_day <= 720 AND minutes_per_day % 30 = 0',
            ),
            ('quota_half_days', 'quota_minutes >= 0 AND (quota_minutes * 2) % minutes_per_day = 0'),
            (
                'quota_not_exceeded',
                'minutes_reserved >= 0 AND minutes_delivered >= 0 AND minutes_overridden >= 0 '
                'AND minutes_reserved + minutes_delivered <= quota_minutes + minutes_overridden',
            ),
        ],
        'minutes_per_day',
    )
    _swap(
        'convention_groups',
        [
            ('committed_minutes', 'committed_days'),
            ('minutes_reserved', 'days_reserved'),
            ('minutes_delivered', 'days_delivered'),
            ('minutes_overridden', 'days_overridden'),
        ],
        ['ck_convention_groups_committed_positive', 'ck_convention_groups_commitment_not_exceeded'],
        [
            ('committed_positive', 'committed_minutes >= 0'),
            (
                'commitment_not_exceeded',
                'minutes_reserved >= 0 AND minutes_delivered >= 0 AND minutes_overridden >= 0 '
                'AND minutes_reserved + minutes_delivered <= committed_minutes + minutes_overridden',
            ),
        ],
        CONVENTION_RATE.format(table='convention_groups'),
    )
    with op.batch_alter_table('offers') as batch:
        batch.add_column(
            sa.Column('minutes_per_day', sa.Integer(), nullable=False, server_default=str(PER_DAY))
        )
    _swap(
        'offers',
        [
            ('minutes', 'days'),
            ('minutes_reserved', 'days_reserved'),
            ('minutes_delivered', 'days_delivered'),
        ],
        ['ck_offers_capacity'],
        [
            (
                'capacity',
                'minutes_reserved >= 0 AND minutes_delivered >= 0 '
                'AND minutes_reserved + minutes_delivered <= minutes',
            ),
            ('capacity_in_minutes', 'minutes = days * minutes_per_day'),
        ],
        'minutes_per_day',
        keep=('days',),
    )
    _swap(
        'missions',
        [
            ('approved_minutes', 'approved_days'),
            ('override_minutes', 'override_days'),
            ('override_group_minutes', 'override_group_days'),
            ('minutes_logged', 'days_logged'),
        ],
        ['ck_missions_days_positive'],
        [
            (
                'minutes_positive',
                'approved_minutes >= 0 AND override_minutes >= 0 AND override_group_minutes >= 0 '
                'AND minutes_logged >= 0',
            )
        ],
        "COALESCE((SELECT c.minutes_per_day FROM conventions c "
        "WHERE c.id = missions.convention_id), 420)",
    )
    _swap(
        'mission_sessions',
        [('minutes', 'days')],
        ['ck_mission_sessions_half_or_full_day'],
        [('quarter_hours', 'minutes >= 15 AND minutes <= 720 AND minutes % 15 = 0')],
        MISSION_RATE.format(table='mission_sessions'),
    )
    _swap(
        'ledger_entries',
        [('minutes', 'days')],
        ['ck_ledger_entries_source_shape'],
        [
            (
                'source_shape',
                "(source = 'scheduler' AND session_id IS NOT NULL AND minutes > 0) "
                "OR (source = 'correction' AND session_id IS NULL AND minutes <> 0)",
            )
        ],
        CONVENTION_RATE.format(table='ledger_entries'),
    )


def downgrade():
    raise NotImplementedError(
        "Time is counted in minutes from this revision on; sessions of a few hours have no "
        "half-day equivalent. Restore a backup taken before the upgrade instead."
    )
