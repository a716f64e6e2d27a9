"""Load bench (contract): the key pages under concurrent load, against the login page.

    python bench/load.py --db sqlite|postgresql+psycopg://… --scale X --seconds S --connections N

Builds a programme at the given scale (--scale 1: 50,000 needs and 50,000 offers, 20,000
missions, 100,000 ledger entries, 30,000 proposals) in a fresh database, starts gunicorn
with the repository's gunicorn.conf.py on a loopback port, logs in as each role, then sends
N concurrent connections for S seconds at each key page in turn (one page at a time, so a
slow export does not hold the others in the queue; the login page first) and prints
p50/p95/p99, requests per second, errors, and each page's p95 divided by the login page's
p95 measured in the same run. Several levels:
--connections 10,50. The last line is one JSON object (a contract, read by outside scripts):
{"db", "scale", "pages": {NAME: {"p50_ms", "p95_ms", "p99_ms", "rps", "errors", "ratio"}}}
for the last level. Loopback only; every loop is bounded in time; it stops by itself.

The load comes from Python threads on the same two cores as the server: the ratios, taken
in one run, are the figure to read, not the absolute times.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlencode

from common import ROOT, make_app, needs_csv, offers_csv, year_of_sessions

# Seconds to build one unit of scale, measured on this 2-core machine (SQLite / PostgreSQL);
# a scale whose estimate passes --max-build-seconds is refused before anything is built.
BUILD_SECONDS_PER_SCALE = {"sqlite": 120, "postgresql": 200}
REFERENCE = "login"


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite", help="sqlite, or a PostgreSQL URL")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, default=5.0, help="per page and level")
    parser.add_argument("--connections", default="10,50", help="one level, or several: 10,50")
    parser.add_argument("--port", type=int, default=0, help="0: a free loopback port")
    parser.add_argument("--max-build-seconds", type=float, default=1200.0)
    args = parser.parse_args()
    kind = "sqlite" if args.db == "sqlite" else "postgresql"
    if kind == "postgresql" and not args.db.startswith("postgresql"):
        parser.error("--db is sqlite or a postgresql+psycopg:// URL")
    if not 0 < args.scale <= 100:
        parser.error("--scale must be above 0 and at most 100")
    if not 1 <= args.seconds <= 600:
        parser.error("--seconds must be between 1 and 600")
    try:
        args.levels = [int(n) for n in args.connections.split(",")]
    except ValueError:
        parser.error("--connections takes whole numbers: 50, or 10,50")
    if not all(1 <= n <= 200 for n in args.levels):
        parser.error("--connections: between 1 and 200 each")
    estimate = BUILD_SECONDS_PER_SCALE[kind] * args.scale
    if estimate > args.max_build_seconds:
        parser.error(
            f"scale {args.scale:g} on {kind} would take about {estimate:.0f} s to build, more "
            f"than --max-build-seconds {args.max_build_seconds:.0f}: refused"
        )
    args.kind = kind
    return args


def database_url(args) -> str:
    if args.kind == "postgresql":
        return args.db
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"load-{os.getpid()}"
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder}/load.sqlite3"


def build(url: str, scale: float) -> dict:
    """The programme at this scale; returns the people (email by role) and a few ids."""
    app = make_app(url)
    from sqlalchemy import insert, select, text

    from marketplace.accounts.roles import COMMAND_LINE
    from marketplace.extensions import db
    from marketplace.imports.services import apply_import, plan_import
    from marketplace.ledger.services import log_delivered_days
    from marketplace.matching.models import Proposal
    from marketplace.missions.models import Mission
    from marketplace.needs.models import Need
    from marketplace.offers.models import Offer
    from tests.factories import Factory
    from tests.missions_world import build_world

    factory = Factory(app)
    sessions, missions = int(100_000 * scale), int(20_000 * scale)
    world = build_world(app, factory, quota=sessions, committed=sessions, offer_days=60)
    year_of_sessions(app, world, sessions, missions)
    now = datetime.now(UTC)
    with app.app_context():
        for kind, make in (("needs", needs_csv), ("offers", offers_csv)):
            plan = plan_import(kind, make(int(50_000 * scale)), COMMAND_LINE)
            apply_import(plan, now)
            db.session.commit()
        log_delivered_days(date(2026, 12, 31), now)
        need_ids = db.session.scalars(select(Need.id).where(Need.ref.like("N-B%"))).all()
        offer_ids = db.session.scalars(select(Offer.id).where(Offer.ref.like("O-B%"))).all()
        rng = random.Random(3)
        pairs = set()
        while len(pairs) < min(int(30_000 * scale), len(need_ids) * 5):
            pairs.add((rng.choice(need_ids), rng.choice(offer_ids)))
        by_need: dict[int, int] = {}
        rows = []
        for need_id, offer_id in sorted(pairs):
            by_need[need_id] = by_need.get(need_id, 0) + 1
            rows.append(
                {
                    "need_id": need_id,
                    "offer_id": offer_id,
                    "score": round(rng.uniform(30, 100), 1),
                    "rank": by_need[need_id],
                    "reasons": {"shared": [], "window": ["2026-06-01", "2026-06-30"]},
                    "status": "proposed",
                    "created_at": now,
                    "updated_at": now,
                }
            )
        db.session.execute(insert(Proposal), rows)
        db.session.commit()
        mission_id = db.session.scalar(select(Mission.id).order_by(Mission.id))
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        counts = {
            "needs": db.session.scalar(select(db.func.count(Need.id))),
            "offers": db.session.scalar(select(db.func.count(Offer.id))),
            "missions": db.session.scalar(select(db.func.count(Mission.id))),
        }
        db.engine.dispose()
    people = {role: user.email for role, user in world.people.items()}
    return {
        "people": people,
        "password": factory.password,
        "convention": world.convention_id,
        "mission": mission_id,
        "counts": counts,
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(url: str, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "PYTHONPATH": str(ROOT),
    }
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn, loopback only
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            status, _body, _cookie = request(port, "GET", "/healthz")
            if status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


def request(port, method, path, cookie=None, body=None, connection=None):
    own = connection is None
    connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Cookie": cookie} if cookie else {}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    data = response.read()
    set_cookie = response.getheader("Set-Cookie")
    if own:
        connection.close()
    return response.status, data, set_cookie


def log_in(port: int, email: str, password: str) -> str:
    status, page, cookie = request(port, "GET", "/login")
    session = cookie.split(";", 1)[0]
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        rb'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    form = urlencode({"csrf_token": token.group(1).decode(), "email": email, "password": password})
    status, _page, cookie = request(port, "POST", "/login", session, form)
    if status != 302 or not cookie:
        raise SystemExit(f"login as {email} failed ({status})")
    return cookie.split(";", 1)[0]


def pages(built: dict) -> dict[str, tuple[str | None, str]]:
    """Name -> (role whose session asks it, path). None: no session (the login page)."""
    year = "from=2026-01-01&to=2026-12-31"
    convention = built["convention"]
    return {
        REFERENCE: (None, "/login"),
        "home_admin": ("admin", "/"),
        "home_coordinator": ("coordinator", "/"),
        "home_sme": ("sme_manager", "/"),
        "home_volunteer": ("volunteer", "/"),
        "home_referent": ("group_referent", "/"),
        "needs": ("coordinator", "/needs"),
        "needs_search": ("admin", "/needs?q=maintenace"),
        "offers": ("admin", "/offers"),
        "proposals": ("admin", "/proposals"),
        "missions": ("coordinator", "/missions"),
        "mission": ("coordinator", f"/missions/{built['mission']}"),
        "convention": ("coordinator", f"/conventions/{convention}"),
        "report": ("coordinator", f"/reports?convention={convention}&{year}"),
        "report_csv": ("coordinator", f"/reports.csv?convention={convention}&{year}"),
        "report_xlsx": ("coordinator", f"/reports.xlsx?convention={convention}&{year}"),
        "notifications": ("sme_manager", "/notifications"),
    }


def hammer(port, role_cookie, path, connections: int, seconds: float) -> tuple[list, int]:
    """`connections` threads asking one page for `seconds`: (latencies in ms, errors)."""
    samples: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.monotonic() < stop_at:
            began = time.perf_counter()
            try:
                status, _body, _ = request(port, "GET", path, role_cookie, None, connection)
                failed = status >= 400
            except (OSError, http.client.HTTPException):
                failed = True
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            took = (time.perf_counter() - began) * 1000
            with lock:
                samples.append(took)
                errors[0] += failed
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 120)
    return samples, errors[0]


def settle(port: int, limit: float = 120.0) -> None:
    """Wait until the server is idle again (requests given up by the client may still run),
    so that one page's backlog is not charged to the next."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        began = time.perf_counter()
        try:
            request(port, "GET", "/healthz")
        except (OSError, http.client.HTTPException):
            pass
        if time.perf_counter() - began < 0.05:
            return
        time.sleep(0.5)


def run_level(port, targets, cookies, connections: int, seconds: float) -> dict:
    """Each page alone under `connections` connections for `seconds`, the login page first."""
    measured = {}
    for name, (role, path) in targets.items():
        measured[name] = hammer(port, cookies.get(role), path, connections, seconds)
        settle(port)
    reference = percentile(measured[REFERENCE][0], 95) or 1.0
    return {
        name: {
            "p50_ms": round(percentile(values, 50), 1),
            "p95_ms": round(percentile(values, 95), 1),
            "p99_ms": round(percentile(values, 99), 1),
            "rps": round(len(values) / seconds, 1),
            "errors": errors,
            "ratio": round(percentile(values, 95) / reference, 2),
        }
        for name, (values, errors) in measured.items()
    }


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    args = parse()
    url = database_url(args)
    began = time.monotonic()
    built = build(url, args.scale)
    print(f"built {built['counts']} in {time.monotonic() - began:.0f} s", flush=True)
    port = args.port or free_port()
    server = start_server(url, port)
    try:
        cookies = {
            role: log_in(port, email, built["password"]) for role, email in built["people"].items()
        }
        targets = pages(built)
        # Warm-up: every page a few times (templates compiled, pools filled); a page that
        # fails here is said, and counted again in the timed runs.
        for name, (role, path) in targets.items():
            began = time.perf_counter()
            try:
                for _ in range(3):
                    status, _body, _ = request(port, "GET", path, cookies.get(role))
                said = f"{status}"
            except (OSError, http.client.HTTPException) as error:
                said = f"failed ({type(error).__name__})"
            took = (time.perf_counter() - began) / 3 * 1000
            print(f"warm-up {name:<18} {said}, {took:.0f} ms", flush=True)
        result = {}
        for level in args.levels:
            result = run_level(port, targets, cookies, level, args.seconds)
            print(f"\n{level} connections, {args.seconds:g} s a page:")
            print(
                f"{'page':<18} {'p50':>8} {'p95':>8} {'p99':>8} {'rps':>7} {'err':>5} {'ratio':>6}"
            )
            for name, row in result.items():
                print(
                    f"{name:<18} {row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f} "
                    f"{row['p99_ms']:>8.1f} {row['rps']:>7.1f} {row['errors']:>5} "
                    f"{row['ratio']:>6.2f}"
                )
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
    print(json.dumps({"db": args.kind, "scale": args.scale, "pages": result}))


if __name__ == "__main__":
    main()
