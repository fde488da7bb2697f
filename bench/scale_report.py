"""The report of bench/scale.py: its correctness checks, its figures beside the issue's targets."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from scale_measure import Samples, worker_figures

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
        "targets": TARGETS,
    }


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
            f"  {job:<10} runs {figures['runs']:>6}  dup slots {figures['duplicate_slots']}  "
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
        + (f"; blocker {verdict['blocker']}" if verdict["blocker"] else "")
    )
    print(f"  checks: {data['checks']} -> {'ok' if data['ok'] else 'FAILED'}")
    print(json.dumps(data, default=str, separators=(",", ":")))
