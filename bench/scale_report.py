"""The report of bench/scale.py: its correctness checks, its figures beside the issue's targets."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from scale_measure import Samples, worker_figures

#: RSS may grow by this much after the first third of the run and still count as flat (MB)
FLAT_MB = 15.0

TARGETS = {
    "size": "4 workers x 200 accounts for 5 minutes on 2 cores",
    "due_work_skipped": 0,
    "duplicates": 0,
    "certify": "OPERATIONAL",
    "claim_lag_p95_s": 1.0,
    "mention_to_reply_p95_s": "fetch interval + 2",
    "worker_rss_mb": "<= 150 and flat",
}


def report(args: argparse.Namespace, samples: Samples, figures: dict[str, Any]) -> dict[str, Any]:
    """Assemble the figures, the checks and the targets."""
    jobs, posts = figures["jobs"], figures["posts"]
    checks = {
        "no_duplicate_slot": all(job["duplicate_slots"] == 0 for job in jobs.values()),
        "no_target_replied_twice": posts["targets_replied_twice"] == 0,
        "every_reply_explained_by_a_permit": posts["replies_no_permit_explains"] == 0,
    }
    missed = sum(job["slots_never_created"] + job["skipped_as_backlog"] for job in jobs.values())
    return {
        "bench": "scale",
        "ok": all(checks.values()),
        "checks": checks,
        "size": {"accounts": args.accounts, "workers": args.workers, "minutes": args.minutes},
        "cores": os.cpu_count(),
        "mentions_per_minute": args.mentions_per_minute,
        **figures,
        "due_slots_skipped_or_never_created": missed,
        "workers": {name: worker_figures(taken) for name, taken in samples.workers.items()},
        "postgres_connections_max": max(samples.connections, default=None),
        "load_average": _load(samples.load),
        "targets": TARGETS,
    }


def _load(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"min": None, "median": None, "max": None}
    ordered = sorted(values)
    return {"min": ordered[0], "median": ordered[len(ordered) // 2], "max": ordered[-1]}


def verdicts(data: dict[str, Any], args: argparse.Namespace) -> list[tuple[str, bool, str]]:
    """Each issue-12 target: (name, met, the figure beside it)."""
    jobs, posts = data["jobs"], data["posts"]
    lags = {job: figures["claim_lag_after_created_s"]["p95"] for job, figures in jobs.items()}
    worst_job = max(lags, key=lambda job: lags[job] or 0.0)
    worst = lags[worst_job]
    reply = posts["mention_to_reply_s"]["p95"]
    limit = args.fetch + 2
    workers = data["workers"].values()
    rss_max = max((worker.get("rss_mb_max") or 0.0 for worker in workers), default=0.0)
    growth = max(
        (worker.get("rss_growth_mb_after_first_third") or 0.0 for worker in workers), default=0.0
    )
    duplicates = sum(job["duplicate_slots"] for job in jobs.values())
    twice = posts["targets_replied_twice"]
    answered = f"{posts['mentions_answered']} of {posts['mentions']} mentions answered"
    return [
        ("no due work skipped", data["due_slots_skipped_or_never_created"] == 0,
         f"{data['due_slots_skipped_or_never_created']} slots skipped or never created"),
        ("0 duplicates", duplicates == 0 and twice == 0,
         f"{duplicates} duplicate slots, {twice} targets replied twice"),
        ("certify OPERATIONAL", data["certify"]["verdict"] == "OPERATIONAL",
         str(data["certify"]["verdict"])),
        ("claim lag p95 <= 1 s", worst is not None and worst <= 1.0,
         f"worst p95 {worst} s ({worst_job})"),
        (f"mention->reply p95 <= {limit:g} s, every mention answered",
         reply is not None and reply <= limit and posts["mentions_answered"] == posts["mentions"],
         f"p95 {reply} s, {answered}"),
        ("worker RSS <= 150 MB and flat", rss_max <= 150 and growth <= FLAT_MB,
         f"max {rss_max} MB, growth after the first third {growth} MB (flat: <= {FLAT_MB:g})"),
    ]  # fmt: skip


def print_summary(data: dict[str, Any], args: argparse.Namespace) -> None:
    """The human part: figures beside the issue's targets."""
    size = data["size"]
    print(
        f"scale: {size['accounts']} accounts x {size['workers']} workers x "
        f"{size['minutes']} min on {data['cores']} cores (target: {TARGETS['size']})"
    )
    for job, figures in data["jobs"].items():
        lag = figures["claim_lag_after_created_s"]
        print(
            f"  {job:<10} runs {figures['runs']:>6} (+{figures['woken_runs']} woken)  "
            f"dup slots {figures['duplicate_slots']}  "
            f"never created {figures['slots_never_created']:>4} / "
            f"{figures['slots_expected_in_window'] or 'work'}  "
            f"skipped {figures['skipped_as_backlog']:>4}"
            f"  claim lag p95 {lag['p95']} s max {lag['max']} s (target p95 <= 1 s)"
        )
    print(
        f"  due slots skipped or never created: {data['due_slots_skipped_or_never_created']}"
        " (target 0)"
    )
    posts = data["posts"]
    latency = posts["mention_to_reply_s"]
    print(
        f"  mentions {posts['mentions']}, answered {posts['mentions_answered']}, "
        f"replies {posts['replies_published']}, posts per USED permit "
        f"{posts['posts_per_used_permit']} (target 1.0), replied twice "
        f"{posts['targets_replied_twice']} (target 0)"
    )
    print(
        f"  mention->reply p50 {latency['p50']} s p95 {latency['p95']} s "
        f"(target p95 <= {args.fetch + 2:g} s)"
    )
    waited = posts["permit_claim_lag_s"]
    print(
        f"  permit claim lag (claimed - due) p50 {waited['p50']} s p95 {waited['p95']} s "
        f"max {waited['max']} s"
    )
    for name, worker in data["workers"].items():
        print(
            f"  {name}: cpu {worker.get('cpu_percent')} %  rss MB "
            f"{worker.get('rss_mb_over_time')} max {worker.get('rss_mb_max')} "
            f"(target <= 150, flat)"
        )
    print(f"  postgres connections max {data['postgres_connections_max']}")
    verdict = data["certify"]
    print(
        f"  certify {verdict['verdict']} in {verdict['seconds']} s (target OPERATIONAL)"
        + (f"; blocker {verdict['blocker'][:300]}" if verdict["blocker"] else "")
    )
    print(f"  checks: {data['checks']} -> {'ok' if data['ok'] else 'FAILED'}")
    load = data["load_average"]
    size = data["size"]
    full = size["accounts"] >= 200 and size["workers"] >= 4 and size["minutes"] >= 5
    print(
        f"targets (issue 12){'' if full else ', at a size smaller than the targets name'}; "
        f"load average min {load['min']} median {load['median']} max {load['max']} "
        f"on {data['cores']} cores:"
    )
    for name, met, figure in verdicts(data, args):
        print(f"  {'PASS' if met else 'MISS'}  {name}: {figure}")
    print(json.dumps(data, default=str, separators=(",", ":")))
