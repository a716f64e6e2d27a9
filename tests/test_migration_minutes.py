"""The move from float days to integer minutes (migration d8f2b6c4a1e7) converts the data
exactly: a database holding the demo and generated data at the half-day schema is migrated,
and every amount and every sum agrees, at 7 h a day, to the minute.

The data (tests/data/migration/half_days.json.gz, see its README) was produced by the
previous version of the code: `demo load`, then a generated year of sessions logged by the
ledger job, and coordinators' corrections.
"""

from __future__ import annotations

import gzip
import json
import os
from datetime import date, datetime
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import Date, DateTime, MetaData, create_engine, text
from sqlalchemy.engine import make_url

from marketplace import create_app
from tests.conftest import dispose, make_config

FIXTURE = Path(__file__).parent / "data" / "migration" / "half_days.json.gz"
MIGRATIONS = str(Path(__file__).parent.parent / "migrations")
BEFORE, AFTER = "c3e9a1d4f6b2", "d8f2b6c4a1e7"
PER_DAY = 420


@pytest.fixture()
def scratch_app(scratch_url):
    app = create_app(make_config(scratch_url))
    yield app
    dispose(app)


@pytest.fixture()
def scratch_url(tmp_path, db_url):
    """A database of its own (the suite's stays at head): a file, or a PostgreSQL database."""
    if not db_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'minutes.sqlite3'}"
        return
    url = make_url(db_url)
    name = f"{url.database}_minutes_{os.getpid()}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _load(engine, tables: dict) -> None:
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.begin() as connection:
        for table in metadata.sorted_tables:
            rows = tables.get(table.name)
            if not rows:
                continue
            for row in rows:
                for column in table.columns:
                    value = row.get(column.name)
                    if isinstance(value, str) and isinstance(column.type, DateTime):
                        row[column.name] = datetime.fromisoformat(value)
                    elif isinstance(value, str) and isinstance(column.type, Date):
                        row[column.name] = date.fromisoformat(value)
            connection.execute(table.insert(), rows)


SUMS = {
    "conventions": "SELECT id, {q}, {r}, {d}, {o} FROM conventions ORDER BY id",
    "convention_groups": "SELECT id, {c}, {r}, {d}, {o} FROM convention_groups ORDER BY id",
    "offers": "SELECT id, {cap}, {r}, {d} FROM offers ORDER BY id",
    "missions": "SELECT id, {a}, {ov}, {og}, {l} FROM missions ORDER BY id",
    "mission_sessions": "SELECT id, {s} FROM mission_sessions ORDER BY id",
    "ledger_entries": "SELECT id, {s} FROM ledger_entries ORDER BY id",
    "ledger_by_convention": "SELECT convention_id, SUM({s}) FROM ledger_entries "
    "GROUP BY convention_id ORDER BY convention_id",
    "ledger_by_mission": "SELECT mission_id, SUM({s}) FROM ledger_entries "
    "GROUP BY mission_id ORDER BY mission_id",
    "sessions_by_mission": "SELECT mission_id, SUM({s}) FROM mission_sessions "
    "GROUP BY mission_id ORDER BY mission_id",
}
DAYS = dict(
    q="skill_days_quota",
    c="committed_days",
    cap="days",
    r="days_reserved",
    d="days_delivered",
    o="days_overridden",
    a="approved_days",
    ov="override_days",
    og="override_group_days",
    l="days_logged",
    s="days",
)
MINUTES = dict(
    q="quota_minutes",
    c="committed_minutes",
    cap="minutes",
    r="minutes_reserved",
    d="minutes_delivered",
    o="minutes_overridden",
    a="approved_minutes",
    ov="override_minutes",
    og="override_group_minutes",
    l="minutes_logged",
    s="minutes",
)


def _figures(engine, names: dict) -> dict:
    with engine.connect() as connection:
        return {
            key: [tuple(row) for row in connection.execute(text(query.format(**names)))]
            for key, query in SUMS.items()
        }


def test_every_amount_and_every_sum_converts_exactly(scratch_app, scratch_url):
    data = json.loads(gzip.open(FIXTURE, "rt").read())
    assert data["revision"] == BEFORE
    app = scratch_app
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision=BEFORE)
    engine = create_engine(scratch_url)
    _load(engine, data["tables"])
    before = _figures(engine, DAYS)
    assert len(before["mission_sessions"]) > 600 and len(before["ledger_by_convention"]) == 2
    assert any(row[1] < 0 for row in _rows(engine, "ledger_entries", "days"))  # corrections
    engine.dispose()

    with app.app_context():
        upgrade(directory=MIGRATIONS, revision=AFTER)
    engine = create_engine(scratch_url)
    after = _figures(engine, MINUTES)
    for key, rows in before.items():
        expected = [(row[0], *(_exact_minutes(v) for v in row[1:])) for row in rows]
        assert after[key] == expected, key
        # Integers now, not floats that happen to be whole.
        assert all(isinstance(v, int) for row in after[key] for v in row[1:]), key
    with engine.connect() as connection:
        rates = set(connection.execute(text("SELECT minutes_per_day FROM conventions")).scalars())
        offer_rates = set(connection.execute(text("SELECT minutes_per_day FROM offers")).scalars())
    assert rates == offer_rates == {PER_DAY}
    engine.dispose()

    # Up to the latest revision (the monthly sums are filled from the converted entries), the
    # migrated programme runs: the ledger job logs nothing twice, and the conventions'
    # delivered counters and monthly sums still agree with the ledger.
    with app.app_context():
        upgrade(directory=MIGRATIONS)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["jobs", "run", "log-delivered-days", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["sessions_logged"] == 0
    engine = create_engine(scratch_url)
    with engine.connect() as connection:
        mismatched = connection.execute(
            text(
                "SELECT c.id FROM conventions c WHERE c.minutes_delivered <> "
                "(SELECT COALESCE(SUM(l.minutes), 0) FROM ledger_entries l "
                "WHERE l.convention_id = c.id)"
            )
        ).all()
        by_month = connection.execute(
            text(
                "SELECT convention_id, SUM(minutes) FROM ledger_months "
                "GROUP BY convention_id ORDER BY convention_id"
            )
        ).all()
    assert mismatched == []
    assert [tuple(row) for row in by_month] == after["ledger_by_convention"]
    engine.dispose()


def _rows(engine, table: str, column: str) -> list:
    with engine.connect() as connection:
        return connection.execute(text(f"SELECT id, {column} FROM {table}")).all()


def _exact_minutes(days) -> int:
    minutes = days * PER_DAY
    assert float(minutes).is_integer(), days
    return int(minutes)


def test_the_downgrade_refuses_rather_than_rounding(scratch_app):
    from alembic import command

    app = scratch_app
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        config = app.extensions["migrate"].migrate.get_config(MIGRATIONS)
        with pytest.raises(NotImplementedError, match="backup"):
            command.downgrade(config, BEFORE)
