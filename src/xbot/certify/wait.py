"""`--wait`: re-run the certification until production is operational or the time is up."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from xbot.certify.model import CheckResult, Report, Status, Verdict

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
    """Run `certify` every `interval` s until OPERATIONAL or `timeout`; return the last report.

    A report with a failure that cannot clear by itself (`permanent`) is returned at once.
    """
    deadline = time.monotonic() + timeout.total_seconds()
    while True:
        report = certify()
        remaining = deadline - time.monotonic()
        done = report.verdict is Verdict.OPERATIONAL or permanent_failure(report) is not None
        if done or remaining <= 0:
            return report
        if progress is not None:
            progress(report, remaining)
        time.sleep(min(interval, remaining))


def permanent_failure(report: Report) -> CheckResult | None:
    """Return the failure waiting cannot clear: the blocker if it is one, else the first such."""
    failures = [check for check in report.checks if check.status is Status.FAIL and check.permanent]
    if report.blocker is not None and report.blocker in failures:
        return report.blocker
    return failures[0] if failures else None
