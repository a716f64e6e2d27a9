"""Running a job once, with a JobRun record of what it did, visible while it runs."""

from __future__ import annotations

import logging
import threading
import traceback
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from marketplace import clock
from marketplace.extensions import db
from marketplace.jobs.models import JobRun, JobStatus
from marketplace.jobs.registry import JOBS, JOBS_BY_ID

log = logging.getLogger(__name__)


class UnknownJob(LookupError):
    pass


def _heartbeat_every() -> float:
    return float(current_app.config["JOB_HEARTBEAT_SECONDS"])


def mark_interrupted(now: datetime, stale_after: timedelta | None = None) -> int:
    """Runs still `running` whose heartbeat stopped (their process died): `interrupted`.

    A live run beats every JOB_HEARTBEAT_SECONDS; one silent for three beats is dead.
    """
    stale_after = stale_after or timedelta(seconds=3 * _heartbeat_every())
    return (
        db.session.execute(
            update(JobRun)
            .where(JobRun.status == JobStatus.RUNNING, JobRun.heartbeat_at < now - stale_after)
            .values(status=JobStatus.INTERRUPTED, finished_at=now)
        ).rowcount
        or 0
    )


class _Heartbeat:
    """Refreshes a run's heartbeat from its own connection while the body works."""

    def __init__(self, engine: Engine, run_id: int, every: float):
        self.engine, self.run_id, self.every = engine, run_id, every
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"job-heartbeat-{run_id}")

    def _beat(self) -> None:
        while not self.stopped.wait(self.every):
            try:
                with self.engine.begin() as connection:
                    connection.execute(
                        update(JobRun)
                        .where(JobRun.id == self.run_id, JobRun.status == JobStatus.RUNNING)
                        .values(heartbeat_at=clock.now())
                    )
            except OperationalError:  # the body holds SQLite's write lock: beat next time
                log.debug("heartbeat of run %s skipped", self.run_id)

    def __enter__(self) -> _Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stopped.set()
        self.thread.join()


def run_job(name: str, today: date, now: datetime) -> JobRun:
    """Run one job for the given day and record it; commits its own run record.

    The run is committed as `running` first, so operators see it while it works and, if
    its process dies, the next run marks it `interrupted`. A job is a unit of work at the
    edge (like a request): its body's changes and the `succeeded` status commit together;
    on failure the body's changes are rolled back and the run is marked `failed`.
    """
    job = JOBS_BY_ID.get(name)
    if job is None:
        raise UnknownJob(name)
    mark_interrupted(now)
    run = JobRun(
        name=name,
        period_on=today,
        started_at=now,
        heartbeat_at=now,
        status=JobStatus.RUNNING,
        counts={},
    )
    db.session.add(run)
    db.session.flush()
    run_id = run.id  # read before the commit: a refresh after it would open a transaction
    db.session.commit()
    try:
        with _Heartbeat(db.engine, run_id, _heartbeat_every()):
            counts = job.body(today, now)
    except Exception as error:  # noqa: BLE001 - recorded, then reported by the caller
        db.session.rollback()
        run = db.session.get(JobRun, run_id)
        run.status = JobStatus.FAILED
        run.error = "".join(traceback.format_exception_only(error)).strip()[:2000]
        run.finished_at = clock.now()
        db.session.commit()
        return run
    run = db.session.get(JobRun, run_id)
    run.counts = counts
    run.status = JobStatus.SUCCEEDED
    run.finished_at = clock.now()
    db.session.commit()
    return run


def last_runs() -> list[tuple[str, str, JobRun | None]]:
    """(job id, description, its last run or None) for every scheduled job."""
    result = []
    for job in JOBS:
        run = db.session.scalar(
            select(JobRun)
            .where(JobRun.name == job.id)
            .order_by(JobRun.started_at.desc(), JobRun.id.desc())
            .limit(1)
        )
        result.append((job.id, job.description, run))
    return result
