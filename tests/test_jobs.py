"""Jobs run by hand and the scheduler process."""

from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from marketplace import create_app
from marketplace.accounts.models import LoginAttempt
from marketplace.extensions import db
from marketplace.jobs.models import JobRun
from marketplace.jobs.registry import JOBS
from tests.conftest import dispose, make_config

ROOT = Path(__file__).resolve().parent.parent


def test_purge_login_attempts_job_with_injected_today(runner, app):
    today = datetime(2026, 11, 26, tzinfo=UTC)
    with app.app_context():
        db.session.add_all(
            [
                LoginAttempt(
                    key_kind="account",
                    key="a@test.example",
                    attempted_at=today - timedelta(hours=2),
                ),
                LoginAttempt(
                    key_kind="account",
                    key="a@test.example",
                    attempted_at=today + timedelta(hours=1),
                ),
            ]
        )
        db.session.commit()
    result = runner.invoke(
        args=["jobs", "run", "purge-login-attempts", "--today", "2026-11-26", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload == {
        "job": "purge-login-attempts",
        "today": "2026-11-26",
        "status": "succeeded",
        "deleted": 1,
    }
    again = runner.invoke(
        args=["jobs", "run", "purge-login-attempts", "--today", "2026-11-26", "--format", "json"]
    )
    assert json.loads(again.output)["deleted"] == 0
    with app.app_context():
        assert db.session.scalar(select(func.count(LoginAttempt.id))) == 1
        runs = db.session.scalars(select(JobRun).order_by(JobRun.id)).all()
        assert [r.status for r in runs] == ["succeeded", "succeeded"]
        assert runs[0].counts == {"deleted": 1} and runs[0].finished_at >= runs[0].started_at


def test_unknown_job_and_bad_date_are_refused(runner, app):
    result = runner.invoke(args=["jobs", "run", "no-such-job"])
    assert result.exit_code != 0
    assert "unknown job" in result.output
    result = runner.invoke(args=["jobs", "run", "purge-login-attempts", "--today", "26/11/2026"])
    assert result.exit_code != 0
    assert "YYYY-MM-DD" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(JobRun.id))) == 0


def test_jobs_list_shows_schedule_and_last_run(runner):
    assert "never run" in runner.invoke(args=["jobs", "list"]).output
    runner.invoke(args=["jobs", "run", "purge-login-attempts"])
    output = runner.invoke(args=["jobs", "list"]).output
    assert "purge-login-attempts" in output and "succeeded" in output


def test_create_app_starts_no_thread_and_no_scheduler(db_url):
    before = threading.active_count()
    application = create_app(make_config(db_url))
    assert threading.active_count() == before
    assert "apscheduler" not in " ".join(t.name.lower() for t in threading.enumerate())
    dispose(application)


def test_scheduler_definition_has_stable_ids(app):
    from marketplace.jobs.scheduler import build_scheduler

    scheduler = build_scheduler(app)
    assert [job.id for job in scheduler.get_jobs()] == [job.id for job in JOBS]


def test_scheduler_process_starts_and_stops_cleanly(db_url, db):
    # Stopped right after it starts, when it is busiest: a stop taken inside a
    # signal handler used to deadlock there about one time in ten.
    for stop in (signal.SIGTERM, signal.SIGINT, signal.SIGTERM):
        proc = _scheduler(db_url)
        try:
            deadline = time.monotonic() + 30
            first_line = ""
            while time.monotonic() < deadline and "Scheduler started:" not in first_line:
                first_line = proc.stdout.readline()
            assert "purge-login-attempts" in first_line and "send-mails" in first_line
            proc.send_signal(stop)
            _stops_cleanly(proc)
        finally:
            _kill_if_running(proc)


TGKILL = {"x86_64": 234, "aarch64": 131}  # the syscall that signals one thread of a process


@pytest.mark.skipif(
    not Path("/proc/self/task").exists() or platform.machine() not in TGKILL,
    reason="needs Linux /proc and tgkill",
)
def test_a_stop_signal_landing_on_any_thread_stops_the_scheduler(db_url, db):
    """The kernel may hand SIGTERM to any thread of the process (numpy's BLAS threads
    among them); whichever it is, the scheduler stops cleanly."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    proc = _scheduler(db_url)
    try:
        _wait_for(proc, "Scheduler started:")
        threads = sorted(int(t) for t in os.listdir(f"/proc/{proc.pid}/task"))
        others = [t for t in threads if t != proc.pid]
        assert others, threads
        # The newest thread: one the scheduler started, not the main thread.
        assert libc.syscall(TGKILL[platform.machine()], proc.pid, others[-1], signal.SIGTERM) == 0
        _stops_cleanly(proc)
    finally:
        _kill_if_running(proc)


def _stops_cleanly(proc: subprocess.Popen) -> None:
    output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    assert "Scheduler stopped." in output


def _kill_if_running(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.communicate()


def _scheduler(db_url: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "PYTHONPATH": str(ROOT),
        "SCHEDULER_POLL_SECONDS": "0.2",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_for(proc: subprocess.Popen, text: str, seconds: float = 30) -> str:
    deadline = time.monotonic() + seconds
    seen = ""
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        seen += line
        if text in line:
            return seen
    raise AssertionError(f"{text!r} not seen in: {seen}")


def test_a_second_scheduler_waits_and_takes_over(db_url, db):
    first = _scheduler(db_url)
    second = None
    try:
        _wait_for(first, "Scheduler started:")
        second = _scheduler(db_url)
        said = _wait_for(second, "waiting")
        assert "Scheduler started" not in said
        time.sleep(1)  # several polls: still waiting, it runs no job
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=30)
        taken = _wait_for(second, "Scheduler started:")
        assert "Scheduler lock acquired." in taken
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.communicate(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.communicate()


def test_missed_jobs_are_those_whose_last_schedule_passed_without_a_run(app, db):
    from zoneinfo import ZoneInfo

    from marketplace.jobs.scheduler import missed_jobs

    paris = ZoneInfo("Europe/Paris")
    now = datetime(2026, 11, 26, 10, 2, tzinfo=paris)
    with app.app_context():
        assert missed_jobs(now, paris) == [job.id for job in JOBS]  # never run: every one

        def ran(name: str, at: datetime, status: str = "succeeded") -> None:
            db.session.add(
                JobRun(
                    name=name,
                    period_on=at.date(),
                    started_at=at.astimezone(UTC),
                    status=status,
                    counts={},
                )
            )

        ran("expire", datetime(2026, 11, 26, 1, 0, 5, tzinfo=paris))  # today's run: done
        ran("log-delivered-days", datetime(2026, 11, 25, 2, 0, 5, tzinfo=paris))  # yesterday's
        ran("quota-alerts", datetime(2026, 11, 26, 2, 30, 1, tzinfo=paris), "failed")  # it ran
        ran("purge-login-attempts", datetime(2026, 11, 26, 9, 0, tzinfo=paris))  # by hand, late
        ran("remind", datetime(2026, 11, 26, 6, 59, 59, tzinfo=paris))  # just before 07:00
        ran("send-mails", datetime(2026, 11, 26, 10, 0, 2, tzinfo=paris))
        db.session.commit()
        assert missed_jobs(now, paris) == ["log-delivered-days", "refresh-proposals", "remind"]
        # At 00:30 yesterday's 02:00 run is the last one due: nothing of the ledger is missed.
        early = datetime(2026, 11, 26, 0, 30, tzinfo=paris)
        assert "log-delivered-days" not in missed_jobs(early, paris)


def test_the_scheduler_catches_up_the_missed_jobs_once_at_start(app, factory, db_url, db):
    from datetime import date

    from marketplace.conventions.models import LedgerEntry
    from tests.ledger_world import mission_with_sessions
    from tests.missions_world import build_world

    world = build_world(app, factory, quota=100, committed=100, offer_days=60, needs=1)
    today = date.today()
    mission_with_sessions(
        app,
        world,
        [
            (today - timedelta(days=3), 1, "confirmed"),
            (today - timedelta(days=2), 0.5, "confirmed"),
        ],
    )

    def runs() -> dict[str, int]:
        with app.app_context():
            return dict(
                db.session.execute(select(JobRun.name, func.count()).group_by(JobRun.name)).all()
            )

    for attempt in range(2):  # a fresh install (nothing ever ran), then a restart
        proc = _scheduler(db_url)
        try:
            _wait_for(proc, "Scheduler started:")
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and set(runs()) != {job.id for job in JOBS}:
                time.sleep(0.2)
            time.sleep(1 if attempt else 0)  # on restart: time to (wrongly) run anything again
            proc.send_signal(signal.SIGTERM)
            output, _ = proc.communicate(timeout=60)
            assert proc.returncode == 0, output
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        assert runs()["log-delivered-days"] == 1 and runs()["expire"] == 1, output
        with app.app_context():
            assert db.session.scalar(select(func.sum(LedgerEntry.days))) == 1.5


def test_a_silent_sqlite_lock_holder_is_replaced(app, db):
    from sqlalchemy import update

    from marketplace.jobs.lock import SchedulerLock
    from marketplace.jobs.models import JobLock

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("PostgreSQL's advisory lock goes with its process")
        first = SchedulerLock(db.engine, timedelta(seconds=90))
        second = SchedulerLock(db.engine, timedelta(seconds=90))
        first.holder, second.holder = "host:1", "host:2"
        assert first.acquire()
        assert not second.acquire()  # a fresh heartbeat: still held
        db.session.execute(
            update(JobLock).values(heartbeat_at=datetime.now(UTC) - timedelta(seconds=91))
        )
        db.session.commit()
        assert second.acquire()  # silent for longer than stale_after: taken over
        assert not first.acquire()
        second.release()
        assert first.acquire()
        first.release()
