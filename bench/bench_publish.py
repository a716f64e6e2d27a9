"""Publishing one need at 50,000 open offers, against a bare /healthz in the same run.

Target (issue 12): at most 10x /healthz per publish; the web process under 250 MB after
10 publishes. Above MATCH_IN_REQUEST_OFFERS the request stores the need's vector and queues
it; the match-queue job (scheduler) matches it: its time is printed too.
The offers' vectors are random unit vectors stored under their real keys (what they say
does not change the cost; encoding 50,000 texts would take minutes). BENCH_OFFERS changes
the size.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime

import numpy as np
from common import make_app, offers_csv, temp_database_url

OFFERS = int(os.environ.get("BENCH_OFFERS", "50000"))
PUBLISHES = 10


def rss_mb() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    app = make_app(temp_database_url())
    from sqlalchemy import insert, select

    from marketplace.accounts.roles import COMMAND_LINE
    from marketplace.extensions import db
    from marketplace.imports.services import apply_import, plan_import
    from marketplace.jobs.services import run_job
    from marketplace.matching import encoder
    from marketplace.matching.models import ListingEmbedding
    from marketplace.offers.models import Offer

    started = time.perf_counter()
    with app.app_context():
        plan = plan_import("offers", offers_csv(OFFERS), COMMAND_LINE)
        apply_import(plan, datetime.now(UTC))
        rng = np.random.default_rng(3)
        rows = []
        for offer in db.session.scalars(select(Offer)):
            vector = rng.standard_normal(encoder.DIMENSIONS).astype(np.float32)
            key = encoder.text_key(
                encoder.listing_text(offer.title, offer.skills, offer.description)
            )
            rows.append(
                {
                    "offer_id": offer.id,
                    "text_key": key,
                    "vector": encoder.to_bytes(vector / np.linalg.norm(vector)),
                    "updated_at": datetime.now(UTC),
                }
            )
        db.session.execute(insert(ListingEmbedding), rows)
        db.session.commit()
        db.engine.dispose()
    print(f"{OFFERS} open offers with vectors, built in {time.perf_counter() - started:.0f} s")
    # The web side in a fresh process, as a gunicorn worker would be: its memory is its own.
    url = str(app.config["SQLALCHEMY_DATABASE_URI"])
    subprocess.run([sys.executable, __file__, "--worker", url], check=True)
    with app.app_context():
        began = time.perf_counter()
        run = run_job("match-queue", datetime.now(UTC).date(), datetime.now(UTC))
        print(
            f"match-queue job for {PUBLISHES} needs: {time.perf_counter() - began:.1f} s "
            f"({run.status}, {run.counts})"
        )
        db.engine.dispose()


def need_form(n: int, publish: bool) -> dict:
    form = {
        "title": f"Revoir nos contrats de travail {n}",
        "description": "Nous avons 25 salariés et des contrats anciens à relire.",
        "skills": "droit du travail;CDD",
        "category": "hr",
        "days": "2",
        "postcode": "54200",
        "commune": "Toul",
        "starts_on": "2027-01-10",
        "ends_on": "2027-04-30",
    }
    if publish:
        form["publish"] = "1"
    return form


def timed_posts(client, publish: bool) -> list[float]:
    samples = []
    for n in range(PUBLISHES):
        began = time.perf_counter()
        response = client.post("/needs/new", data=need_form(n, publish))
        samples.append((time.perf_counter() - began) * 1000)
        assert response.status_code in (200, 302), response.status_code
    return samples


def worker(url: str) -> None:
    from config import TestConfig
    from marketplace import create_app
    from marketplace.matching import encoder
    from tests.factories import Factory

    config = type(
        "BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False}
    )
    app = create_app(config)
    factory = Factory(app)
    manager = factory.user(role="sme_manager")
    client = app.test_client()
    client.post("/login", data={"email": manager.email, "password": factory.password})
    encoder.encode(["warm-up"])  # the model loads once per worker (preload in gunicorn)
    client.get("/healthz")
    healthz = []
    for _ in range(50):
        began = time.perf_counter()
        client.get("/healthz")
        healthz.append((time.perf_counter() - began) * 1000)
    reference = statistics.median(healthz)
    drafts = statistics.median(timed_posts(client, publish=False))
    before = rss_mb()
    publish = timed_posts(client, publish=True)
    after = rss_mb()
    median = statistics.median(publish)
    print(f"GET /healthz (reference): {reference:.2f} ms (median of 50)")
    print(
        f"POST /needs/new, draft (no matcher): median {drafts:.1f} ms "
        f"-> {drafts / reference:.1f}x healthz"
    )
    print(
        f"POST /needs/new + publish: median {median:.1f} ms, max {max(publish):.1f} ms "
        f"-> {median / reference:.1f}x healthz (target <= 10x); the matcher's part "
        f"{median - drafts:.1f} ms -> {(median - drafts) / reference:.1f}x"
    )
    print(
        f"worker RSS: {before:.0f} MB before, {after:.0f} MB after {PUBLISHES} publishes "
        "(target < 250 MB)"
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        worker(sys.argv[2])
    else:
        main()
