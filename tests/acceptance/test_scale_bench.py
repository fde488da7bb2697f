"""bench/scale.py at a small size: real workers on PostgreSQL run each slot once, post once."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import create_engine, text

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


def _measure() -> Any:
    sys.path.insert(0, str(BENCH.parent))
    try:
        import scale_measure
    finally:
        sys.path.remove(str(BENCH.parent))
    return scale_measure


def test_the_checks_see_a_slot_run_twice_and_a_target_replied_twice() -> None:
    measure = _measure()
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    run = SimpleNamespace(
        job="fetch", account_id=1, slot=5, status="done", created_at=t0, started_at=t0
    )
    figures = measure._one_job([run, run], 10.0, (t0, t0 + timedelta(seconds=60)))
    assert figures["duplicate_slots"] == 1
    engine = create_engine("sqlite://")
    with engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE post_attempts (status TEXT, actual_tweet_id TEXT, "
                "created_at TEXT, not_before TEXT, claimed_at TEXT)"
            )
        )
        connection.execute(
            text("INSERT INTO post_attempts VALUES ('USED', 'r1', NULL, NULL, NULL)")
        )
        mention_at = "2026-01-01T00:00:00+00:00"
        replies = {
            "m1": [
                {"id": "r1", "created_at": "2026-01-01T00:00:03+00:00"},
                {"id": "r2", "created_at": "2026-01-01T00:00:04+00:00"},
            ]
        }
        posts = measure.post_figures(
            connection, replies, {"m1": datetime.fromisoformat(mention_at)}
        )
    assert posts["targets_replied_twice"] == 1
    assert posts["replies_no_permit_explains"] == 1
    assert posts["posts_per_used_permit"] == 2.0
    assert posts["mention_to_reply_s"]["p50"] == 3.0
