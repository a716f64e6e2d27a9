"""Only one scheduler runs jobs: a PostgreSQL advisory lock, or a lock row on SQLite."""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from sqlalchemy import delete, select, text, update
from sqlalchemy.engine import Connection, Engine

from marketplace import clock
from marketplace.jobs.models import JobLock

ADVISORY_KEY = 741_852_963  # any constant shared by every scheduler of this database
LOCK_NAME = "scheduler"


class SchedulerLock:
    """acquire() → True for exactly one process at a time; release() at exit.

    PostgreSQL: a session-level advisory lock held by a dedicated connection; it
    disappears with the process. SQLite: a row taken in a BEGIN IMMEDIATE
    transaction, kept alive by heartbeat(); a holder silent for `stale_after`
    is considered dead and replaced.
    """

    def __init__(self, engine: Engine, stale_after: timedelta):
        self.engine = engine
        self.stale_after = stale_after
        self.holder = f"{socket.gethostname()}:{os.getpid()}"
        self._connection: Connection | None = None

    @property
    def postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def acquire(self) -> bool:
        if self.postgres:
            connection = self.engine.connect()
            got = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}
            ).scalar()
            connection.commit()
            if got:
                self._connection = connection
            else:
                connection.close()
            return bool(got)
        now = clock.now()
        with self.engine.begin() as connection:
            row = connection.execute(
                select(JobLock.__table__).where(JobLock.__table__.c.name == LOCK_NAME)
            ).first()
            if row is None:
                connection.execute(
                    JobLock.__table__.insert().values(
                        name=LOCK_NAME, holder=self.holder, heartbeat_at=now
                    )
                )
                return True
            beat = row.heartbeat_at  # UTCDateTime reads back aware, on SQLite too
            if row.holder == self.holder or beat is None or now - beat > self.stale_after:
                connection.execute(
                    update(JobLock.__table__)
                    .where(JobLock.__table__.c.name == LOCK_NAME)
                    .values(holder=self.holder, heartbeat_at=now)
                )
                return True
        return False

    def heartbeat(self) -> None:
        if self.postgres:
            return
        with self.engine.begin() as connection:
            connection.execute(
                update(JobLock.__table__)
                .where(
                    JobLock.__table__.c.name == LOCK_NAME, JobLock.__table__.c.holder == self.holder
                )
                .values(heartbeat_at=clock.now())
            )

    def release(self) -> None:
        if self.postgres:
            if self._connection is not None:
                self._connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY}
                )
                self._connection.commit()
                self._connection.close()
                self._connection = None
            return
        with self.engine.begin() as connection:
            connection.execute(
                delete(JobLock.__table__).where(
                    JobLock.__table__.c.name == LOCK_NAME, JobLock.__table__.c.holder == self.holder
                )
            )
