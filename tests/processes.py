"""The one way tests start other processes: `flask` commands and `tests.workers` tasks,
on the test database, committing for real; and the waits that go with them (an event or
a poll with a deadline, never a bare sleep)."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def spawn(args: list[str], db_url: str, env: dict | None = None, merge_stderr: bool = False):
    """Start `python -m ARGS...` in the repository with DATABASE_URL set to the test database."""
    return subprocess.Popen(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": db_url, "PYTHONPATH": str(ROOT), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
        text=True,
    )


def flask(db_url: str, *args: str, env: dict | None = None, merge_stderr: bool = False):
    """A `flask --app wsgi ARGS...` process (the scheduler, a job run…)."""
    return spawn(["flask", "--app", "wsgi", *args], db_url, env, merge_stderr)


def worker(db_url: str, task: str, *args: str):
    """A `tests.workers TASK URL ARGS...` process."""
    return spawn(["tests.workers", task, db_url, *args], db_url)


def wait_until(predicate: Callable[[], object], seconds: float = 30, every: float = 0.02):
    """Poll `predicate` until it is true (its value is returned) or the deadline passes."""
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {seconds} s: {predicate}")
        time.sleep(every)


def read_until(proc: subprocess.Popen, text: str, seconds: float = 30) -> str:
    """Read a process's output line by line until `text` appears; what was read."""
    deadline = time.monotonic() + seconds
    seen = ""
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        seen += line
        if text in line:
            return seen
        if not line and proc.poll() is not None:
            break
    raise AssertionError(f"{text!r} not seen in: {seen}")


def stop(proc: subprocess.Popen | None) -> None:
    """Kill a process still running (test clean-up)."""
    if proc is not None and proc.poll() is None:
        proc.kill()
        proc.communicate()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def web_node(db_url: str, secret: str) -> tuple[subprocess.Popen, int]:
    """A web node as in production: gunicorn with the repository's config (one worker), on a
    free loopback port, answering /healthz; returns the process and its port."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "APP_ENV": "production",
        "SECRET_KEY": secret,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "PYTHONPATH": str(ROOT),
    }
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    proc = subprocess.Popen(  # noqa: S603 - our own gunicorn, on the loopback
        [gunicorn, "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def healthy() -> bool:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", "/healthz")
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    wait_until(healthy, seconds=60, every=0.2)
    return proc, port


def terminate(procs) -> None:
    """SIGTERM, then kill what did not stop within 30 s (test clean-up)."""
    import signal

    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
