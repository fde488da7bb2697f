"""Windows from the cadences, and the durations the command line accepts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from xbot.certify.windows import derive_windows, describe, parse_duration, parse_since
from xbot.config import JobIntervals
from xbot.domain.errors import ConfigError

NOW = datetime(2026, 1, 9, 19, 55, tzinfo=UTC)


def test_default_windows_follow_design_cadences() -> None:
    windows = derive_windows(JobIntervals())
    assert windows.worker == timedelta(minutes=15)  # three 5-minute watchdog reports
    assert windows.fetch == timedelta(minutes=15)
    assert windows.schedule == timedelta(minutes=3)
    assert windows.ghost_scan == timedelta(minutes=30)
    assert windows.reconcile == timedelta(minutes=3)


def test_windows_scale_with_configured_cadences() -> None:
    windows = derive_windows(JobIntervals(watchdog=2, fetch=4, schedule=1, ghost_scan=10))
    assert windows.worker == timedelta(seconds=6)
    assert windows.fetch == timedelta(seconds=12)
    assert windows.ghost_scan == timedelta(seconds=20)


def test_window_override_replaces_every_lookback_but_not_the_reconcile_limit() -> None:
    windows = derive_windows(JobIntervals(), timedelta(hours=2))
    assert {windows.worker, windows.fetch, windows.schedule, windows.ghost_scan} == {
        timedelta(hours=2)
    }
    assert windows.reconcile == timedelta(minutes=3)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90", 90),
        ("90s", 90),
        ("15m", 900),
        ("1h30m", 5400),
        ("2d", 172800),
        ("0.5m", 30),
        (" 10M ", 600),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "soon", "10x", "m", "1h junk", "-5m"])
def test_parse_duration_rejects_nonsense(text: str) -> None:
    with pytest.raises(ConfigError, match="duration"):
        parse_duration(text)


def test_parse_since_reads_iso_times_and_durations_ago() -> None:
    assert parse_since("2026-01-09T16:36:37Z", NOW) == datetime(2026, 1, 9, 16, 36, 37, tzinfo=UTC)
    assert parse_since("2026-01-09 16:36", NOW) == datetime(2026, 1, 9, 16, 36, tzinfo=UTC)
    assert parse_since("2h", NOW) == NOW - timedelta(hours=2)
    with pytest.raises(ConfigError, match="--since"):
        parse_since("yesterday", NOW)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(45, "45s"), (900, "15m"), (5400, "1h30m"), (90061, "1d1h1m"), (3600, "1h")],
)
def test_describe(seconds: int, text: str) -> None:
    assert describe(timedelta(seconds=seconds)) == text
