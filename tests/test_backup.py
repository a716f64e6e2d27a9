"""`flask backup PATH` while the app writes: the restored copy is one consistent moment,
with every row committed before the backup began."""

from __future__ import annotations

import subprocess
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from marketplace.conventions.models import Convention, ConventionGroup
from marketplace.extensions import db
from marketplace.ledger.models import LedgerEntry
from tests.ledger_world import mission_with_sessions
from tests.missions_world import TODAY, build_world
from tests.processes import wait_until, worker
from tests.units import DAY, HALF

WRITES = 400


def _books(connection, convention_id: int) -> tuple:
    """(entries, ledger sum, convention delivered, group delivered) read in one snapshot."""
    entries = connection.execute(
        select(func.count(LedgerEntry.id)).where(LedgerEntry.convention_id == convention_id)
    ).scalar()
    total = connection.execute(
        select(func.coalesce(func.sum(LedgerEntry.minutes), 0)).where(
            LedgerEntry.convention_id == convention_id
        )
    ).scalar()
    convention = connection.execute(
        select(Convention.minutes_delivered).where(Convention.id == convention_id)
    ).scalar()
    group = connection.execute(
        select(func.sum(ConventionGroup.minutes_delivered)).where(
            ConventionGroup.convention_id == convention_id
        )
    ).scalar()
    return entries, int(total), int(convention), int(group)


def _restored_engine(url, backup_path, created: list):
    """A fresh database holding the backup; its engine."""
    if url.get_backend_name() == "sqlite":
        return create_engine(f"sqlite:///{backup_path}")
    name = f"restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    created.append(name)
    restored = url.set(database=name)
    plain = restored.set(drivername="postgresql").render_as_string(hide_password=False)
    subprocess.run(  # noqa: S603
        ["pg_restore", "--no-owner", f"--dbname={plain}", str(backup_path)],  # noqa: S607
        check=True,
        capture_output=True,
    )
    return create_engine(restored)


@pytest.mark.slow
def test_a_backup_taken_during_writes_restores_every_committed_row(
    app, factory, db_url, runner, tmp_path
):
    world = build_world(app, factory, quota=1000, committed=1000, offer_days=60)
    mission_id = mission_with_sessions(app, world, [(TODAY - timedelta(days=1), DAY, "confirmed")])
    proc = worker(
        db_url, "add_corrections", str(world.people["coordinator"].id), str(mission_id), str(WRITES)
    )
    created: list[str] = []
    try:

        def entries() -> int:
            with app.app_context():
                return db.session.scalar(select(func.count(LedgerEntry.id)))

        wait_until(lambda: entries() >= 20, seconds=60)
        before = entries()  # committed before the backup starts: all must be in it
        result = runner.invoke(args=["backup", str(tmp_path / "backup.db")])
        assert result.exit_code == 0, result.output
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        after = entries()
        assert after == WRITES  # the writer went on while the backup ran
        url = make_url(db_url)
        restored = _restored_engine(url, tmp_path / "backup.db", created)
        with restored.connect() as connection:
            count, total, convention, group = _books(connection, world.convention_id)
        restored.dispose()
        assert before <= count <= after
        assert total == convention == group == HALF * count  # one moment: entries and counters
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        if created:
            admin = create_engine(make_url(db_url), isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                for name in created:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            admin.dispose()


def test_an_in_memory_database_cannot_be_backed_up_and_says_so(tmp_path):
    from marketplace.backup import BackupError, backup_database

    with pytest.raises(BackupError, match="in-memory"):
        backup_database(create_engine("sqlite://"), tmp_path / "x.db")
