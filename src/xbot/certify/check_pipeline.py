"""Checks C to F: fetch, queue, scheduler and permit, and the trace chain of a post."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from xbot.certify.context import Context, evidence_since, short, too_early
from xbot.certify.evidence import QueryRunner
from xbot.certify.facts_pipeline import (
    AcceptedPermit,
    FetchFacts,
    QueueFacts,
    SchedulerFacts,
    TraceChain,
    TraceChainFacts,
)
from xbot.certify.model import CheckResult, Evidence, JobRuns, Status, facts_of
from xbot.certify.not_yet import history_short, scheduler_waiting
from xbot.certify.rows import count, moment, text
from xbot.certify.windows import describe

Prior = Mapping[str, CheckResult]
#: a permit in one of these states has not reached its outcome yet
IN_FLIGHT = frozenset({"PENDING", "POSTING", "UNKNOWN"})
#: candidates the scheduler took from the queue
TAKEN = frozenset({"selected", "replied"})
#: candidates the scheduler decided not to take; with a reason, that proves the queue works
PASSED_OVER = frozenset({"skipped", "expired"})
#: a skip reason that only says time ran out, which proves nothing
TIMED_OUT = frozenset({"expired"})


def settled(status: str, reason: str | None) -> bool:
    """Return True when a candidate reached an outcome that proves the queue works."""
    if status in TAKEN:
        return True
    return status in PASSED_OVER and reason is not None and reason not in TIMED_OUT


def check_fetch(run: QueryRunner, context: Context, prior: Prior) -> CheckResult:
    """Check C: at least one fetch started and completed within the window, on the SHA."""
    start = context.window_start(context.windows.fetch)
    runs = run("fetch_runs", window_start=start, sha=context.sha, account=context.account)
    evidence = [runs]
    facts = FetchFacts(runs=JobRuns.from_facts(runs.first))
    if facts.failures_read:
        failures = run("fetch_failures", window_start=start, account=context.account)
        evidence.append(failures)
        facts = dataclasses.replace(facts, failure_reason=text(failures.first, "reason"))
    status, explanation = judge_fetch(facts, context, prior)
    streams = run("stream_health", now=context.now, account=context.account)
    if streams.rows:  # an account that streams: its health counts beside the fetch runs
        evidence.append(streams)
        facts = dataclasses.replace(facts, streams=stream_health(streams.rows, context.now))
        explanation = f"{explanation}; streams: {facts.streams}"
    return CheckResult(
        key="C",
        title="Fetch",
        status=status,
        explanation=explanation,
        evidence=tuple(evidence),
        facts=facts,
    )


def stream_health(rows: Sequence[Mapping[str, Any]], now: datetime) -> str:
    """Return the streams' health in a few words each: state, connected for, lag, last event."""
    parts = []
    for row in rows:
        state = row["state"] if row["held"] or row["state"] == "unavailable" else "stopped"
        words = [f"{row['stream']} {state}"]
        if state == "connected" and row["connected_at"] is not None:
            words.append(f"for {describe(now - row['connected_at'])}")
        if row["lag_seconds"] is not None:
            words.append(f"lag {row['lag_seconds']:.1f} s")
        if row["last_event_at"] is not None:
            words.append(f"last event {describe(now - row['last_event_at'])} ago")
        words.append(f"{row['admitted']} admitted, {row['connects']} connects")
        parts.append(", ".join(words))
    return "; ".join(parts)


def judge_fetch(facts: FetchFacts, context: Context, prior: Prior) -> tuple[Status, str]:
    """Decide C from the fetch runs in the window."""
    runs, window = facts.runs, describe(context.windows.fetch)
    started, completed, failed = runs.started, runs.completed, runs.failed
    if completed:
        return Status.PASS, (
            f"{started} fetch run(s) started and {completed} completed in the last {window} on "
            f"`{short(context.sha)}`; they found {runs.found_new} new, queued {runs.queued}"
        )
    last_started = runs.last_started_at
    if started and not failed and last_started and context.now - last_started < context.lease:
        return (
            Status.INCONCLUSIVE,
            f"a fetch started {describe(context.now - last_started)} ago and is still running",
        )
    if not started and too_early(context, prior, timedelta(seconds=context.intervals.fetch)):
        return (
            Status.INCONCLUSIVE,
            "the worker booted less than one fetch interval ago: no fetch is due yet",
        )
    reason = f" (last failure: {facts.failure_reason})" if facts.failure_reason else ""
    return Status.FAIL, (
        f"no fetch completed in the last {window} on `{short(context.sha)}`: "
        f"started {started}, failed {failed}{reason}"
    )


def check_queue(run: QueryRunner, context: Context, prior: Prior) -> CheckResult:
    """Check D: a queued, unexpired candidate, or the window's candidates reached an outcome."""
    queue = run("queue", now=context.now, account=context.account)
    evidence = [queue]
    facts = QueueFacts(
        queued_unexpired=count(queue.first, "queued_unexpired"),
        newest_queued_at=moment(queue.first, "newest_queued_at"),
    )
    if not facts.queued_unexpired:
        recent = run(
            "queue_recent",
            window_start=context.window_start(context.windows.fetch),
            account=context.account,
        )
        evidence.append(recent)
        facts = dataclasses.replace(
            facts,
            recent=_count_by_status(recent),
            taken=_count(recent, lambda status, _reason: status in TAKEN),
            settled=_count(recent, settled),
        )
    status, explanation = judge_queue(facts, context, prior)
    return CheckResult(
        key="D",
        title="Queue",
        status=status,
        explanation=explanation,
        evidence=tuple(evidence),
        facts=facts,
    )


def _count_by_status(evidence: Evidence) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in evidence.rows:
        label = str(row["status"]) + (f" ({row['skip_reason']})" if row.get("skip_reason") else "")
        counts[label] = counts.get(label, 0) + int(row["candidates"])
    return counts


def _count(evidence: Evidence, wanted: Callable[[str, str | None], bool]) -> int:
    return sum(
        int(row["candidates"]) for row in evidence.rows if wanted(row["status"], row["skip_reason"])
    )


def judge_queue(facts: QueueFacts, context: Context, prior: Prior) -> tuple[Status, str]:
    """Decide D; an empty queue passes when what the fetches queued reached an outcome."""
    if facts.queued_unexpired:
        return Status.PASS, f"{facts.queued_unexpired} candidate(s) queued and not expired"
    recent = facts.recent or {}
    window = describe(context.windows.fetch)
    if facts.settled:
        shown = ", ".join(f"{label} {count}" for label, count in recent.items())
        return Status.PASS, (
            f"the queue is empty and the {facts.settled} candidate(s) queued in the last "
            f"{window} reached an outcome: taken by the scheduler or skipped with a reason "
            f"({shown})"
        )
    fetch = prior["C"]
    if fetch.status is Status.INCONCLUSIVE:
        return Status.INCONCLUSIVE, "no candidate is queued and no fetch has completed yet"
    fetched = facts_of(fetch, FetchFacts).runs
    if not fetched.completed:
        return Status.FAIL, f"no candidate is queued and no fetch completed in the last {window}"
    if not fetched.queued:
        return Status.INCONCLUSIVE, (
            f"no candidate is queued: the fetches of the last {window} found "
            f"{fetched.found_new} new and queued none (nothing to reply to yet)"
        )
    shown = ", ".join(f"{label} {count}" for label, count in recent.items()) or "none left"
    return Status.FAIL, (
        f"the fetches queued {fetched.queued} candidate(s) in the last {window}, but none "
        f"is queued now or was taken by the scheduler ({shown})"
    )


def check_scheduler(run: QueryRunner, context: Context, prior: Prior) -> CheckResult:
    """Check E: the scheduler ran within the window and created a permit that was not refused."""
    start = context.window_start(context.windows.schedule)
    runs = run("scheduler_runs", window_start=start, sha=context.sha, account=context.account)
    since = evidence_since(context, prior, context.windows.fetch)
    accepted = run("accepted_permit", since=since, account=context.account)
    evidence = [runs, accepted]
    facts = SchedulerFacts(
        runs=JobRuns.from_facts(runs.first),
        since=since,
        permit=AcceptedPermit.from_row(accepted.first) if accepted.rows else None,
    )
    if facts.permit is None:
        refused = run("refused_permits", since=since, account=context.account)
        evidence.append(refused)
        by_status = {str(row["status"]): count(row, "permits") for row in refused.rows}
        facts = dataclasses.replace(facts, permits_by_status=by_status)
    status, explanation = judge_scheduler(facts, context, prior)
    return CheckResult(
        key="E",
        title="Scheduler + permit",
        status=status,
        explanation=explanation,
        evidence=tuple(evidence),
        facts=facts,
    )


def judge_scheduler(facts: SchedulerFacts, context: Context, prior: Prior) -> tuple[Status, str]:
    """Decide E from the scheduler runs and the newest permit that was not refused."""
    started, window = facts.runs.started, describe(context.windows.schedule)
    permit = facts.permit
    early = too_early(context, prior, timedelta(seconds=context.intervals.schedule))
    if permit and started:
        return Status.PASS, (
            f"the scheduler ran {started} time(s) in the last {window}; permit "
            f"{permit.permit_id} ({permit.status}) was created "
            f"{permit.created_at:%H:%M:%S} UTC"
        )
    if not started:
        if early:
            return Status.INCONCLUSIVE, "the worker booted less than one scheduler interval ago"
        return (
            Status.FAIL,
            f"the scheduler did not run in the last {window} on `{short(context.sha)}`",
        )
    if prior["D"].status is Status.INCONCLUSIVE:
        return (
            Status.INCONCLUSIVE,
            "the scheduler runs, but there was nothing queued to decide on (D)",
        )
    waiting = scheduler_waiting(facts, context, prior)
    if waiting is not None:
        return Status.INCONCLUSIVE, waiting
    by_status = facts.permits_by_status or {}
    shown = ", ".join(f"{status} {count}" for status, count in by_status.items()) or "none"
    return Status.FAIL, (
        f"the scheduler ran {started} time(s) in the last {window}, but no permit since "
        f"{facts.since:%Y-%m-%d %H:%M} UTC was accepted (permits: {shown})"
    )


def check_trace_chain(run: QueryRunner, context: Context, prior: Prior) -> CheckResult:
    """Check F: a USED permit since deploy with a posted id whose decision and candidate exist."""
    since = evidence_since(context, prior, context.windows.fetch)
    chain = run("trace_chain", since=since, account=context.account)
    accepted = facts_of(prior["E"], SchedulerFacts).permit
    facts = TraceChainFacts(
        chain=TraceChain.from_row(chain.first) if chain.rows else None,
        permit=accepted.permit_id if accepted else None,
        since=since,
    )
    status, explanation = judge_trace_chain(facts, context, prior)
    return CheckResult(
        key="F",
        title="Trace chain",
        status=status,
        explanation=explanation,
        evidence=(chain,),
        facts=facts,
    )


def judge_trace_chain(facts: TraceChainFacts, context: Context, prior: Prior) -> tuple[Status, str]:
    """Decide F; a permit still on its way to the platform makes it inconclusive."""
    chain = facts.chain
    if chain:
        return Status.PASS, (
            f"{chain.decision_id} -> {chain.permit_id} -> {chain.posted_id} "
            f"(candidate {chain.candidate_id}, used {chain.used_at:%H:%M:%S} UTC)"
        )
    waiting = history_short(context, facts.since, "post")
    if waiting is not None:
        return Status.INCONCLUSIVE, waiting
    scheduler = prior["E"]
    if scheduler.status is Status.INCONCLUSIVE:
        return Status.INCONCLUSIVE, "no post yet, and the scheduler had nothing to permit (E)"
    permit = facts_of(scheduler, SchedulerFacts).permit
    if permit and permit.status in IN_FLIGHT:
        return (
            Status.INCONCLUSIVE,
            f"permit {permit.permit_id} is {permit.status}: not posted yet",
        )
    return Status.FAIL, (
        f"no USED permit with a posted id, a decision and a candidate since "
        f"{facts.since:%Y-%m-%d %H:%M} UTC"
    )
