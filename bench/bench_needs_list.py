"""The needs list with 50,000 rows: target under 200 ms a page (median of several calls)."""

from __future__ import annotations

import os
import statistics
import time
from datetime import UTC, datetime

from common import make_app, needs_csv, temp_database_url

N = int(os.environ.get("BENCH_NEEDS", "50000"))
CASES = [
    ("first page, newest first", {}),
    ("page 1000", {"page": 1000}),
    ("category + sort by days", {"category": "hr", "sort": "days"}),
    ("window filter", {"window_from": "2026-06-01", "window_to": "2026-06-30"}),
    ("commune filter", {"commune": "toul"}),
    ("fuzzy search, one word with a typo", {"q": "maintenace"}),
    ("fuzzy search, two words", {"q": "contrats travail"}),
    ("fuzzy search + category", {"q": "energetique", "category": "energy"}),
]


def main() -> None:
    app = make_app(temp_database_url())
    from marketplace.accounts.roles import COMMAND_LINE
    from marketplace.extensions import db
    from marketplace.imports.services import apply_import, plan_import
    from tests.factories import Factory

    with app.app_context():
        plan = plan_import("needs", needs_csv(N), COMMAND_LINE)
        apply_import(plan, datetime.now(UTC))
        db.session.commit()
    admin = Factory(app).user(role="admin")
    client = app.test_client()
    client.post("/login", data={"email": admin.email, "password": Factory.password})
    print(f"{N} needs; GET /needs as an admin (sees them all), median of 7 calls after 1 warm-up:")
    for label, args in CASES:
        client.get("/needs", query_string=args)
        timings = []
        for _ in range(7):
            started = time.perf_counter()
            response = client.get("/needs", query_string=args)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        print(f"  {label:<38} {statistics.median(timings):7.1f} ms   (max {max(timings):.1f})")
    with app.app_context():
        db.engine.dispose()


if __name__ == "__main__":
    main()
