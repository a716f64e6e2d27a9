"""`match propose` as a whole process (start, load, match, store, print) at 10,000 needs x
10,000 offers with the vectors stored, against brute-force token_set_ratio on the same texts
in the same run. Target (issue 12): at most 1/20 of the brute force. BENCH_N changes the size.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime

import numpy as np
from common import ROOT, make_app, needs_csv, offers_csv, temp_database_url
from rapidfuzz import fuzz, process

N = int(os.environ.get("BENCH_N", "10000"))


def main() -> None:
    url = temp_database_url()
    app = make_app(url)
    from sqlalchemy import select

    from marketplace.accounts.roles import COMMAND_LINE
    from marketplace.extensions import db
    from marketplace.imports.services import apply_import, plan_import
    from marketplace.matching.embeddings import fill_vectors
    from marketplace.needs.models import Need
    from marketplace.offers.models import Offer

    with app.app_context():
        for kind, make in (("needs", needs_csv), ("offers", offers_csv)):
            apply_import(plan_import(kind, make(N), COMMAND_LINE), datetime.now(UTC))
            db.session.commit()
        started = time.perf_counter()
        fill_vectors()
        db.session.commit()
        print(f"{N} needs x {N} offers; vectors stored in {time.perf_counter() - started:.1f} s")
        texts = {
            kind: [
                f"{r.title} {r.skills} {r.description}"
                for r in db.session.scalars(select(model).where(model.status == "open"))
            ]
            for kind, model in (("needs", Need), ("offers", Offer))
        }
        db.engine.dispose()
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    result = subprocess.run(  # noqa: S603 - our own command
        [str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "match", "propose", "--format", "json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    ours = time.perf_counter() - started
    print(f"flask match propose (whole process): {ours:.1f} s, {len(result.stdout) // 1000} kB")
    started = time.perf_counter()
    process.cdist(
        texts["needs"], texts["offers"], scorer=fuzz.token_set_ratio, workers=-1, dtype=np.uint8
    )
    brute = time.perf_counter() - started
    print(f"brute force cdist(token_set_ratio, workers=-1): {brute:.1f} s")
    print(f"ratio: {ours / brute:.3f} of brute force (target <= 0.05)")


if __name__ == "__main__":
    sys.exit(main())
