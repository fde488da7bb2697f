"""bench/posting_overhead.py runs at a tiny size and prints its counts and targets."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).parents[2] / "bench" / "posting_overhead.py"


def test_posting_benchmark_prints_round_trips_and_targets() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--permits", "3"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("database=sqlite permits=3")
    counts = re.search(r"statements=(\d+\.\d) transactions=(\d+\.\d) .* pings=0\.0 "
                       r"round_trips=(\d+\.\d) platform_calls=1\.0", done.stdout)  # fmt: skip
    assert counts, done.stdout
    statements, transactions, trips = (float(value) for value in counts.groups())
    assert statements > 0
    assert transactions > 0
    # each transaction: its BEGIN and its COMMIT or ROLLBACK (means, printed to one decimal)
    assert abs(trips - (statements + 2 * transactions)) < 0.15
    lines = done.stdout.splitlines()
    assert re.fullmatch(r"three_commits_ms=\d+\.\d\d \(round_trips=9\.0\)", lines[3])
    assert re.fullmatch(r"ratio=\d+\.\d\d .*target <= 8\) (met|MISSED)", lines[4])
    assert re.fullmatch(r"python_ms=\d+\.\d\d .*target <= 1\) (met|MISSED)", lines[5])
