"""The verdict over checks A to I, and the highest-level blocker."""

from __future__ import annotations

from collections.abc import Sequence

from xbot.certify.facts_accounts import AccountsFacts
from xbot.certify.facts_compliance import ComplianceFacts
from xbot.certify.model import CheckResult, Status, Verdict


def excused(checks: Sequence[CheckResult]) -> set[str]:
    """Return the checks a passing check explains (E and F while every account is held)."""
    return {key for check in checks if check.status is Status.PASS for key in _explains(check)}


def shadow_accounts(check: CheckResult) -> tuple[str, ...]:
    """Return the accounts in shadow mode a check found (check I's)."""
    return check.facts.shadow_accounts if isinstance(check.facts, AccountsFacts) else ()


def _explains(check: CheckResult) -> tuple[str, ...]:
    return check.facts.explains if isinstance(check.facts, AccountsFacts) else ()


def _broke_a_rule(check: CheckResult) -> bool:
    # a broken rule (J's violations) is never explained away by a hold
    return isinstance(check.facts, ComplianceFacts) and bool(check.facts.violations)


def verdict_of(checks: Sequence[CheckResult]) -> Verdict:
    """Return NOT OPERATIONAL on any FAIL, INCONCLUSIVE on any other non-PASS, else OPERATIONAL.

    A check another one explains (its `explains` fact) does not count. An account in shadow mode
    cannot post, so a report over one is never OPERATIONAL: it says SHADOW.
    """
    skip = excused(checks)
    statuses = {check.status for check in checks if check.key not in skip or _broke_a_rule(check)}
    if Status.FAIL in statuses:
        return Verdict.NOT_OPERATIONAL
    if Status.INCONCLUSIVE in statuses:
        return Verdict.INCONCLUSIVE
    if any(shadow_accounts(check) for check in checks):
        return Verdict.SHADOW
    return Verdict.OPERATIONAL


def blocker_of(checks: Sequence[CheckResult]) -> CheckResult | None:
    """Return the first permanent FAIL, else the first check, A to I, that did not pass.

    A failure that cannot clear by itself (kill switch, blocked account) is named before a
    symptom of it an earlier check shows (nothing posted).
    """
    skip = excused(checks)
    failing = [
        c for c in checks if c.status is not Status.PASS and (c.key not in skip or _broke_a_rule(c))
    ]
    permanent = [check for check in failing if check.status is Status.FAIL and check.permanent]
    return next(iter(permanent or failing), None)
