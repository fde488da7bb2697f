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
    "GET /metrics (counts)",
    "GET /metrics (counts, states, certify)",
    "overview: posts today per account",
    "replies: newest page",
    "trace: one permit",
    "events: newest page",
    "ghosts",
    "jobs: last run per job",
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
        figure = re.search(rf"{re.escape(route)}\s+(\d+\.\d) ms", done.stdout)
        assert figure, (route, done.stdout)
        assert float(figure.group(1)) > 0
    assert re.search(r"\d+ of \d+ under 200 ms; slowest .+ \d+\.\d ms", done.stdout), done.stdout
