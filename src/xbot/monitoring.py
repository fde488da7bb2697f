"""What /metrics serves, read from the database at scrape time (and this process's own gauges).

Multiprocess-safe by construction: posts, permits, skips, queue, job failures, ghosts, account
states and workers are counted from the shared database, so every process (web, worker, on
any host) serves the same numbers and a restart never resets a counter. Only what one
process alone can know, its platform requests, job-run durations and last rate-limit headers,
comes from that process (`xbot.telemetry`); Prometheus scrapes each worker for those.

A scrape reads the counts at most every `cache_seconds`; each account's state (a few reads per
account) at most every `states_seconds`; and certifies at most every `certify_seconds` (a
certification reads much more). Prometheus scrapes every 15 to 60 s, so most scrapes cost
only the counts.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import structlog
from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from xbot import __version__, telemetry
from xbot.certify.model import EXIT_CODES, CertifyOptions
from xbot.certify.run import run_certification
from xbot.config import Settings
from xbot.domain.account_state import PostingState
from xbot.domain.errors import XbotError
from xbot.domain.rate_card import micro_to_usd
from xbot.jobs.base import WorkerIdentity
from xbot.jobs.loop import HEARTBEAT_SECONDS
from xbot.store.engine import translated_errors
from xbot.store.queries import metrics as queries
from xbot.store.queries import usage
from xbot.store.queries.common import database_now
from xbot.web.metrics import CONTENT_TYPE, Series, Snapshot, render

log = structlog.get_logger("xbot.monitoring")

#: the cost counters count from the first day on record
EVER = date(2000, 1, 1)
#: a worker whose heartbeat is older than this many heartbeat intervals is not counted alive
MISSED_HEARTBEATS = 3
#: (platform, endpoint, account, remaining) per rate-limit state this process has seen
RateLimits = Callable[[], Iterable[tuple[str, str, str, float]]]


def no_rate_limits() -> Iterable[tuple[str, str, str, float]]:
    """Return no rate limits (a process without platform adapters)."""
    return ()


@dataclass(kw_only=True)
class MetricsSource:
    """Builds /metrics bodies for one process: database counts, account states, the verdict."""

    engine: Engine
    settings: Settings
    worker: WorkerIdentity
    #: the process's posting state (`Service.posting_state`): each account's state and reason
    posting_state: Callable[[], Mapping[str, Any]]
    rate_limits: RateLimits = no_rate_limits
    cache_seconds: float = 5.0
    states_seconds: float = 30.0
    certify_seconds: float = 60.0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _cached: tuple[float, Snapshot] | None = None
    _states: tuple[float, dict[str, Series]] | None = None
    _verdict: tuple[float, int | None] | None = None

    def body(self) -> bytes:
        """Return the /metrics body now (from a snapshot at most `cache_seconds` old)."""
        return render(self.snapshot(), telemetry.REGISTRY)

    def answer(self) -> tuple[bytes, str]:
        """Return the body and its Content-Type, as the listener serves them."""
        return self.body(), CONTENT_TYPE

    def snapshot(self) -> Snapshot:
        """Return the database's numbers, read again when the last read is too old."""
        with self._lock:
            clock = time.monotonic()
            if self._cached is None or clock - self._cached[0] >= self.cache_seconds:
                self._cached = (clock, self._read())
            return self._cached[1]

    def _read(self) -> Snapshot:
        with translated_errors(), self.engine.connect() as connection:
            series = database_series(connection, self.settings)
        series.update(self._account_states())
        series["xbot_build_info"] = [((self.worker.git_sha, __version__, self.worker.role), 1.0)]
        series["xbot_rate_limit_remaining"] = [
            ((platform, endpoint, account), remaining)
            for platform, endpoint, account, remaining in self.rate_limits()
        ]
        verdict = self._certify_verdict()
        if verdict is not None:
            series["xbot_certify_verdict"] = [((), float(verdict))]
        return Snapshot(series)

    def _account_states(self) -> dict[str, Series]:
        clock = time.monotonic()
        if self._states is None or clock - self._states[0] >= self.states_seconds:
            self._states = (clock, state_series(self.posting_state()))
        return self._states[1]

    def _certify_verdict(self) -> int | None:
        clock = time.monotonic()
        if self._verdict is None or clock - self._verdict[0] >= self.certify_seconds:
            try:
                report = run_certification(self.engine, self.settings, CertifyOptions())
                verdict: int | None = EXIT_CODES[report.verdict]
            except XbotError as exc:
                log.warning("certify_for_metrics_failed", error=str(exc))
                verdict = None
            self._verdict = (clock, verdict)
        return self._verdict[1]


def database_series(connection: Connection, settings: Settings) -> dict[str, Series]:
    """Return every series counted in the database."""
    now = database_now(connection)
    names = queries.account_names(connection)

    def name(account_id: int) -> str:
        return names.get(account_id, ("", f"account:{account_id}"))[1]

    def platform(account_id: int) -> str:
        return names.get(account_id, ("unknown", ""))[0]

    posts = queries.posts_by_account(connection)
    lease = timedelta(seconds=settings.lease_seconds)
    alive_since = now - timedelta(seconds=HEARTBEAT_SECONDS * MISSED_HEARTBEATS)
    newest = queries.newest_heartbeat(connection)
    series: dict[str, Series] = {
        "xbot_posts_total": [
            ((platform(account), name(account)), float(posts.get(account, 0))) for account in names
        ],
        "xbot_permits": [
            ((state, name(account)), float(count))
            for (account, state), count in queries.permits_by_account_and_state(connection).items()
        ],
        "xbot_permits_overdue": [
            ((state, name(account)), float(count))
            for (account, state), count in queries.overdue_permits(connection, now, lease).items()
        ],
        "xbot_candidates_skipped_total": [
            ((reason, name(account)), float(count))
            for (account, reason), count in queries.skipped_by_account_and_reason(
                connection
            ).items()
        ],
        "xbot_job_failures_total": [
            ((job,), float(count)) for job, count in queries.job_failures(connection).items()
        ],
        "xbot_ghosts_unacknowledged": [((), float(queries.unacknowledged_ghosts(connection)))],
        "xbot_workers_alive": [
            ((role,), float(count))
            for role, count in queries.live_workers(connection, alive_since).items()
        ],
    }
    depth = queries.queue_depth_by_account(connection, now)
    series["xbot_queue_depth"] = [
        ((name(account),), float(depth.get(account, 0))) for account in names
    ]
    if newest is not None:
        age = max(0.0, (now - newest).total_seconds())
        series["xbot_worker_heartbeat_age_seconds"] = [((), age)]
    series["xbot_cost_usd_total"] = cost_series(connection)
    return series


def cost_series(connection: Connection) -> Series:
    """Return what each account's calls cost so far, in USD, by kind of call (platform_usage)."""
    return [
        ((total.account, total.endpoint_class), micro_to_usd(total.cost_micro))
        for total in usage.usage_totals(connection, EVER)
    ]


def state_series(posting: Mapping[str, Any]) -> dict[str, Series]:
    """Return xbot_account_state (1 for the current state, 0 for the others) and the blocks."""
    states: list[tuple[tuple[str, ...], float]] = []
    blocked: list[tuple[tuple[str, ...], float]] = []
    for account in posting.get("accounts", []):
        for state in PostingState:
            current = 1.0 if account["state"] == state.value else 0.0
            states.append(((account["account"], state.value), current))
        if account["state"] == PostingState.BLOCKED.value:
            blocked.append(((account["account"], str(account.get("reason"))), 1.0))
    return {"xbot_account_state": states, "xbot_account_blocked": blocked}
