"""bench/x_activity_stream.py at a small size: disconnects that lose events lose no mention."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "x_activity_stream.py"


def test_a_small_run_loses_nothing_and_the_stream_carries_most() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH), "--mentions", "30", "--rate", "6", "--disconnects", "2",
         "--poll-seconds", "0.5", "--gap-poll-seconds", "1"],
        capture_output=True, text=True, timeout=240, check=False, env=dict(os.environ),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    lines = {
        line.split()[0]: line
        for line in result.stdout.splitlines()
        if line.startswith(("stream ", "poll "))
    }
    assert set(lines) == {"stream", "poll"}, result.stdout
    for line in lines.values():
        assert re.search(r"\blost 0\b", line), line
    by_stream = int(re.search(r"by stream +(\d+)", lines["stream"]).group(1))  # type: ignore[union-attr]
    assert by_stream >= 15, lines["stream"]
