"""How far back each check looks, and the durations the command line accepts."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from xbot.certify.model import Windows
from xbot.config import JobIntervals
from xbot.domain.clock import ensure_utc
from xbot.domain.errors import ConfigError

DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

#: B needs two reports, so it looks back three report intervals (one missed report is tolerated)
WORKER_INTERVALS = 3
#: C and D: a fetch every interval; three intervals tolerate one slow or failed run
FETCH_INTERVALS = 3
#: E: the scheduler runs often; three intervals tolerate one skipped run
SCHEDULE_INTERVALS = 3
#: G: the scan must have run within two of its intervals
GHOST_SCAN_INTERVALS = 2
#: H: reconcile gets three passes (read-back may wait for the platform's visibility grace)
RECONCILE_INTERVALS = 3


def derive_windows(intervals: JobIntervals, override: timedelta | None = None) -> Windows:
    """Return the windows for the configured cadences; `override` replaces every lookback."""

    def lookback(seconds: float, times: int) -> timedelta:
        return override if override is not None else timedelta(seconds=seconds * times)

    return Windows(
        worker=lookback(intervals.watchdog, WORKER_INTERVALS),
        fetch=lookback(intervals.fetch, FETCH_INTERVALS),
        schedule=lookback(intervals.schedule, SCHEDULE_INTERVALS),
        ghost_scan=lookback(intervals.ghost_scan, GHOST_SCAN_INTERVALS),
        reconcile=timedelta(seconds=intervals.reconcile * RECONCILE_INTERVALS),
    )


def parse_duration(value: str) -> timedelta:
    """Parse `90`, `90s`, `15m`, `1h30m` or `2d` into a timedelta, or raise ConfigError."""
    cleaned = value.strip().lower().replace(" ", "")
    if re.fullmatch(r"\d+(?:\.\d+)?", cleaned):
        return timedelta(seconds=float(cleaned))
    parts = DURATION_PART.findall(cleaned)
    if not cleaned or "".join(number + unit for number, unit in parts) != cleaned:
        raise ConfigError(f"cannot read the duration {value!r}: use e.g. 90s, 15m, 1h30m or 2d.")
    return timedelta(seconds=sum(float(number) * UNIT_SECONDS[unit] for number, unit in parts))


def parse_since(value: str, now: datetime) -> datetime:
    """Parse an ISO 8601 time (UTC if no zone) or a duration before `now`."""
    try:
        return ensure_utc(datetime.fromisoformat(value.strip()))
    except ValueError:
        pass
    try:
        return now - parse_duration(value)
    except ConfigError:
        raise ConfigError(
            f"cannot read --since {value!r}: use an ISO time (2026-01-09T19:00:00Z) "
            "or a duration ago (2h)."
        ) from None


def describe(span: timedelta) -> str:
    """Return a short human form of a duration: 45s, 15m, 1h30m, 2d."""
    seconds = int(span.total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs if not days else 0, "s")]
    return "".join(f"{amount}{unit}" for amount, unit in parts if amount)
