"""bench/intake_latency.py at a small size: no mention lost, none admitted twice.

Bluesky, the platform where a loss is likeliest: its notifications list a mention seconds after
Jetstream carries it, so a mention lost with a cut is found only by the reconnect's second
backfill. (Each platform's run takes ~20 s, most of it starting the fake; one keeps CI short.)
Timings are the bench's to print (PASS/MISS per target), not this test's to assert: they depend
on the machine's load.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "intake_latency.py"


def test_a_small_run_loses_no_mention_and_admits_none_twice() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH), "--platform", "bluesky", "--mentions", "20",
         "--disconnects", "1", "--rate", "10"],
        capture_output=True, text=True, timeout=240, check=False, env=dict(os.environ),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    out = result.stdout
    assert re.search(r"^ +lost \(no candidate\) +: 0$", out, re.MULTILINE), out
    assert re.search(r"^ +duplicate candidates +: 0$", out, re.MULTILINE), out
    assert re.search(r"\(20 rows\)", out), out
    verdicts = re.findall(r"^ +(PASS|MISS) +(.+?) {2,}", out, re.MULTILINE)
    assert [name.strip() for _verdict, name in verdicts] == [
        "mention -> candidate p95", "mention -> reply p95", "lost mentions",
        "duplicate candidates"]  # fmt: skip
