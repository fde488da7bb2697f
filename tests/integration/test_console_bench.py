"""bench/console_large.py runs at a tiny size and prints a median for every route it times."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from dbsupport import POSTGRES_URL

BENCH = Path(__file__).parents[2] / "bench" / "console_large.py"
ROUTES = (
    "GET /metrics",
    "GET /console/overview",
    "GET /api/v1/overview",
    "GET /console/pipeline",
    "GET /api/v1/replies?q=reset",
    "GET /api/v1/trace/pmt_",
    "GET /api/v1/events?type=reply_posted",
    "metrics refresh: counts",
    "metrics refresh: 20 account states",
    "metrics refresh: certify",
)


def test_console_benchmark_runs_small_and_prints_each_median(
    postgres_template: str | None,
) -> None:
    if postgres_template is None:
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_URL}")
    done = subprocess.run(
        [sys.executable, str(BENCH), "--url", POSTGRES_URL, "--events", "20000",
         "--permits", "2000", "--accounts", "20", "--runs", "2"],
        capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for route in ROUTES:
        figure = re.search(rf"{re.escape(route)}\S*\s+(\d+\.\d) ms", done.stdout)
        assert figure, (route, done.stdout)
        assert float(figure.group(1)) > 0
    summary = r"(\d+) of (\d+) routes under 200 ms; slowest .+ \d+\.\d ms"
    counted = re.search(summary, done.stdout)
    assert counted, done.stdout
    assert int(counted.group(2)) >= 20  # every page and its twin, not the background reads
