"""What `xbot trace` and `xbot ghosts list` print: rich text for people, plain data for --json."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from xbot.store.queries.trace import Trace

#: event fields already shown in their own columns
_SHOWN = {"permit_id", "decision_id"}


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else "-"


def _details(data: Mapping[str, Any]) -> str:
    return " ".join(f"{key}={value}" for key, value in data.items() if key not in _SHOWN)


def trace_data(trace: Trace) -> dict[str, Any]:
    """Return the trace as JSON-able data."""

    def plain(row: Mapping[Any, Any] | None) -> dict[str, Any] | None:
        return None if row is None else json.loads(json.dumps(dict(row), default=str))

    return {
        "candidate": plain(trace.candidate),
        "decision": plain(trace.decision),
        "permit": plain(trace.permit),
        "events": [plain(event) for event in trace.events],
        "read_back": plain(trace.read_back),
        "ghost": plain(trace.ghost),
        "cost": None
        if trace.cost is None
        else {
            "write_micro_usd": trace.cost.write_micro,
            "billed_as": trace.cost.billed_as,
            "reads_micro_usd": trace.cost.reads_micro,
            "reads_shared_by": trace.cost.reads_shared_by,
            "total_micro_usd": trace.cost.total_micro,
        },
    }


def print_trace(trace: Trace, console: Console) -> None:
    """Print candidate -> decision -> permit transitions -> post -> read-back."""
    _print_candidate(trace, console)
    _print_decision(trace, console)
    _print_permit(trace, console)
    if trace.events:
        console.print(_events_table(trace.events))
    _print_post(trace, console)
    _print_cost(trace, console)
    if trace.ghost is not None:
        ghost = trace.ghost
        console.print(
            f"[bold red]ghost[/] {ghost.tweet_id}: {ghost.classification}, detected "
            f"{_when(ghost.detected_at)}, acknowledged by {ghost.acknowledged_by or 'nobody'}"
        )


def _print_cost(trace: Trace, console: Console) -> None:
    cost = trace.cost
    if cost is None:
        return
    billed = f" ({cost.billed_as})" if cost.billed_as else ""
    console.print(
        f"[bold]cost[/]       ${cost.total_micro / 1e6:.4f}: write ${cost.write_micro / 1e6:.4f}"
        f"{billed} + reads ${cost.reads_micro / 1e6:.4f} (the day's reads shared by "
        f"{cost.reads_shared_by} candidate(s))"
    )


def _print_candidate(trace: Trace, console: Console) -> None:
    candidate = trace.candidate
    if candidate is None:
        console.print("candidate  [dim]none found[/]")
        return
    console.print(
        f"[bold]candidate[/]  #{candidate.id} post {candidate.candidate_post_id} by "
        f"@{candidate.author_handle} at {_when(candidate.posted_at)}; queued "
        f"{_when(candidate.created_at)}; status {candidate.status}"
        + (f" ({candidate.skip_reason})" if candidate.skip_reason else "")
    )
    console.print(
        f"[bold]score[/]      {candidate.score} tier {candidate.tier} "
        f"summoned={candidate.summoned} {candidate.score_parts or ''}"
    )


def _print_decision(trace: Trace, console: Console) -> None:
    decision = trace.decision
    if decision is None:
        console.print("decision   [dim]none[/]")
        return
    console.print(
        f"[bold]decision[/]   {decision.decision_id} at {_when(decision.created_at)} by "
        f"{decision.generator}: {decision.reply_text!r}"
    )


def _print_permit(trace: Trace, console: Console) -> None:
    permit = trace.permit
    if permit is None:
        console.print("permit     [dim]none[/]")
        return
    console.print(
        f"[bold]permit[/]     {permit.permit_id} {permit.status}; created "
        f"{_when(permit.created_at)}; attempts {permit.attempts}, fence {permit.fence}; last "
        f"claimed by {permit.claimed_by or '-'} on SHA {permit.claimed_sha or '-'}"
        + (f"; reason: {permit.failure_reason}" if permit.failure_reason else "")
    )
    _print_review(trace, console)


def _print_review(trace: Trace, console: Console) -> None:
    """Print the approval (who, when, the hash bound) and what a shadowed permit would have said."""
    permit, decision = trace.permit, trace.decision
    if permit is None:
        return
    if permit.get("approved_sha256"):
        console.print(
            f"[bold]approval[/]   by {permit.approved_by} at {_when(permit.approved_at)}; "
            f"sha256 {permit.approved_sha256}"
        )
    elif permit.get("review_deadline") is not None:
        console.print(
            f"approval   [dim]none yet; review deadline {_when(permit.review_deadline)}[/]"
        )
    if permit.status == "SHADOWED" and decision is not None:
        console.print(
            f"[bold]shadowed[/]   shadow mode, nothing sent; it would have posted "
            f"{decision.reply_text!r}"
        )


def _events_table(events: Sequence[Mapping[Any, Any]]) -> Table:
    table = Table("time", "event", "worker", "sha", "details", title="permit transitions")
    for event in events:
        table.add_row(
            _when(event["created_at"]),
            event["event_type"],
            event["worker_id"] or "-",
            event["git_sha"] or "-",
            _details(event["event_data"] or {}),
        )
    return table


def _print_post(trace: Trace, console: Console) -> None:
    permit = trace.permit
    if permit is None or permit.actual_tweet_id is None:
        console.print("post       [dim]none published[/]")
        return
    how = "found by read-back" if permit.reconciled else "answered by the platform"
    console.print(
        f"[bold]post[/]       {permit.actual_tweet_id} at {_when(permit.used_at)} ({how})"
    )
    scan = trace.read_back
    if scan is None:
        console.print("read-back  [dim]no ghost scan has read past it yet[/]")
        return
    console.print(
        f"[bold]read-back[/]  ghost scan #{scan.id} at {_when(scan.created_at)} by "
        f"{scan.worker_id or '-'} on SHA {scan.git_sha or '-'} (watermark {scan.watermark})"
    )


def ghosts_table(rows: Sequence[Mapping[str, Any]]) -> Table:
    """Return the ghosts as a table, newest first."""
    table = Table("id", "account", "post", "classification", "posted", "detected", "ack", "text")
    for row in rows:
        acknowledged = f"{row['acknowledged_by']} {_when(row['acknowledged_at'])}"
        table.add_row(
            str(row["id"]),
            f"{row['platform']}:{row['handle']}",
            row["tweet_id"],
            row["classification"],
            _when(row["posted_at"]),
            _when(row["detected_at"]),
            acknowledged if row["acknowledged_at"] else "-",
            (row["text"] or "")[:60],
        )
    return table
