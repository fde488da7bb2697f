"""Checks A (running SHA) and B (worker alive): the declared code is the code that runs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from xbot.certify.context import Context, is_unknown_sha, sha_matches, short
from xbot.certify.evidence import QueryRunner
from xbot.certify.facts_deploy import RunningShaFacts, WorkerAliveFacts
from xbot.certify.model import CheckResult, Status, facts_of
from xbot.certify.windows import describe

#: B asks for this many watchdog reports within its window
MIN_REPORTS = 2


def check_running_sha(run: QueryRunner, context: Context) -> CheckResult:
    """Check A: the newest boot heartbeat's SHA matches the active deployment (and --expect-sha)."""
    evidence = run("running_sha")
    facts = RunningShaFacts.from_row(
        evidence.first,
        expect_sha=context.expect_sha,
        require_deploy_mark=context.require_deploy_mark,
    )
    status, explanation = judge_running_sha(facts)
    return CheckResult(
        key="A",
        title="Running SHA",
        status=status,
        explanation=explanation,
        evidence=(evidence,),
        facts=facts,
        permanent=status is Status.FAIL and fence_cannot_clear(facts),
    )


def judge_running_sha(facts: RunningShaFacts) -> tuple[Status, str]:
    """Decide A from the newest boot heartbeat, the declared deployment and --expect-sha."""
    running = facts.running_sha
    if facts.booted_at is None:
        return (
            Status.FAIL,
            "no worker boot heartbeat (production_watchdog_boot) exists: no worker has started",
        )
    source = facts.sha_source or "not recorded"
    if is_unknown_sha(running):
        return (
            Status.FAIL,
            f"the newest worker runs an unknown SHA (source: {source}; {_where(facts)})",
        )
    return _judge_declared(facts, f"`{short(running)}` (source: {source}")


def _judge_declared(facts: RunningShaFacts, running: str) -> tuple[Status, str]:
    # the fence refuses on the declared deployment; --expect-sha adds a second expectation
    expected, declared = facts.expected_sha, facts.declared_sha
    if declared is None and facts.require_deploy_mark:
        return Status.FAIL, (
            f"running {running}), but no deployment is declared and require_deploy_mark is on: "
            "the fence refuses every claim (deploy_unmarked)"
        )
    if expected is None:
        return Status.INCONCLUSIVE, (
            f"running {running}), but no deployment is declared: "
            "run `xbot deploy mark --sha` or pass --expect-sha"
        )
    if not sha_matches(facts.running_sha, expected):
        return Status.FAIL, (
            f"running {running}; {_where(facts)}), "
            f"expected `{short(expected)}` ({_expected_from(facts)})"
        )
    if declared is not None and not sha_matches(facts.running_sha, declared):
        return Status.FAIL, (
            f"running {running}) = --expect-sha, but the active deployment declares "
            f"`{short(declared)}`: the fence refuses every claim of this worker (stale_code)"
        )
    return Status.PASS, f"running {running}) = {_expected_from(facts)}"


def fence_cannot_clear(facts: RunningShaFacts) -> bool:
    """Return True when A's failure stays until an operator acts.

    A worker that booted after the deployment was declared and runs other code stays wrong (a
    rollout still under way does not: its old worker booted before the declaration), and so does
    a missing declaration that require_deploy_mark makes a blocker.
    """
    booted_at, declared_at = facts.booted_at, facts.declared_at
    if booted_at is None or is_unknown_sha(facts.running_sha):
        return False
    if facts.declared_sha is None:
        return facts.require_deploy_mark
    return declared_at is not None and booted_at >= declared_at


def _where(facts: RunningShaFacts) -> str:
    booted = f"{facts.booted_at:%Y-%m-%d %H:%M:%S} UTC"
    return f"worker {facts.worker_id} on {facts.host}, booted {booted}"


def _expected_from(facts: RunningShaFacts) -> str:
    if facts.expected_from == "--expect-sha":
        return "--expect-sha"
    return f"the active deployment, declared {facts.declared_at:%Y-%m-%d %H:%M:%S} UTC"


def sha_under_test(result: CheckResult) -> str | None:
    """Return the SHA later checks look for: the running one unless A found it wrong."""
    facts = facts_of(result, RunningShaFacts)
    running, expected = facts.running_sha, facts.expected_sha
    if not is_unknown_sha(running) and (expected is None or sha_matches(running, expected)):
        return str(running)
    return str(expected) if expected is not None else None


def check_worker_alive(
    run: QueryRunner, context: Context, prior: Mapping[str, CheckResult]
) -> CheckResult:
    """Check B: two watchdog reports within three report intervals from a worker on the SHA."""
    del prior
    window = context.windows.worker
    evidence = run("worker_alive", window_start=context.window_start(window), sha=context.sha)
    facts = WorkerAliveFacts.from_row(evidence.first)
    status, explanation = judge_worker_alive(facts, context)
    return CheckResult(
        key="B",
        title="Worker alive",
        status=status,
        explanation=explanation,
        evidence=(evidence,),
        facts=facts,
    )


def judge_worker_alive(facts: WorkerAliveFacts, context: Context) -> tuple[Status, str]:
    """Decide B from the count of reports and when the SHA first booted."""
    reports, window = facts.reports, describe(context.windows.worker)
    sha = short(context.sha)
    if context.sha is None:
        return Status.FAIL, "no SHA to look for: no worker has booted and no deployment is declared"
    if reports >= MIN_REPORTS:
        return Status.PASS, (
            f"{reports} watchdog reports in the last {window} from {facts.workers} "
            f"worker(s) on `{sha}`, the last at {facts.last_report_at:%H:%M:%S} UTC"
        )
    booted_at = facts.sha_booted_at
    needed = timedelta(seconds=context.intervals.watchdog * MIN_REPORTS)
    if booted_at is not None and context.now - booted_at < needed:
        return Status.INCONCLUSIVE, (
            f"{reports} watchdog report(s) so far: the worker on `{sha}` booted "
            f"{describe(context.now - booted_at)} ago and two reports take {describe(needed)}"
        )
    return Status.FAIL, (
        f"{reports} watchdog report(s) in the last {window} from workers on `{sha}` "
        f"(need {MIN_REPORTS})"
    )
