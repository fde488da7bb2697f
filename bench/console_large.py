"""Median latency of /metrics and the console's read queries on a large PostgreSQL.

Target (DESIGN §12): every console page and API route under 200 ms median with 10 million
`system_events` and 1 million permits. Fills a database the way bench/certify_large.py does,
then times, over a real socket, GET /metrics (the database read, and a scrape that certifies
too) and, until the console's routes land, the read queries its pages are built on: the
Overview's posts today, the Pipeline's 24 h funnel and 7 d chart, a page of Replies (all,
one account, one state), a Trace, the Ghosts list, Workers and jobs, a page of Events.
Small sizes run in CI: `--events 20000 --permits 2000 --accounts 20`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import psycopg
from sqlalchemy import Engine, desc, func, select, text
from sqlalchemy.engine import make_url

from certify_large import Plan, fill
from xbot.config import AccountSettings, Settings
from xbot.jobs.base import Account, WorkerIdentity
from xbot.monitoring import MetricsSource
from xbot.readiness import Readiness
from xbot.store.engine import make_engine
from xbot.store.queries import job_runs, trace
from xbot.store.queries.ghosts import list_ghosts
from xbot.store.tables import (
    post_attempts,
    reply_candidate_queue,
    reply_decisions,
    system_events,
    workers,
)
from xbot.web.health import HealthServer, HealthState

TOKEN = "console-bench-token-0123456789"  # noqa: S105 - a throwaway on loopback
TARGET_MS = 200.0
PAGE = 50
#: Settings holds at most this many accounts; the Overview reads their states
MAX_ACCOUNTS = 100

Query = Callable[[object], object]


def main() -> int:
    arguments = parse_arguments()
    server = make_url(arguments.url)
    name = f"xbot_console_bench_{os.getpid()}"
    admin = psycopg.connect(
        server.set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True
    )
    admin.execute(f"CREATE DATABASE {name}")
    url = server.set(drivername="postgresql+psycopg", database=name).render_as_string(
        hide_password=False
    )
    try:
        plan = Plan(
            events=arguments.events,
            permits=arguments.permits,
            accounts=arguments.accounts,
            now=datetime.now(UTC).replace(microsecond=0),
        )
        print(f"filling {plan.events:,} events and {plan.permits:,} permits …", flush=True)
        print(f"filled in {fill(url, plan):.1f} s", flush=True)
        return measure(url, plan, arguments.runs, arguments.max_ms)
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL server URL whose user may create databases",
    )
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--permits", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--max-ms", type=float, default=None, help="exit 1 when a median is slower than this"
    )
    return parser.parse_args()


def measure(url: str, plan: Plan, runs: int, max_ms: float | None) -> int:
    engine = make_engine(url)
    figures = [(route, median_ms(call, runs)) for route, call in routes(engine, plan)]
    engine.dispose()
    width = max(len(route) for route, _ in figures)
    print(f"PostgreSQL, {plan.events:,} system_events, {plan.permits:,} permits, median of {runs}:")
    for route, median in figures:
        mark = "ok" if median < TARGET_MS else "SLOW"
        print(f"  {route:<{width}}  {median:8.1f} ms  {mark}")
    slowest_route, slowest = max(figures, key=lambda figure: figure[1])
    under = sum(1 for _, median in figures if median < TARGET_MS)
    print(
        f"{under} of {len(figures)} under {TARGET_MS:.0f} ms; "
        f"slowest {slowest_route} {slowest:.1f} ms"
    )
    if max_ms is not None and slowest > max_ms:
        print(f"error: {slowest_route} took {slowest:.1f} ms, over {max_ms} ms", file=sys.stderr)
        return 1
    return 0


def median_ms(call: Callable[[], object], runs: int) -> float:
    call()  # warm the pool and the caches once
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def routes(engine: Engine, plan: Plan) -> list[tuple[str, Callable[[], object]]]:
    scrape, scrape_certifying = metrics_scrapes(engine, plan)
    found: list[tuple[str, Callable[[], object]]] = [
        ("GET /metrics (counts)", scrape),
        ("GET /metrics (counts, states, certify)", scrape_certifying),
    ]
    for name, query in read_queries(plan).items():

        def run(query: Query = query) -> object:
            with engine.connect() as connection:
                return query(connection)

        found.append((name, run))
    return found


def metrics_scrapes(engine: Engine, plan: Plan) -> tuple[Callable[[], object], ...]:
    count = min(plan.accounts, MAX_ACCOUNTS)
    configured = [
        AccountSettings(platform="x", handle=f"account{n:04d}") for n in range(1, count + 1)
    ]
    settings = Settings(database_url=engine.url.render_as_string(hide_password=False),
                        accounts=configured)  # fmt: skip
    accounts = [
        Account(
            account_id=number,
            platform="x",
            handle=item.handle,
            platform_user_id=None,
            settings=item,
        )
        for number, item in enumerate(configured, start=1)
    ]
    worker = WorkerIdentity(worker_id="bench", role="web", git_sha="5a8a81ca3f0e",
                            sha_source="bench", host="bench", pid=os.getpid())  # fmt: skip
    readiness = Readiness(settings=settings, engine=engine, role="web", worker=worker, jobs=())

    def source(refresh_seconds: float) -> MetricsSource:
        return MetricsSource(
            engine=engine, settings=settings, worker=worker,
            posting_state=lambda: readiness.posting_state(accounts), cache_seconds=0,
            states_seconds=refresh_seconds, certify_seconds=refresh_seconds,
        )  # fmt: skip

    # a scrape re-reads the counts each time; states and the verdict every 30 and 60 s
    return served(source(refresh_seconds=3600)), served(source(refresh_seconds=0))


def served(source: MetricsSource) -> Callable[[], object]:
    state = HealthState()
    state.set_admin_token(TOKEN)
    state.set_metrics(source.answer)
    server = HealthServer("127.0.0.1", 0, state).start()
    port = server.address[1]

    def scrape() -> object:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.read()

    return scrape


def read_queries(plan: Plan) -> dict[str, Query]:
    """The reads behind each console page, as the pages will ask them (one page, newest first)."""
    permits, decisions, queue = post_attempts.c, reply_decisions.c, reply_candidate_queue.c
    day, week = plan.now - timedelta(days=1), plan.now - timedelta(days=7)
    replies = (
        select(permits.permit_id, permits.status, permits.actual_tweet_id, permits.used_at,
               decisions.reply_text, queue.text, queue.author_handle, queue.candidate_post_id)
        .join(reply_decisions, decisions.decision_id == permits.decision_id)
        .join(reply_candidate_queue, queue.id == decisions.candidate_id)
        .order_by(desc(permits.created_at))
        .limit(PAGE)
    )  # fmt: skip
    hour = func.date_trunc("hour", permits.used_at)
    statements = {
        "overview: posts today per account": select(permits.account_id, func.count())
        .where(permits.status == "USED", permits.used_at >= day)
        .group_by(permits.account_id),
        "pipeline: candidates 24 h by status": select(queue.status, queue.skip_reason, func.count())
        .where(queue.created_at >= day)
        .group_by(queue.status, queue.skip_reason),
        "pipeline: permits 24 h by state": select(permits.status, func.count())
        .where(permits.created_at >= day)
        .group_by(permits.status),
        "pipeline: posts per hour, 7 d": select(hour, func.count())
        .where(permits.status == "USED", permits.used_at >= week)
        .group_by(hour),
        "replies: newest page": replies,
        "replies: one account": replies.where(permits.account_id == 7),
        "replies: FAILED": replies.where(permits.status == "FAILED"),
        "workers": select(workers).order_by(desc(workers.c.heartbeat_at)).limit(PAGE),
        "events: newest page": select(system_events).order_by(desc(system_events.c.id)).limit(PAGE),
        "events: one type": select(system_events)
        .where(system_events.c.event_type == "reply_posted")
        .order_by(desc(system_events.c.created_at))
        .limit(PAGE),
    }
    queries: dict[str, Query] = {
        name: (lambda connection, statement=statement: connection.execute(statement).all())
        for name, statement in statements.items()
    }
    permit_id = f"pmt_{plan.permits // 2:032x}"
    queries["trace: one permit"] = lambda connection: trace.find_trace(connection, permit_id)
    queries["ghosts"] = lambda connection: list_ghosts(connection, include_acknowledged=False)
    queries["jobs: last run per job"] = job_runs.last_runs
    queries["database clock"] = lambda connection: connection.execute(text("SELECT 1")).all()
    return queries


if __name__ == "__main__":
    sys.exit(main())
