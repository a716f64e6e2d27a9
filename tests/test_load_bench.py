"""bench/load.py keeps its contract: options, a refusal it explains, the last line's JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIELDS = {"p50_ms", "p95_ms", "p99_ms", "rps", "errors", "ratio"}


def run(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "load.py", *args],
        cwd=ROOT / "bench",
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_a_scale_it_cannot_build_in_time_is_refused_before_anything_is_built():
    result = run("--db", "sqlite", "--scale", "50", "--max-build-seconds", "600", timeout=60)
    assert result.returncode == 2
    assert "refused" in result.stderr and "scale 50" in result.stderr
    assert "built" not in result.stdout


@pytest.mark.slow
def test_the_last_line_is_the_json_contract():
    result = run("--db", "sqlite", "--scale", "0.01", "--seconds", "2", "--connections", "2")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    last = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(last) == {"db", "scale", "pages"}
    assert last["db"] == "sqlite" and last["scale"] == 0.01
    assert {"login", "needs_search", "proposals", "report_xlsx", "home_sme"} <= set(last["pages"])
    for name, row in last["pages"].items():
        assert set(row) == FIELDS, name
        assert row["errors"] == 0, name
    assert last["pages"]["login"]["ratio"] == 1.0
