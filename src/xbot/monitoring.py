"""What /metrics serves, read from the database at scrape time (and this process's own gauges).

Multiprocess-safe by construction: posts, permits, skips, queue, job failures, ghosts, account
states and workers are counted from the shared database, so every process (web, worker, on
any host) serves the same numbers and a restart never resets a counter. Only what one
process alone can know, its platform requests, job-run durations and last rate-limit headers,
comes from that process (`xbot.telemetry`); Prometheus scrapes each worker for those.

A scrape answers from a snapshot of the counts at most `cache_seconds` old and refreshes a
stale one in the background; each refresh re-reads every account's state (a few reads per
account) at most every `states_seconds` and certifies at most every `certify_seconds` (a
certification reads much more). So a scrape costs milliseconds at any database size, and the
database is read at most once per `cache_seconds` per process, only while someone scrapes.
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
    cache_seconds: float = 15.0
    states_seconds: float = 30.0
    certify_seconds: float = 60.0
    #: refresh a stale snapshot in a thread and answer from the last one (False: wait for it)
    background: bool = True
    _lock: threading.Lock = field(default_factory=threading.Lock)
    #: how long the first scrape of a process waits for the first read of the database
    first_wait_seconds: float = 5.0
    _first_read: threading.Lock = field(default_factory=threading.Lock)
    _ready: threading.Event = field(default_factory=threading.Event)
    _refreshing: bool = False
    _cached: tuple[float, Snapshot] | None = None
    _states: tuple[float, dict[str, Series]] | None = None
    _verdict: tuple[float, int | None] | None = None

    def body(self) -> bytes:
        """Return the /metrics body: the database's snapshot, then this process's own series."""
        series = dict(self.snapshot().series)
        series["xbot_build_info"] = [((self.worker.git_sha, __version__, self.worker.role), 1.0)]
        series["xbot_rate_limit_remaining"] = [
            ((platform, endpoint, account), remaining)
            for platform, endpoint, account, remaining in self.rate_limits()
        ]
        return render(Snapshot(series), telemetry.REGISTRY)

    def answer(self) -> tuple[bytes, str]:
        """Return the body and its Content-Type, as the listener serves them."""
        return self.body(), CONTENT_TYPE

    def snapshot(self) -> Snapshot:
        """Return the database's numbers; a stale snapshot is refreshed behind the answer.

        Counting a million permits takes longer than a scrape should wait, so a scrape answers
        from the last snapshot (at most `cache_seconds` plus one refresh old) while a thread
        reads the next one. The first scrape of a process waits `first_wait_seconds` for the
        first read, then answers without the database's series rather than time out.
        """
        if not self.background:
            return self._read_when_stale()
        with self._lock:
            cached = self._cached
            stale = cached is None or time.monotonic() - cached[0] >= self.cache_seconds
            refresh = stale and not self._refreshing
            self._refreshing = self._refreshing or refresh
        if refresh:
            threading.Thread(target=self._refresh, name="metrics-refresh", daemon=True).start()
        if cached is not None:
            return cached[1]
        self._ready.wait(self.first_wait_seconds)
        with self._lock:
            return self._cached[1] if self._cached is not None else Snapshot()

    def _read_when_stale(self) -> Snapshot:
        with self._lock:
            cached = self._cached
        if cached is not None and time.monotonic() - cached[0] < self.cache_seconds:
            return cached[1]
        with self._first_read:  # one read at a time
            return self._store(self._read())

    def _refresh(self) -> None:
        try:
            self._store(self._read())
        except Exception as exc:  # the last snapshot stays; the next scrape tries again
            log.warning("metrics_refresh_failed", error=f"{type(exc).__name__}: {exc}")
        finally:
            with self._lock:
                self._refreshing = False

    def _store(self, snapshot: Snapshot) -> Snapshot:
        with self._lock:
            self._cached = (time.monotonic(), snapshot)
        self._ready.set()
        return snapshot

    def _read(self) -> Snapshot:
        with translated_errors(), self.engine.connect() as connection:
            series = database_series(connection, self.settings)
        series.update(self._account_states())
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
