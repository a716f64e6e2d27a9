"""The scheduler process: APScheduler's blocking scheduler over the job list."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.events import EVENT_SCHEDULER_STARTED
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
            id=HEARTBEAT_JOB,
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


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
HEARTBEAT_JOB = "scheduler-heartbeat"


def _never_called(_signum, _frame) -> None:  # pragma: no cover - the signals stay blocked
    """A handler, so that an inherited SIG_IGN does not discard the blocked signals."""


def run_until_stopped(app: Flask, lock, echo: Callable[[str], None], poll_seconds: float) -> None:
    """The scheduler process's main: wait for the lock, run the jobs until SIGTERM/SIGINT.

    The stop signals are blocked and taken synchronously by the main thread
    (sigtimedwait), which does nothing else, while the blocking scheduler runs
    in its own thread. No code runs inside a signal handler: a handler calling
    shutdown() can land while the scheduler holds its own non-reentrant lock and
    deadlock (seen: 2 stops in 20 hung that way). This function owns the
    process's signals; it is meant to be the last thing the process does.
    """
    for signum in STOP_SIGNALS:
        signal.signal(signum, _never_called)
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)  # before any thread starts
    scheduler: BlockingScheduler | None = None
    thread: threading.Thread | None = None
    try:
        if not lock.acquire():
            echo(
                "Another scheduler process holds the lock and runs the jobs: "
                "waiting for it to stop."
            )
            while not lock.acquire():
                if signal.sigtimedwait(STOP_SIGNALS, poll_seconds) is not None:
                    return
        echo("Scheduler lock acquired.")
        scheduler = build_scheduler(app, lock)

        def _started(_event) -> None:
            names = ", ".join(job.id for job in scheduler.get_jobs() if job.id != HEARTBEAT_JOB)
            echo(f"Scheduler started: {names}")

        scheduler.add_listener(_started, EVENT_SCHEDULER_STARTED)
        thread = threading.Thread(target=scheduler.start, name="scheduler")
        thread.start()
        while thread.is_alive():
            if signal.sigtimedwait(STOP_SIGNALS, 1.0) is not None:
                break
    finally:
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=True)  # a running job finishes before the lock goes
        if thread is not None:
            thread.join()
        lock.release()
