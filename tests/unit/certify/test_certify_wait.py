"""--wait re-checks until operational or the time is up; the interval is a parameter."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta

from certify_samples import check, checks, report

from xbot.certify.model import Report, Status, Verdict
from xbot.certify.wait import certify_until_operational, permanent_failure


def sequence(*reports: Report):
    remaining = list(reports)
    calls: list[Report] = []

    def certify() -> Report:
        calls.append(remaining.pop(0) if len(remaining) > 1 else remaining[0])
        return calls[-1]

    return certify, calls


def test_waits_until_operational_and_reports_progress_between_attempts() -> None:
    waiting = report(checks(C=Status.INCONCLUSIVE))
    done = report(checks())
    certify, calls = sequence(waiting, waiting, done)
    seen: list[tuple[Verdict, float]] = []
    final = certify_until_operational(
        certify,
        timedelta(seconds=30),
        interval=0.01,
        progress=lambda current, left: seen.append((current.verdict, left)),
    )
    assert final.verdict is Verdict.OPERATIONAL
    assert len(calls) == 3
    assert [verdict for verdict, _ in seen] == [Verdict.INCONCLUSIVE, Verdict.INCONCLUSIVE]
    assert all(0 < left <= 30 for _, left in seen)


def test_gives_up_at_the_timeout_with_the_last_report() -> None:
    failing = report(checks(A=Status.FAIL))
    certify, calls = sequence(failing)
    started = time.monotonic()
    final = certify_until_operational(certify, timedelta(seconds=0.2), interval=0.02)
    elapsed = time.monotonic() - started
    assert final.verdict is Verdict.NOT_OPERATIONAL
    assert 3 <= len(calls) <= 15
    assert 0.2 <= elapsed < 2


def test_an_operational_first_run_returns_at_once() -> None:
    certify, calls = sequence(report(checks()))
    final = certify_until_operational(certify, timedelta(minutes=10), interval=60)
    assert final.verdict is Verdict.OPERATIONAL
    assert len(calls) == 1


def test_a_failure_that_cannot_clear_by_itself_returns_at_once() -> None:
    ghost = replace(check("G", Status.FAIL), permanent=True)
    stuck = report(tuple(ghost if item.key == "G" else item for item in checks()))
    certify, calls = sequence(stuck)
    started = time.monotonic()
    final = certify_until_operational(certify, timedelta(minutes=6), interval=0.05)
    assert time.monotonic() - started < 1
    assert len(calls) == 1
    assert permanent_failure(final) is ghost


def test_a_permanent_blocker_is_named_before_a_later_permanent_failure() -> None:
    fence = replace(check("A", Status.FAIL), permanent=True)
    ghost = replace(check("G", Status.FAIL), permanent=True)
    results = tuple({"A": fence, "G": ghost}.get(item.key, item) for item in checks())
    assert permanent_failure(report(results)) is fence
    assert permanent_failure(report(checks(A=Status.FAIL))) is None
