"""A backup taken while the app serves: one consistent snapshot of every committed row.

SQLite: the online backup API (`sqlite3.Connection.backup`) copies the database page by page
and restarts when a writer changes a page already copied, so the copy is the state of one
moment, WAL included. PostgreSQL: `pg_dump` reads in one repeatable-read transaction (a
snapshot), in its custom format, restored with `pg_restore`.
"""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import Engine, make_url


class BackupError(RuntimeError):
    pass


def backup_database(engine: Engine, target: Path) -> str:
    """Write a backup of the database behind `engine` to `target`; returns what was done."""
    url = engine.url
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        source = url.database
        if not source or source == ":memory:":
            raise BackupError("an in-memory SQLite database cannot be backed up")
        with sqlite3.connect(source) as live, sqlite3.connect(target) as copy:
            live.backup(copy, pages=1024)
        copy.close()
        live.close()
        return f"SQLite online backup of {source} written to {target}"
    if url.get_backend_name() == "postgresql":
        plain = make_url(str(url.set(drivername="postgresql")))
        command = [
            "pg_dump",
            "--format=custom",
            "--no-owner",
            f"--file={target}",
            plain.render_as_string(hide_password=False),
        ]
        try:
            subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603
        except FileNotFoundError as error:
            raise BackupError("pg_dump is not installed (Debian: postgresql-client)") from error
        except subprocess.CalledProcessError as error:
            raise BackupError(f"pg_dump failed: {error.stderr.strip()[:500]}") from error
        return f"pg_dump (custom format) written to {target}; restore with pg_restore"
    raise BackupError(f"no backup method for {url.get_backend_name()}")
