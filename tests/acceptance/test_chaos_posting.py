"""bench/chaos_posting.py at a small size: workers killed with -9 mid-post, nothing posted twice."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "chaos_posting.py"


def chaos(*args: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, str(BENCH), *args],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    report = json.loads(result.stdout)
    assert result.returncode == (0 if report["ok"] else 1)
    return report


@pytest.mark.slow
def test_killed_workers_never_post_twice_on_sqlite() -> None:
    report = chaos("--kills", "4", "--workers", "2", "--permits", "5", "--seed", "3")
    assert report["ok"], report
    assert report["kills"] == 4
    assert report["database"] == "sqlite"


@pytest.mark.slow
def test_killed_workers_never_post_twice_on_postgresql(postgres_url: str) -> None:
    report = chaos(
        "--kills",
        "4",
        "--workers",
        "3",
        "--permits",
        "5",
        "--seed",
        "4",
        "--database-url",
        postgres_url,
    )
    assert report["ok"], report
    assert report["database"] == "postgresql"
