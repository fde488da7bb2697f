"""bench/runner_vs_procrastinate.py at a tiny size: both sides finish every queued job."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dbsupport import POSTGRES_URL

BENCH = Path(__file__).resolve().parents[2] / "bench" / "runner_vs_procrastinate.py"


@pytest.mark.slow
def test_both_sides_finish_every_job(postgres_template: str | None) -> None:
    if postgres_template is None:
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_URL}")
    result = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--jobs",
            "20",
            "--rounds",
            "1",
            "--processes",
            "1",
            "2",
            "--database-url",
            POSTGRES_URL,
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["ok"]
    assert report["complete"] == {
        "xbot_1p": True,
        "procrastinate_1p": True,
        "xbot_2p": True,
        "procrastinate_2p": True,
    }
    assert all(rate > 0 for rate in report["jobs_per_second_median"].values())
