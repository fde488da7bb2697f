"""--wait re-checks until operational or the time is up; the interval is a parameter."""

from __future__ import annotations

import time
from datetime import timedelta

from certify_samples import checks, report

from xbot.certify.model import Report, Status, Verdict
from xbot.certify.wait import certify_until_operational


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
