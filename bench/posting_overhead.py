"""Posting overhead per permit: claim → publish on a zero-latency fake X → record (DESIGN §12).

Targets (issue 12), with the platform call's own time subtracted and printed separately:
PostgreSQL within 3 times the database's cost for three single-row commits, SQLite within 8
times, measured side by side in the same run and on the same database; Python time outside the
database and the platform within 1 ms per permit. Prints the statements, transactions, pool
check-outs, pings and round trips per permit (counted with SQLAlchemy and pool events).

    python bench/posting_overhead.py [--permits 200] [--database-url postgresql+psycopg://…]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
from sqlalchemy import Connection, Engine, event, text

from xbot.config import AccountSettings, BudgetSettings, Settings
from xbot.jobs import post
from xbot.jobs.base import JobContext, WorkerIdentity
from xbot.logging import configure
from xbot.serve import load_accounts
from xbot.sim.core.clock import SimClock
from xbot.sim.core.world import build_world
from xbot.sim.x.fake import FakeX
from xbot.sim.x.settings import XFakeSettings
from xbot.store.engine import make_engine
from xbot.store.migrate import upgrade
from xbot.store.queries import candidates, decisions
from xbot.store.sql import SqlStore
from xbot.wiring import Overrides, PlatformCache

#: the most each figure may be: (total - platform) / three commits, and Python outside both
TARGET_RATIO = {"postgresql": 3.0, "sqlite": 8.0}
TARGET_PYTHON_MS = 1.0
WORKER = WorkerIdentity(worker_id="bench", role="worker", git_sha="bench", sha_source="bench",
                        host="bench", pid=0)  # fmt: skip


def main() -> None:
    configure(level="warning", output="json")  # the job events' log lines are not measured
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--permits", type=int, default=200)
    parser.add_argument("--database-url", default="")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = options.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        fake = FakeX(
            build_world(3),
            clock=SimClock(),
            settings=XFakeSettings(history_posts_per_bot=0, rate_limits={"POST /2/tweets": 10**6}),
        )
        meter = Meter()
        meter.watch(engine)
        context = _context(engine, fake, meter)
        _permits(engine, context, fake, options.permits)
        per_permit, baseline = _interleaved(engine, context, options.permits, meter)
        engine.dispose()
    _report(engine.dialect.name, options.permits, per_permit, baseline)


@dataclass
class Meter:
    """What the database and the platform did since the last reset: counts and seconds."""

    counts: Counter[str] = field(default_factory=Counter)
    seconds: Counter[str] = field(default_factory=Counter)

    def reset(self) -> None:
        self.counts.clear()
        self.seconds.clear()

    def watch(self, engine: Engine) -> None:
        """Count statements, transactions, check-outs and pings; time the driver's calls.

        Statements are counted and timed at the dialect's do_execute, where SQLAlchemy's own
        executions and the posting path's prepared statements (xbot.store.queries.fast) meet.
        """
        for name, counted in (("begin", "transactions"), ("commit", "commits"),
                              ("rollback", "rollbacks"), ("checkout", "checkouts")):  # fmt: skip
            event.listen(engine, name, self._counter(counted))
        dialect: Any = engine.dialect
        # timed, not counted: the pool's rollback on check-in costs nothing when no transaction
        # is open (psycopg and sqlite3 skip it), so only a transaction's own rollback counts
        for name, counted in (("do_commit", ""), ("do_rollback", ""), ("do_ping", "pings")):
            setattr(dialect, name, self._timed(getattr(dialect, name), counted))
        for name in ("do_execute", "do_execute_no_params", "do_executemany"):
            setattr(dialect, name, self._statement(getattr(dialect, name)))

    def _counter(self, counted: str) -> Callable[..., None]:
        return lambda *_: self.counts.update([counted])

    @contextmanager
    def timing(self, what: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[what] += time.perf_counter() - started

    def _timed(self, call: Callable[..., Any], counted: str) -> Callable[..., Any]:
        def timed(*arguments: Any) -> Any:
            if counted:
                self.counts[counted] += 1
            with self.timing("database"):
                return call(*arguments)

        return timed

    def _statement(self, call: Callable[..., Any]) -> Callable[..., Any]:
        def timed(cursor: Any, statement: str, *arguments: Any) -> Any:
            # SQLite's BEGIN IMMEDIATE is sent as SQL; PostgreSQL's BEGIN goes with the first one
            if not statement.lstrip().upper().startswith("BEGIN"):
                self.counts["statements"] += 1
            with self.timing("database"):
                return call(cursor, statement, *arguments)

        return timed


class TimedTransport(httpx2.BaseTransport):
    """The fake platform's transport, timed: the fake's own HTTP handling, printed apart."""

    def __init__(self, inner: httpx2.BaseTransport, meter: Meter) -> None:
        self.inner = inner
        self.meter = meter

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        self.meter.counts["platform_calls"] += 1
        with self.meter.timing("transport"):
            response = self.inner.handle_request(request)
            response.read()
            return response


class TimedPlatform:
    """The account's adapter, its publish timed: the platform call is not the protocol's cost.

    The call's time is the adapter's (building and signing the request, reading the answer) and
    the fake's transport; both are subtracted from the posting time and printed apart.
    """

    def __init__(self, inner: Any, meter: Meter) -> None:
        self.inner = inner
        self.meter = meter

    def publish_reply(self, *arguments: Any, **options: Any) -> Any:
        with self.meter.timing("platform"):
            return self.inner.publish_reply(*arguments, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@dataclass(frozen=True)
class Permit:
    """One permit's figures."""

    total: float
    counts: Counter[str]
    seconds: Counter[str]

    @property
    def python(self) -> float:
        return self.total - self.seconds["database"] - self.seconds["platform"]

    @property
    def round_trips(self) -> int:
        kinds = ("statements", "transactions", "commits", "rollbacks", "pings")
        return sum(self.counts[kind] for kind in kinds)


def _report(dialect: str, count: int, permits: list[Permit], baseline: list[Permit]) -> None:
    def median_ms(values: Iterator[float]) -> float:
        return statistics.median(values) * 1000

    total = median_ms(permit.total for permit in permits)
    platform = median_ms(permit.seconds["platform"] for permit in permits)
    transport = median_ms(permit.seconds["transport"] for permit in permits)
    database = median_ms(permit.seconds["database"] for permit in permits)
    python = median_ms(permit.python for permit in permits)
    commits = median_ms(commit.total for commit in baseline)
    ratio = median_ms(permit.total - permit.seconds["platform"] for permit in permits) / commits
    target = TARGET_RATIO.get(dialect, 3.0)
    kinds = ("statements", "transactions", "commits", "rollbacks", "checkouts", "pings")
    trips = statistics.mean(permit.round_trips for permit in permits)
    commit_trips = statistics.mean(commit.round_trips for commit in baseline)
    print(f"database={dialect} permits={count} (medians per permit)")
    print(f"posting_ms={total:.2f}: platform {platform:.2f} (the adapter's publish_reply; the "
          f"fake's transport {transport:.2f} of it), database {database:.2f}, "
          f"python outside both {python:.2f}")  # fmt: skip
    counted = " ".join(f"{kind}={_mean(permits, kind):.1f}" for kind in kinds)
    print(f"per_permit: {counted} round_trips={trips:.1f} platform_calls="
          f"{_mean(permits, 'platform_calls'):.1f}")  # fmt: skip
    print(f"three_commits_ms={commits:.2f} (round_trips={commit_trips:.1f})")
    print(f"ratio={ratio:.2f} ((posting - platform) / three commits; target <= {target:g}) "
          f"{_verdict(ratio <= target)}")  # fmt: skip
    print(f"python_ms={python:.2f} (outside the database and the platform; "
          f"target <= {TARGET_PYTHON_MS:g}) {_verdict(python <= TARGET_PYTHON_MS)}")  # fmt: skip


def _mean(permits: list[Permit], kind: str) -> float:
    return statistics.mean(permit.counts[kind] for permit in permits)


def _verdict(met: bool) -> str:  # noqa: FBT001
    return "met" if met else "MISSED"


def _context(engine: object, fake: FakeX, meter: Meter) -> JobContext:
    bot = fake.bot().handle
    account = AccountSettings(
        platform="x",
        handle=bot,
        base_url="http://x.sim",
        budgets=BudgetSettings(
            per_hour=1000, per_day=10_000, min_gap_seconds=0, author_cooldown_minutes=0
        ),
    )
    settings = Settings(accounts=[account])
    [row] = load_accounts(SqlStore(engine), settings)  # type: ignore[arg-type]
    platforms = PlatformCache(
        settings,
        engine,  # type: ignore[arg-type]
        Overrides(
            credentials={bot: fake.credentials()},
            transport=lambda _account: TimedTransport(fake.transport(), meter),
        ),
    )
    return JobContext(
        store=SqlStore(engine),
        settings=settings,
        worker=WORKER,  # type: ignore[arg-type]
        now=datetime.now(UTC),
        account=row,
        platform_for=lambda account: TimedPlatform(platforms(account), meter),
        meter_for=platforms.meter,  # each post is priced and recorded, as in production
    )


def _permits(engine: Engine, context: JobContext, fake: FakeX, count: int) -> None:
    if context.account is None:
        raise SystemExit("no account")
    now = datetime.now(UTC)
    humans = [user.handle for user in fake.world.everyone if not user.is_bot_account]
    with engine.begin() as connection:
        for number in range(count):
            mention = fake.post_as(
                humans[number % len(humans)], f"@{context.account.handle} q{number}"
            )
            candidate_id = candidates.insert_candidate(
                connection,
                {
                    "account_id": context.account.account_id,
                    "candidate_post_id": mention["id"],
                    "author_id": str(number),
                    "author_handle": humans[number % len(humans)],
                    "text": "q",
                    "status": "selected",
                    "summoned": True,
                    "created_at": now,
                },
            )
            decisions.insert_decision_with_permit(connection, decisions.NewDecision(
                account_id=context.account.account_id, candidate_id=int(candidate_id or 0),
                target_post_id=mention["id"], reply_text=f"Answer number {number}.",
                generator="bench", generator_meta={}, permit_expires_at=now + timedelta(hours=1),
            ), now)  # fmt: skip


def _interleaved(
    engine: Engine, context: JobContext, count: int, meter: Meter
) -> tuple[list[Permit], list[Permit]]:
    """Post each permit, then time three single-row commits: a busy machine slows both alike."""
    permits, baseline = [], []
    with engine.connect() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS bench_commits (id INTEGER, note TEXT)"))
        connection.commit()
        for number in range(count):
            permits.append(_post_one(context, meter))
            baseline.append(_three_commits(connection, number, meter))
    return permits, baseline


def _post_one(context: JobContext, meter: Meter) -> Permit:
    meter.reset()
    started = time.perf_counter()
    summary = post.run_once(replace(context, now=datetime.now(UTC))).as_data()
    total = time.perf_counter() - started
    if summary.get("claimed") != 1 or summary.get("status") not in (None, "USED"):
        raise SystemExit(f"a permit did not post cleanly: {summary}")
    return Permit(total, meter.counts.copy(), meter.seconds.copy())


def _three_commits(connection: Connection, number: int, meter: Meter) -> Permit:
    meter.reset()
    started = time.perf_counter()
    for _ in range(3):
        connection.execute(text("INSERT INTO bench_commits VALUES (:n, 'x')"), {"n": number})
        connection.commit()
    total = time.perf_counter() - started
    return Permit(total, meter.counts.copy(), meter.seconds.copy())


if __name__ == "__main__":
    main()
