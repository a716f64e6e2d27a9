"""Jobs run by hand and the scheduler process."""

from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
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
from tests.processes import flask, read_until, stop, terminate, wait_until
from tests.units import DAY, HALF

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


@pytest.mark.slow
def test_scheduler_process_starts_and_stops_cleanly(db_url, db):
    # Stopped right after it starts, when it is busiest: a stop taken inside a
    # signal handler used to deadlock there about one time in ten.
    for stop_signal in (signal.SIGTERM, signal.SIGINT, signal.SIGTERM):
        proc = _scheduler(db_url)
        try:
            deadline = time.monotonic() + 30
            first_line = ""
            while time.monotonic() < deadline and "Scheduler started:" not in first_line:
                first_line = proc.stdout.readline()
            assert "purge-login-attempts" in first_line and "send-mails" in first_line
            proc.send_signal(stop_signal)
            _stops_cleanly(proc)
        finally:
            stop(proc)


TGKILL = {"x86_64": 234, "aarch64": 131}  # the syscall that signals one thread of a process


@pytest.mark.skipif(
    not Path("/proc/self/task").exists() or platform.machine() not in TGKILL,
    reason="needs Linux /proc and tgkill",
)
@pytest.mark.slow
def test_a_stop_signal_landing_on_any_thread_stops_the_scheduler(db_url, db):
    """The kernel may hand SIGTERM to any thread of the process (numpy's BLAS threads
    among them); whichever it is, the scheduler stops cleanly."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    proc = _scheduler(db_url)
    try:
        read_until(proc, "Scheduler started:")
        threads = sorted(int(t) for t in os.listdir(f"/proc/{proc.pid}/task"))
        others = [t for t in threads if t != proc.pid]
        assert others, threads
        # The newest thread: one the scheduler started, not the main thread.
        assert libc.syscall(TGKILL[platform.machine()], proc.pid, others[-1], signal.SIGTERM) == 0
        _stops_cleanly(proc)
    finally:
        stop(proc)


def _stops_cleanly(proc: subprocess.Popen) -> None:
    output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    assert "Scheduler stopped." in output


def _scheduler(db_url: str) -> subprocess.Popen:
    env = {"SCHEDULER_POLL_SECONDS": "0.2"}
    return flask(db_url, "scheduler", "run", env=env, merge_stderr=True)


@pytest.mark.slow
def test_a_second_scheduler_waits_and_takes_over(db_url, db):
    first = _scheduler(db_url)
    second = None
    try:
        read_until(first, "Scheduler started:")
        second = _scheduler(db_url)
        said = read_until(second, "waiting")
        assert "Scheduler started" not in said
        with pytest.raises(subprocess.TimeoutExpired):  # several polls: it keeps waiting
            second.wait(timeout=1)
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=30)
        taken = read_until(second, "Scheduler started:")
        assert "Scheduler lock acquired." in taken
    finally:
        terminate([proc for proc in (first, second) if proc is not None])


def test_missed_jobs_are_those_whose_last_schedule_passed_without_a_run(app, db):
    from zoneinfo import ZoneInfo

    from marketplace.jobs.scheduler import missed_jobs

    paris = ZoneInfo("Europe/Paris")
    now = datetime(2026, 11, 26, 10, 2, tzinfo=paris)
    with app.app_context():
        # Never run: every one, but those that watch a queue.
        assert missed_jobs(now, paris) == [job.id for job in JOBS if job.idle is None]

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
        # match-queue (every minute, never run) watches a queue: never caught up.
        assert missed_jobs(now, paris) == [
            "log-delivered-days",
            "refresh-proposals",
            "advance-arrears",  # never ran
            "impact-follow-up",  # never ran
            "remind",
        ]
        # At 00:30 yesterday's 02:00 run is the last one due: nothing of the ledger is missed.
        early = datetime(2026, 11, 26, 0, 30, tzinfo=paris)
        assert "log-delivered-days" not in missed_jobs(early, paris)


@pytest.mark.slow
def test_the_scheduler_catches_up_the_missed_jobs_once_at_start(app, factory, db_url, db):
    from datetime import date

    from marketplace.ledger.models import LedgerEntry
    from tests.ledger_world import mission_with_sessions
    from tests.missions_world import build_world

    world = build_world(app, factory, quota=100, committed=100, offer_days=60, needs=1)
    today = date.today()
    mission_with_sessions(
        app,
        world,
        [
            (today - timedelta(days=3), DAY, "confirmed"),
            (today - timedelta(days=2), HALF, "confirmed"),
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
            said = read_until(proc, "Catch-up done:", seconds=60)
            caught_up = [job.id for job in JOBS if job.idle is None]
            assert f"Catch-up done: {len(caught_up) if attempt == 0 else 0} missed job" in said
            assert set(runs()) == set(caught_up)
            proc.send_signal(signal.SIGTERM)
            output, _ = proc.communicate(timeout=60)
            assert proc.returncode == 0, output
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        assert runs()["log-delivered-days"] == 1 and runs()["expire"] == 1, output
        with app.app_context():
            assert db.session.scalar(select(func.sum(LedgerEntry.minutes))) == DAY + HALF


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


@pytest.mark.parametrize(
    ("utc_instant", "paris_date"),
    [
        ("2026-07-14T22:30:00+00:00", "2026-07-15"),  # 00:30 in Paris, summer (UTC+2)
        ("2026-07-14T23:00:00+00:00", "2026-07-15"),  # 01:00 in Paris, summer: `expire`
        ("2026-01-14T23:30:00+00:00", "2026-01-15"),  # 00:30 in Paris, winter (UTC+1)
        ("2026-01-15T00:00:00+00:00", "2026-01-15"),  # 01:00 in Paris, winter
    ],
)
def test_a_job_fired_after_midnight_in_paris_runs_for_the_paris_date(
    app, db, utc_instant, paris_date
):
    from marketplace.jobs.scheduler import _run_in_app

    _run_in_app(app, "expire", datetime.fromisoformat(utc_instant))
    with app.app_context():
        run = db.session.scalar(select(JobRun).where(JobRun.name == "expire"))
        assert run.period_on.isoformat() == paris_date
        assert run.status == "succeeded"


def test_clock_today_is_the_programme_date(app):
    from marketplace import clock

    with app.app_context():
        summer = datetime(2026, 7, 14, 22, 30, tzinfo=UTC)
        assert clock.local_date(summer).isoformat() == "2026-07-15"
        app.config["TIMEZONE"] = "UTC"
        try:
            assert clock.local_date(summer).isoformat() == "2026-07-14"
        finally:
            app.config["TIMEZONE"] = "Europe/Paris"
        assert clock.now().tzinfo is UTC


def test_a_dead_run_is_marked_interrupted_by_the_next_run_and_shown(
    app, db, runner, login_as, client
):
    """A run whose process died keeps `running` with a stale heartbeat; the next run of any
    job marks it `interrupted`, and the staff home shows it."""
    now = datetime.now(UTC)
    with app.app_context():
        db.session.add(
            JobRun(
                name="log-delivered-days",
                period_on=now.date(),
                started_at=now - timedelta(hours=1),
                heartbeat_at=now - timedelta(hours=1),
                status="running",
                counts={},
            )
        )
        live = JobRun(
            name="remind",
            period_on=now.date(),
            started_at=now,
            heartbeat_at=now,
            status="running",
            counts={},
        )
        db.session.add(live)
        db.session.commit()
    assert runner.invoke(args=["jobs", "run", "purge-login-attempts"]).exit_code == 0
    with app.app_context():
        statuses = dict(db.session.execute(select(JobRun.name, JobRun.status)).all())
    assert statuses["log-delivered-days"] == "interrupted"
    assert statuses["remind"] == "running"  # its heartbeat is fresh: still alive
    login_as("coordinator")
    page = client.get("/").get_data(as_text=True)
    assert "interrompue" in page and "en cours" in page


def test_a_running_job_beats_while_it_works(app, db, monkeypatch):
    """The heartbeat moves while the body runs, from its own connection."""
    import threading

    from marketplace.jobs import registry
    from marketplace.jobs.services import run_job

    release = threading.Event()
    beats: list = []

    def slow_body(today, now):
        def seen_beat():
            with db.engine.connect() as connection:
                beat = connection.execute(select(JobRun.heartbeat_at)).scalar()
            beats.append(beat)
            return len(set(beats)) >= 3

        assert wait_until(seen_beat, seconds=10)
        release.set()
        return {"ok": 1}

    job = registry.JOBS_BY_ID["purge-login-attempts"]
    monkeypatch.setitem(
        registry.JOBS_BY_ID,
        job.id,
        registry.JobDefinition(job.id, job.description, slow_body, job.cron),
    )
    app.config["JOB_HEARTBEAT_SECONDS"] = 0.02
    try:
        with app.app_context():
            now = datetime.now(UTC)
            run = run_job(job.id, now.date(), now)
            assert run.status == "succeeded" and release.is_set(), run.error
    finally:
        app.config["JOB_HEARTBEAT_SECONDS"] = 30


def test_the_jobs_table_speaks_french(app, db, runner, login_as, client):
    assert runner.invoke(args=["jobs", "run", "remind"]).exit_code == 0
    assert runner.invoke(args=["jobs", "run", "log-delivered-days"]).exit_code == 0
    login_as("coordinator")
    page = client.get("/").get_data(as_text=True)
    assert "Inscrire les jours réalisés" in page and "0 séance, 0 min" in page
    assert "séances demain" in page and "sessions_tomorrow" not in page
