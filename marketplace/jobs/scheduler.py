"""The scheduler process: APScheduler's blocking scheduler over the job list."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo

from apscheduler.events import EVENT_SCHEDULER_STARTED
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from flask import Flask

from marketplace import clock
from marketplace.extensions import db
from marketplace.jobs.registry import JOBS, JOBS_BY_ID, JobDefinition
from marketplace.jobs.services import last_runs, mark_interrupted, run_job

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
HEARTBEAT_JOB = "scheduler-heartbeat"
CATCH_UP_JOB = "catch-up"


def _run_in_app(app: Flask, job_id: str, now: datetime | None = None) -> None:
    """Run a job in an app context for the programme's date at `now` (default: the clock)."""
    with app.app_context():
        idle = JOBS_BY_ID[job_id].idle
        if idle is not None and idle():
            log.debug("job %s: nothing to do", job_id)
            return
        now = now or clock.now()
        run = run_job(job_id, clock.local_date(now), now)
        log.info("job %s %s %s", job_id, run.status, run.counts or run.error)


def previous_fire_time(job: JobDefinition, now: datetime, timezone: tzinfo) -> datetime | None:
    """The last time, up to `now`, that this job's schedule fired (within the last 8 days)."""
    trigger = CronTrigger(timezone=timezone, **job.cron)
    fire = trigger.get_next_fire_time(None, now - timedelta(days=8))
    previous = None
    while fire is not None and fire <= now:
        previous = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return previous


def missed_jobs(now: datetime, timezone: tzinfo) -> list[str]:
    """The jobs whose last scheduled time passed with no run since (the scheduler was down,
    or never ran), in the list's order: expire, then the ledger, then the alerts…

    A run by hand (`jobs run`) after that time counts; so does a failed run (it is shown as
    failed, and the next scheduled run catches up as usual). A job that watches a queue (it
    has an `idle` check) is not caught up: it fires again within minutes and finds the queue.
    """
    missed = []
    for job_id, _description, last in last_runs():
        if JOBS_BY_ID[job_id].idle is not None:
            continue
        due = previous_fire_time(JOBS_BY_ID[job_id], now, timezone)
        if due is None:
            continue
        if last is None or last.started_at < due:  # UTCDateTime reads back aware
            missed.append(job_id)
    return missed


def _catch_up(app: Flask, stopping: threading.Event, echo: Callable[[str], None]) -> None:
    """Run, once and in order, the jobs missed while no scheduler ran: a fresh install or a
    restart after downtime does not wait for the next night to bring the books up to date.
    A stop request is honoured between two jobs."""
    with app.app_context():
        interrupted = mark_interrupted(clock.now())
        db.session.commit()
        if interrupted:
            log.warning(
                "%s job run(s) had stopped without finishing: marked interrupted", interrupted
            )
        timezone = clock.timezone()
        missed = missed_jobs(clock.now().astimezone(timezone), timezone)
    if missed:
        log.info("catching up the jobs missed while no scheduler ran: %s", ", ".join(missed))
    for job_id in missed:
        if stopping.is_set():
            log.info("catch-up stopped before %s: the next scheduled run will do it", job_id)
            return
        _run_in_app(app, job_id)
    echo(f"Catch-up done: {len(missed)} missed job(s) run.")


def build_scheduler(
    app: Flask,
    lock=None,
    stopping: threading.Event | None = None,
    echo: Callable[[str], None] = log.info,
) -> BlockingScheduler:
    """A blocking scheduler with an in-memory store and one entry per job definition; in the
    scheduler process (lock and stop event given) also the lock's heartbeat and a catch-up
    run at start."""
    scheduler = BlockingScheduler(timezone=app.config["TIMEZONE"])
    if stopping is not None:
        scheduler.add_job(
            _catch_up, "date", args=(app, stopping, echo), id=CATCH_UP_JOB, name="Catch up"
        )
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


def _sleep_unless_stopped(stop: dict, seconds: float) -> bool:
    """Sleep in short slices; True as soon as a stop was requested."""
    deadline = time.monotonic() + seconds
    while not stop["requested"]:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(left, 0.1))
    return True


def run_until_stopped(app: Flask, lock, echo: Callable[[str], None], poll_seconds: float) -> None:
    """The scheduler process's main: wait for the lock, run the jobs until SIGTERM/SIGINT.

    The blocking scheduler runs in its own thread; the main thread only waits for a stop.
    The signal handler does nothing but set a flag: a handler calling shutdown() could land
    while the main thread held one of the scheduler's non-reentrant locks and deadlock (seen:
    2 stops in 20 hung that way). Taking the signals with sigwait() in the main thread is
    not enough either: a process-directed signal can be delivered to any native thread that
    does not block it (numpy's BLAS pool, started at import before we could block anything),
    and sigwait() then never sees it (seen: 1 stop in 20 lost). The flag is set whichever
    thread received the signal, and is read at most 0.1 s later. This function owns the
    process's signals; it is meant to be the last thing the process does.
    """
    stop = {"requested": False}

    def _request_stop(_signum, _frame) -> None:
        stop["requested"] = True  # nothing else: no lock, no call into the scheduler

    for signum in STOP_SIGNALS:
        signal.signal(signum, _request_stop)
    scheduler: BlockingScheduler | None = None
    thread: threading.Thread | None = None
    stopping = threading.Event()
    try:
        if not lock.acquire():
            echo(
                "Another scheduler process holds the lock and runs the jobs: "
                "waiting for it to stop."
            )
            while not lock.acquire():
                if _sleep_unless_stopped(stop, poll_seconds):
                    return
        echo("Scheduler lock acquired.")
        scheduler = build_scheduler(app, lock, stopping, echo)

        def _started(_event) -> None:
            names = ", ".join(
                job.id
                for job in scheduler.get_jobs()
                if job.id not in (HEARTBEAT_JOB, CATCH_UP_JOB)
            )
            echo(f"Scheduler started: {names}")

        scheduler.add_listener(_started, EVENT_SCHEDULER_STARTED)
        thread = threading.Thread(target=scheduler.start, name="scheduler")
        thread.start()
        while thread.is_alive() and not stop["requested"]:
            thread.join(timeout=0.1)
    finally:
        stopping.set()
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=True)  # a running job finishes before the lock goes
        if thread is not None:
            thread.join()
        lock.release()
