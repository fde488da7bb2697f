"""`--wait`: re-run the certification until production is operational or the time is up."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from xbot.certify.model import Report, Verdict

#: seconds between two certifications while waiting
WAIT_INTERVAL = 10.0

Progress = Callable[[Report, float], None]


def certify_until_operational(
    certify: Callable[[], Report],
    timeout: timedelta,
    *,
    interval: float = WAIT_INTERVAL,
    progress: Progress | None = None,
) -> Report:
    """Run `certify` every `interval` s until OPERATIONAL or `timeout`; return the last report."""
    deadline = time.monotonic() + timeout.total_seconds()
    while True:
        report = certify()
        remaining = deadline - time.monotonic()
        if report.verdict is Verdict.OPERATIONAL or remaining <= 0:
            return report
        if progress is not None:
            progress(report, remaining)
        time.sleep(min(interval, remaining))
