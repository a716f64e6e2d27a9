"""log-delivered-days on 100,000 due sessions: under 10 s; a second run under 1 s."""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta

from common import make_app, temp_database_url

N = int(os.environ.get("BENCH_SESSIONS", "100000"))
BATCH = int(os.environ.get("LEDGER_BATCH_SIZE", "10000"))


def main() -> None:
    app = make_app(temp_database_url())
    from marketplace.extensions import db
    from marketplace.ledger.services import ledger_total, log_delivered_days
    from tests.factories import Factory
    from tests.ledger_world import many_sessions
    from tests.missions_world import build_world

    today = date(2026, 11, 26)
    world = build_world(app, Factory(app), quota=N, committed=N, offer_days=60)
    started = time.perf_counter()
    many_sessions(app, world, N, today - timedelta(days=1))
    print(f"set-up: {N} confirmed sessions in {time.perf_counter() - started:.1f} s")
    with app.app_context():
        started = time.perf_counter()
        counts = log_delivered_days(today, datetime.now(UTC), batch=BATCH)
        first = time.perf_counter() - started
        print(
            f"first run: {counts['sessions_logged']} sessions, "
            f"{counts['minutes_logged'] / 420:g} days "
            f"in {first:.2f} s (target < 10 s)"
        )
        started = time.perf_counter()
        counts = log_delivered_days(today, datetime.now(UTC), batch=BATCH)
        second = time.perf_counter() - started
        print(f"second run: {counts['sessions_logged']} sessions in {second:.3f} s (target < 1 s)")
        print(f"ledger total {ledger_total(world.convention_id) / 420:g} days")
        db.engine.dispose()


if __name__ == "__main__":
    main()
