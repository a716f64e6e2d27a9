"""Import 10,000 needs from CSV: in-process and through the CLI. Target: under 5 s."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime

from common import ROOT, make_app, needs_csv, temp_database_url

N = int(os.environ.get("BENCH_NEEDS", "10000"))


def main() -> None:
    text = needs_csv(N)
    url = temp_database_url()
    app = make_app(url)
    from marketplace.accounts.roles import COMMAND_LINE
    from marketplace.extensions import db
    from marketplace.imports.services import apply_import, plan_import

    with app.app_context():
        started = time.perf_counter()
        plan = plan_import("needs", text, COMMAND_LINE)
        checked = time.perf_counter()
        assert plan.ok, plan.errors[:3]
        apply_import(plan, datetime.now(UTC))
        db.session.commit()
        done = time.perf_counter()
        print(
            f"in-process: {N} needs checked in {checked - started:.2f} s, "
            f"written in {done - checked:.2f} s, total {done - started:.2f} s"
        )
        started = time.perf_counter()
        plan = plan_import("needs", text, COMMAND_LINE)
        apply_import(plan, datetime.now(UTC))
        db.session.commit()
        print(f"re-import of the same file (all unchanged): {time.perf_counter() - started:.2f} s")
        db.engine.dispose()

    fresh = make_app(temp_database_url())
    with fresh.app_context():
        db.engine.dispose()
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, encoding="utf-8") as f:
        f.write(text)
    env = {**os.environ, "DATABASE_URL": str(fresh.config["SQLALCHEMY_DATABASE_URI"])}
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "import", "needs", f.name],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    os.unlink(f.name)
    print(result.stdout.strip())
    print(
        f"CLI `flask import needs` of {N} rows, whole process: {elapsed:.2f} s "
        f"(target < 5 s){'' if result.returncode == 0 else ' FAILED: ' + result.stderr[-500:]}"
    )


if __name__ == "__main__":
    main()
