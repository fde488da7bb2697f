"""Figures for bench/scale.py: /proc samples per worker, job-run slots, posts, latencies."""

from __future__ import annotations

import math
import os
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text

from xbot.jobs.slots import slot_at, slot_start

TICKS = os.sysconf("SC_CLK_TCK")
#: jobs whose slots follow the work (xbot.jobs.registry): every slot is not due work
FOLLOWS_WORK = frozenset({"post", "schedule"})


@dataclass(kw_only=True)
class ProcSample:
    """One worker at one moment: seconds since start, CPU seconds used so far, RSS in MB."""

    at: float
    cpu_seconds: float
    rss_mb: float


def sample_process(pid: int, started: float) -> ProcSample | None:
    """Read /proc/PID; None once the process is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    cpu = (int(stat[11]) + int(stat[12])) / TICKS  # utime, stime (fields 14, 15)
    rss = [int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")]
    if not rss:  # a zombie: it exited and was not waited for yet
        return None
    rss_kb = rss[0]
    return ProcSample(at=time.monotonic() - started, cpu_seconds=cpu, rss_mb=rss_kb / 1024)


@dataclass(kw_only=True)
class Samples:
    """Everything sampled over time while the workers ran."""

    started: float = field(default_factory=time.monotonic)
    workers: dict[str, list[ProcSample]] = field(default_factory=lambda: defaultdict(list))
    connections: list[int] = field(default_factory=list)
    #: the machine's 1-minute load average at each sample (other work shares the cores)
    load: list[float] = field(default_factory=list)

    def take(self, pids: dict[str, int], connection: Connection) -> None:
        """Sample every worker and count the database's connections (not this one)."""
        for name, pid in pids.items():
            sample = sample_process(pid, self.started)
            if sample is not None:
                self.workers[name].append(sample)
        count = connection.execute(
            text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        ).scalar_one()
        connection.commit()
        self.connections.append(int(count) - 1)
        self.load.append(os.getloadavg()[0])


def worker_figures(samples: list[ProcSample]) -> dict[str, Any]:
    """CPU share and RSS of one worker over the run; growth compares the last to the first third."""
    if len(samples) < 2:
        return {"samples": len(samples)}
    first, last = samples[0], samples[-1]
    third = samples[len(samples) // 3]
    span = last.at - first.at
    return {
        "samples": len(samples),
        "cpu_percent": round(100 * (last.cpu_seconds - first.cpu_seconds) / span, 1),
        "rss_mb_start": round(first.rss_mb, 1),
        "rss_mb_third": round(third.rss_mb, 1),
        "rss_mb_end": round(last.rss_mb, 1),
        "rss_mb_max": round(max(sample.rss_mb for sample in samples), 1),
        "rss_growth_mb_after_first_third": round(last.rss_mb - third.rss_mb, 1),
        "rss_mb_over_time": [
            round(sample.rss_mb) for sample in samples[:: max(len(samples) // 8, 1)]
        ],
    }


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(math.ceil(share * len(ordered)) - 1, 0)], 3)


def spread(values: list[float]) -> dict[str, Any]:
    """p50, p95 and max of some seconds."""
    return {
        "n": len(values),
        "p50": percentile(values, 0.5),
        "p95": percentile(values, 0.95),
        "max": round(max(values), 3) if values else None,
    }


def slot_figures(
    connection: Connection, intervals: dict[str, float], window: tuple[datetime, datetime]
) -> dict[str, Any]:
    """Per job: runs by status, duplicate slots, slots whose time fell in the window but no run."""
    rows = connection.execute(
        text("SELECT job, account_id, slot, status, created_at, started_at FROM job_runs")
    ).all()
    per_job: dict[str, Any] = {}
    for job, interval in intervals.items():
        mine = [row for row in rows if row.job == job]
        per_job[job] = _one_job(mine, interval, window)
        if job in FOLLOWS_WORK:
            # an idle account opens these slots only in turn: its slots are not all due work
            per_job[job] |= {"slots_expected_in_window": None, "slots_never_created": 0}
    return per_job


def _one_job(rows: list[Any], interval: float, window: tuple[datetime, datetime]) -> dict[str, Any]:
    # a woken run (negative slot, xbot.jobs.wakeups) superseded by the regular slot lost no work
    woken = [row for row in rows if row.slot < 0]
    rows = [row for row in rows if row.slot >= 0]
    seen = Counter((row.account_id, row.slot) for row in rows)
    accounts = {row.account_id for row in rows}
    expected = {
        (account, slot) for account in accounts for slot in _whole_slots(job_of(rows), account,
                                                                         interval, window)
    }  # fmt: skip
    claimed = [row for row in [*rows, *woken] if row.started_at is not None]
    return {
        "interval_seconds": interval,
        "runs": len(rows),
        "woken_runs": len(woken),
        "woken_superseded": sum(row.status == "skipped" for row in woken),
        "by_status": dict(Counter(row.status for row in rows)),
        "duplicate_slots": sum(count - 1 for count in seen.values() if count > 1),
        "slots_expected_in_window": len(expected),
        "slots_never_created": len(expected - set(seen)),
        "skipped_as_backlog": sum(row.status == "skipped" for row in rows),
        "claim_lag_after_created_s": spread(
            [(row.started_at - row.created_at).total_seconds() for row in claimed]
        ),
        "created_after_slot_opened_s": spread(
            [
                row.created_at.timestamp() - slot_start(row.job, row.account_id, interval, row.slot)
                for row in rows
            ]
        ),
    }


def job_of(rows: list[Any]) -> str:
    """The job these rows belong to."""
    return str(rows[0].job) if rows else ""


def _whole_slots(
    job: str, account_id: int, interval: float, window: tuple[datetime, datetime]
) -> range:
    """The account's slots (staggered, xbot.jobs.slots) that opened and closed in the window."""
    first = slot_at(job, account_id, interval, window[0].timestamp()) + 1
    last = slot_at(job, account_id, interval, window[1].timestamp()) - 1
    return range(first, last + 1)


def post_figures(
    connection: Connection, replies: dict[str, list[dict[str, Any]]], mentions: dict[str, datetime]
) -> dict[str, Any]:
    """Posts per permit from the fake's own record, and mention→reply latency."""
    used = connection.execute(
        text("SELECT actual_tweet_id FROM post_attempts WHERE status = 'USED'")
    ).all()
    permits = dict(
        Counter(
            row.status for row in connection.execute(text("SELECT status FROM post_attempts")).all()
        )
    )
    recorded = {row.actual_tweet_id for row in used}
    claims = connection.execute(
        text(
            "SELECT created_at, not_before, claimed_at FROM post_attempts "
            "WHERE claimed_at IS NOT NULL"
        )
    ).all()
    published = [reply for answers in replies.values() for reply in answers]
    latencies = [
        (min(_when(reply) for reply in replies[post_id]) - created).total_seconds()
        for post_id, created in mentions.items()
        if replies.get(post_id)
    ]
    return {
        "mentions": len(mentions),
        "mentions_answered": sum(bool(replies.get(post_id)) for post_id in mentions),
        "permits": permits,
        "replies_published": len(published),
        "posts_per_used_permit": round(len(published) / len(recorded), 3) if recorded else None,
        "targets_replied_twice": sum(len(answers) > 1 for answers in replies.values()),
        "replies_no_permit_explains": sum(reply["id"] not in recorded for reply in published),
        "mention_to_reply_s": spread(latencies),
        # how long a permit waited for its claim after it could first be claimed
        "permit_claim_lag_s": spread(
            [
                (
                    row.claimed_at - max(row.created_at, row.not_before or row.created_at)
                ).total_seconds()
                for row in claims
            ]
        ),
    }


def _when(post: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(post["created_at"])
