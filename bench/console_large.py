"""Median latency of /metrics and the console's read queries on a large PostgreSQL.

Target (DESIGN §12): every console page and API route under 200 ms median with 10 million
`system_events` and 1 million permits. Fills a database the way bench/certify_large.py does,
then times, over a real socket with the admin token, GET /metrics and every console page and
its JSON twin under /api/v1 (with the filters an operator uses), and, apart, the reads that
refresh /metrics' snapshot behind the scrapes (counts, account states, certify).
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
from datetime import UTC, datetime

import psycopg
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from certify_large import Plan, fill
from xbot.certify.run import run_certification
from xbot.config import AccountSettings, Settings
from xbot.jobs.base import Account, WorkerIdentity
from xbot.monitoring import MetricsSource, database_series
from xbot.readiness import Readiness
from xbot.store.engine import make_engine
from xbot.web.bridge import AsgiBridge
from xbot.web.health import HealthServer, HealthState
from xbot.wiring import console_app

TOKEN = "console-bench-token-0123456789"  # noqa: S105 - a throwaway on loopback
TARGET_MS = 200.0
#: the reads behind /metrics' snapshot: timed, but no request waits for them
BACKGROUND = "metrics refresh"
#: Settings holds at most this many accounts; the Overview reads their states
MAX_ACCOUNTS = 100


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
        mark = "" if route.startswith(BACKGROUND) else "ok" if median < TARGET_MS else "SLOW"
        print(f"  {route:<{width}}  {median:8.1f} ms  {mark}")
    served = [figure for figure in figures if not figure[0].startswith(BACKGROUND)]
    slowest_route, slowest = max(served, key=lambda figure: figure[1])
    under = sum(1 for _, median in served if median < TARGET_MS)
    print(
        f"{under} of {len(served)} routes under {TARGET_MS:.0f} ms; "
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
    settings, accounts = configured(engine, plan)
    worker = WorkerIdentity(worker_id="bench", role="web", git_sha="5a8a81ca3f0e",
                            sha_source="bench", host="bench", pid=os.getpid())  # fmt: skip
    readiness = Readiness(settings=settings, engine=engine, role="web", worker=worker, jobs=())
    # the first scrape waits for the first read here (a server gives up after 5 s), so every
    # timed scrape is answered from a snapshot, as in production once it has run a while
    source = MetricsSource(engine=engine, settings=settings, worker=worker,
                           posting_state=lambda: readiness.posting_state(accounts),
                           first_wait_seconds=600)  # fmt: skip
    state = HealthState()
    state.set_admin_token(TOKEN)
    state.set_metrics(source.answer)
    server = HealthServer("127.0.0.1", 0, state).start()
    server.mount(AsgiBridge(console_app(settings, engine)))
    get = getter(server.address[1])

    def counts() -> object:
        with engine.connect() as connection:
            return database_series(connection, settings)

    permit_id = f"pmt_{plan.permits // 2:032x}"
    paths = [
        "/metrics",
        *[f"/console/{page}" for page in ("overview", "pipeline", "replies", "ghosts", "certify",
                                          "workers", "events")],
        f"/console/trace?id={permit_id}",
        "/api/v1/overview", "/api/v1/pipeline?window=1h", "/api/v1/pipeline?window=7d",
        "/api/v1/replies", "/api/v1/replies?account=x:account0007", "/api/v1/replies?state=FAILED",
        "/api/v1/replies?q=reset", f"/api/v1/trace/{permit_id}", "/api/v1/ghosts",
        "/api/v1/workers", "/api/v1/events", "/api/v1/events?type=reply_posted",
        "/api/v1/events?account=x:account0007",
    ]  # fmt: skip
    found: list[tuple[str, Callable[[], object]]] = [
        (f"GET {path}", lambda path=path: get(path)) for path in paths
    ]
    # what a /metrics scrape no longer waits for: the refresh behind it, every 15 s at most
    found += [
        (f"{BACKGROUND}: counts", counts),
        (f"{BACKGROUND}: {len(accounts)} account states",
         lambda: readiness.posting_state(accounts)),
        (f"{BACKGROUND}: certify", lambda: run_certification(engine, settings)),
    ]  # fmt: skip
    return found


def configured(engine: Engine, plan: Plan) -> tuple[Settings, list[Account]]:
    """Settings with the bench's accounts (as many as Settings holds) and the admin token."""
    count = min(plan.accounts, MAX_ACCOUNTS)
    handles = [f"account{number:04d}" for number in range(1, count + 1)]
    items = [AccountSettings(platform="x", handle=handle) for handle in handles]
    settings = Settings(
        database_url=engine.url.render_as_string(hide_password=False),
        accounts=items,
        admin_token=TOKEN,
    )
    accounts = [
        Account(
            account_id=number,
            platform="x",
            handle=item.handle,
            platform_user_id=None,
            settings=item,
        )
        for number, item in enumerate(items, start=1)
    ]
    return settings, accounts


def getter(port: int) -> Callable[[str], bytes]:
    """Return GET over loopback with the admin token; any answer but 200 stops the bench."""

    def get(path: str) -> bytes:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        with urllib.request.urlopen(request, timeout=120) as answer:
            if answer.status != 200:
                raise SystemExit(f"error: GET {path} answered {answer.status}")
            return bytes(answer.read())

    return get


if __name__ == "__main__":
    sys.exit(main())
