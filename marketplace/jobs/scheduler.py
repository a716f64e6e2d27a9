"""The scheduler process: APScheduler's blocking scheduler over the job list."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from marketplace.jobs.registry import JOBS
from marketplace.jobs.services import run_job

log = logging.getLogger(__name__)


def _run_in_app(app: Flask, job_id: str) -> None:
    with app.app_context():
        now = datetime.now(UTC)
        run = run_job(job_id, now.date(), now)
        log.info("job %s %s %s", job_id, run.status, run.counts or run.error)


def build_scheduler(app: Flask, lock=None) -> BlockingScheduler:
    """A blocking scheduler with an in-memory store and one entry per job definition."""
    scheduler = BlockingScheduler(timezone=app.config["BABEL_DEFAULT_TIMEZONE"])
    if lock is not None:
        # Keeps the SQLite lock row fresh; not a job of the list (it runs nothing).
        scheduler.add_job(
            lock.heartbeat,
            "interval",
            seconds=max(1, lock.stale_after.total_seconds() / 3),
            id="scheduler-heartbeat",
            replace_existing=True,
        )
    for job in JOBS:
        scheduler.add_job(
            _run_in_app,
            "cron",
            args=(app, job.id),
            id=job.id,
            name=job.description,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            **job.cron,
        )
    return scheduler
