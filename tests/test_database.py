"""The database engine settings: SQLite WAL, busy timeout, BEGIN IMMEDIATE."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from marketplace.accounts.models import User
from marketplace.extensions import db
from tests.processes import worker

ROOT = Path(__file__).resolve().parent.parent


def _is_sqlite(app) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(app):
    if not _is_sqlite(app):
        pytest.skip("SQLite settings")
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 30000
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1


@pytest.mark.slow
def test_concurrent_writers_neither_fail_nor_lose_updates(app, factory, db_url):
    """4 processes x 25 read-modify-write transactions on one row.

    Without BEGIN IMMEDIATE two SQLite transactions read the same value and
    the second writer either fails ("database is locked") or overwrites the
    first one's increment. With it, every increment lands.
    """
    if not _is_sqlite(app):
        pytest.skip("BEGIN IMMEDIATE is the SQLite answer; PostgreSQL uses row locks")
    user = factory.user()
    procs = [worker(db_url, "bump_session_version", str(user.id), "25") for _ in range(4)]
    errors = []
    for proc in procs:
        _out, err = proc.communicate(timeout=120)
        if proc.returncode != 0:
            errors.append(err)
    assert errors == []
    assert not any("database is locked" in e for e in errors)
    with app.app_context():
        assert db.session.get(User, user.id).session_version == 1 + 4 * 25


def test_postgresql_url_is_accepted_by_the_config(monkeypatch):
    import importlib

    import config

    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    reloaded = importlib.reload(config)
    try:
        assert reloaded.Config.SQLALCHEMY_DATABASE_URI.startswith("postgresql+psycopg://")
    finally:
        monkeypatch.delenv("DATABASE_URL")
        importlib.reload(config)
