"""bench/scale.py at a small size: real workers on PostgreSQL run each slot once, post once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dbsupport import POSTGRES_URL

BENCH = Path(__file__).resolve().parents[2] / "bench" / "scale.py"


def scale(*args: str) -> tuple[int, dict[str, Any], str]:
    result = subprocess.run(
        [sys.executable, str(BENCH), *args],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout.strip().splitlines()[-1]), result.stdout


@pytest.mark.slow
def test_small_scale_run_has_no_duplicate_slot_and_no_duplicate_post(
    postgres_template: str | None,
) -> None:
    if postgres_template is None:
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_URL}")
    code, report, summary = scale(
        "--accounts",
        "3",
        "--workers",
        "2",
        "--minutes",
        "0.34",
        "--settle-seconds",
        "20",
        "--mentions-per-minute",
        "12",
        "--port",
        "18640",
        "--database-url",
        POSTGRES_URL,
    )
    assert code == 0, summary
    assert report["ok"], report["checks"]
    assert set(report["jobs"]) == {"fetch", "schedule", "post", "reconcile", "ghost_scan"}
    assert all(job["duplicate_slots"] == 0 for job in report["jobs"].values())
    assert report["jobs"]["post"]["runs"] > 0
    posts = report["posts"]
    assert posts["mentions"] > 0
    assert posts["targets_replied_twice"] == 0
    assert posts["replies_no_permit_explains"] == 0
    if posts["replies_published"]:
        assert posts["posts_per_used_permit"] == 1.0
    assert set(report["workers"]) == {"w0", "w1"}
    assert report["worker_exit_codes"] == {"w0": 0, "w1": 0}
    assert report["certify"]["verdict"]
    assert "target" in summary
