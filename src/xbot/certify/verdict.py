"""The verdict over checks A to H, and the highest-level blocker."""

from __future__ import annotations

from collections.abc import Sequence

from xbot.certify.model import CheckResult, Status, Verdict


def verdict_of(checks: Sequence[CheckResult]) -> Verdict:
    """Return NOT OPERATIONAL on any FAIL, INCONCLUSIVE on any other non-PASS, else OPERATIONAL."""
    statuses = {check.status for check in checks}
    if Status.FAIL in statuses:
        return Verdict.NOT_OPERATIONAL
    if Status.INCONCLUSIVE in statuses:
        return Verdict.INCONCLUSIVE
    return Verdict.OPERATIONAL


def blocker_of(checks: Sequence[CheckResult]) -> CheckResult | None:
    """Return the first check, in A to H order, that did not pass."""
    return next((check for check in checks if check.status is not Status.PASS), None)
