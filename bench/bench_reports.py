"""The convention page and a one-year report with 100,000 ledger entries and 20,000
missions: target under 300 ms each (median of several calls)."""

from __future__ import annotations

import os
import statistics
import time
from datetime import UTC, date, datetime

from common import make_app, temp_database_url, year_of_sessions

SESSIONS = int(os.environ.get("BENCH_SESSIONS", "100000"))
MISSIONS = int(os.environ.get("BENCH_MISSIONS", "20000"))


def timed(client, path: str) -> float:
    client.get(path)
    samples = []
    for _ in range(5):
        started = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return statistics.median(samples)


def main() -> None:
    app = make_app(temp_database_url())
    from marketplace.extensions import db
    from marketplace.ledger.services import log_delivered_days
    from tests.factories import Factory
    from tests.missions_world import build_world

    factory = Factory(app)
    world = build_world(app, factory, quota=SESSIONS, committed=SESSIONS, offer_days=60)
    year_of_sessions(app, world, SESSIONS, MISSIONS)
    with app.app_context():
        counts = log_delivered_days(date(2026, 12, 31), datetime.now(UTC))
        from sqlalchemy import func, select, text

        from marketplace.missions.models import Mission

        missions = db.session.scalar(select(func.count(Mission.id)))
        # Fresh planner statistics, as autovacuum (PostgreSQL) keeps them on a live database
        # after a bulk load; without them PostgreSQL plans for two rows (nested loops).
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    print(f"{counts['sessions_logged']} ledger entries, {missions} missions")
    client = app.test_client()
    coordinator = world.people["coordinator"]
    client.post("/login", data={"email": coordinator.email, "password": factory.password})
    page = timed(client, f"/conventions/{world.convention_id}")
    report = timed(
        client, f"/reports?convention={world.convention_id}&from=2026-01-01&to=2026-12-31"
    )
    print(f"GET /conventions/<id>: {page:.0f} ms (target < 300 ms)")
    print(f"GET /reports one year: {report:.0f} ms (target < 300 ms)")
    # The missions list in keyset pages: the 40th page costs what the first costs.
    import re
    from html import unescape

    reference = timed(client, "/healthz")
    first = timed(client, "/missions")
    url = "/missions"
    for _ in range(39):
        found = re.search(r'href="([^"]*after=[^"]*)" rel="next"', client.get(url).get_data(True))
        url = unescape(found.group(1))
    deep = timed(client, url)
    home = timed(client, "/")
    print(f"GET /healthz (reference): {reference:.1f} ms")
    print(f"GET / (the coordinator's work queue): {home:.0f} ms ({home / reference:.1f}x)")
    print(
        f"GET /missions page 1: {first:.0f} ms ({first / reference:.1f}x healthz), "
        f"page 40: {deep:.0f} ms ({deep / reference:.1f}x)"
    )
    with app.app_context():
        db.engine.dispose()


if __name__ == "__main__":
    main()
