"""Hand-made check results and reports for the certify unit tests (no database)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from xbot.certify.advice import next_actions
from xbot.certify.facts_deploy import RunningShaFacts, WorkerAliveFacts
from xbot.certify.facts_pipeline import FetchFacts, QueueFacts, SchedulerFacts, TraceChainFacts
from xbot.certify.facts_safety import GhostFacts, StuckFacts
from xbot.certify.model import CheckResult, Evidence, Facts, Report, Status, Windows
from xbot.certify.verdict import blocker_of, verdict_of

NOW = datetime(2026, 1, 9, 19, 55, tzinfo=UTC)
TITLES = {
    "A": "Running SHA",
    "B": "Worker alive",
    "C": "Fetch",
    "D": "Queue",
    "E": "Scheduler + permit",
    "F": "Trace chain",
    "G": "Ghosts",
    "H": "Stuck and duplicate",
}
WINDOWS = Windows(
    worker=timedelta(minutes=15),
    fetch=timedelta(minutes=15),
    schedule=timedelta(minutes=3),
    ghost_scan=timedelta(minutes=30),
    reconcile=timedelta(minutes=3),
)
SEED_RUNNING = {
    "running_sha": "e35a4371",
    "sha_source": "env:RAILWAY_GIT_COMMIT_SHA",
    "worker_id": "w-1",
    "host": "serene-cat",
    "booted_at": datetime(2026, 1, 9, 16, 36, 37, tzinfo=UTC),
    "declared_sha": "fdf00f1e",
    "declared_at": datetime(2026, 1, 9, 19, 40, tzinfo=UTC),
    "declared_by": "ci",
    "expected_sha": "fdf00f1e",
    "expected_from": "deployment",
}
EMPTY_FACTS: dict[str, dict[str, Any]] = {
    "A": SEED_RUNNING,
    "G": {"accounts": ("acme",)},
}
#: each check's typed facts, built from the sample's keyword arguments
FACTS: dict[str, Callable[..., Facts]] = {
    "A": RunningShaFacts,
    "B": WorkerAliveFacts,
    "C": FetchFacts,
    "D": QueueFacts,
    "E": lambda **facts: SchedulerFacts(since=NOW - timedelta(hours=3), **facts),
    "F": lambda **facts: TraceChainFacts(since=NOW - timedelta(hours=3), **facts),
    "G": GhostFacts,
    "H": StuckFacts,
}


def evidence(name: str = "running_sha", rows: tuple[dict[str, Any], ...] = ()) -> Evidence:
    return Evidence(
        name=name,
        description="What the query proves.",
        dialect="postgresql",
        sql="SELECT COUNT(*) AS reports FROM system_events WHERE created_at >= :window_start",
        sql_inline=(
            "SELECT COUNT(*) AS reports FROM system_events "
            "WHERE created_at >= '2026-01-09T19:40:00+00:00'"
        ),
        parameters={"window_start": NOW - timedelta(minutes=15)},
        columns=tuple(rows[0]) if rows else ("reports",),
        rows=rows,
    )


def check(key: str, status: Status = Status.PASS, **facts: Any) -> CheckResult:
    return CheckResult(
        key=key,
        title=TITLES[key],
        status=status,
        explanation=f"{TITLES[key]} is {status.value.lower()}",
        evidence=(evidence(rows=({"reports": 3, "last_at": NOW},)),),
        facts=FACTS[key](**{**EMPTY_FACTS.get(key, {}), **facts}),
    )


def checks(**statuses: Status) -> tuple[CheckResult, ...]:
    return tuple(check(key, statuses.get(key, Status.PASS)) for key in TITLES)


def report(results: tuple[CheckResult, ...]) -> Report:
    blocker = blocker_of(results)
    return Report(
        generated_at=NOW,
        dialect="postgresql",
        database="postgresql+psycopg://postgres@127.0.0.1:5432/xbot",
        account=None,
        expected_sha="fdf00f1e",
        running_sha="e35a4371",
        sha_source="env:RAILWAY_GIT_COMMIT_SHA",
        since=NOW - timedelta(hours=3),
        windows=WINDOWS,
        checks=results,
        verdict=verdict_of(results),
        blocker=blocker,
        next_actions=next_actions(blocker),
    )
