"""The demo's mention → reply line: counts and ranks from the replies' latencies."""

from __future__ import annotations

from xbot.demo_output import latency_line


def test_the_line_ranks_the_latencies() -> None:
    line = latency_line([float(second) for second in range(20, 0, -1)])
    assert line == "mention → reply: 20 replies, p50 10.0 s, p95 19.0 s, max 20.0 s"


def test_no_reply_is_said_plainly() -> None:
    assert latency_line([]) == "mention → reply: no reply was posted"
