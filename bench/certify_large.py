"""How long `xbot certify` takes on a large PostgreSQL database.

Target (DESIGN §12): under 1 s with 10 million `system_events` and 1 million permits.
Creates its own database, fills it with COPY (a healthy production whose history goes back as
far as the event count needs), runs the certification several times and prints the median,
then drops the database. Small sizes run in CI: `--events 100000 --permits 10000`.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
from sqlalchemy.engine import make_url

from xbot.certify import CertifyOptions, run_certification
from xbot.config import Settings
from xbot.store.engine import make_engine
from xbot.store.migrate import upgrade

DEPLOYED_SHA = "5a8a81ca3f0e4c7d9b2a1e6f8c0d4b3a2e1f0a9b"
OLD_SHA = "e35a4371d2c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5"
#: a production of this many accounts writes about this many events per second
EVENTS_PER_SECOND = 8.0
#: one cycle of background events, in the proportions the jobs write them
EVENT_CYCLE = (
    ["reply_v2_scheduler_job_started", "reply_v2_scheduler_job_completed"] * 40
    + ["reply_v2_fetch_job_started", "reply_v2_fetch_job_completed"] * 7
    + ["reply_v2_attempt_created", "reply_posted"] * 2
    + ["posting_blocked_budget", "ghost_scan_completed"]
)
CHUNK_ROWS = 200_000
BOOTED_AGO = timedelta(minutes=45)
DEPLOYED_AGO = timedelta(minutes=50)


@dataclass(frozen=True)
class Plan:
    """What to write: sizes, the moment "now" and the history's start."""

    events: int
    permits: int
    accounts: int
    now: datetime

    @property
    def span(self) -> timedelta:
        return timedelta(seconds=max(self.events / EVENTS_PER_SECOND, 4 * 3600))

    @property
    def start(self) -> datetime:
        return self.now - self.span

    @property
    def booted_at(self) -> datetime:
        return self.now - BOOTED_AGO


def main() -> int:
    arguments = parse_arguments()
    server = make_url(arguments.url)
    name = f"xbot_certify_bench_{os.getpid()}"
    admin = psycopg.connect(
        server.set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True
    )
    admin.execute(f"CREATE DATABASE {name}")
    bench_database = server.set(drivername="postgresql+psycopg", database=name)
    url = bench_database.render_as_string(hide_password=False)
    try:
        plan = Plan(
            events=arguments.events,
            permits=arguments.permits,
            accounts=arguments.accounts,
            now=datetime.now(UTC).replace(microsecond=0),
        )
        fill_seconds = fill(url, plan)
        print(
            f"filled {plan.events:,} events and {plan.permits:,} permits "
            f"over {plan.span.days} d {plan.span.seconds // 3600} h in {fill_seconds:.1f} s"
        )
        return measure(url, plan, arguments.runs, arguments.max_seconds)
    finally:
        if not arguments.keep:
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
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--max-seconds", type=float, default=None, help="exit 1 when the median is slower than this"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser.parse_args()


def fill(url: str, plan: Plan) -> float:
    started = time.perf_counter()
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as connection:
        for table, columns, rows in tables(plan):
            copy_rows(connection, table, columns, rows)
        for table in ("accounts", "reply_candidate_queue", "system_events", "ghost_scans"):
            connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        connection.commit()
        connection.autocommit = True
        connection.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def tables(plan: Plan) -> Iterator[tuple[str, str, Iterator[tuple[object, ...]]]]:
    yield (
        "accounts",
        "id, platform, handle, enabled",
        ((number, "x", f"account{number:04d}", "t") for number in range(1, plan.accounts + 1)),
    )
    yield (
        "deployments",
        "sha, declared_at, declared_by",
        iter([(OLD_SHA, plan.start, "ci"), (DEPLOYED_SHA, plan.now - DEPLOYED_AGO, "ci")]),
    )
    yield (
        "workers",
        "worker_id, role, git_sha, sha_source, host, pid, booted_at, heartbeat_at",
        iter(
            [
                (
                    "w-old",
                    "worker",
                    OLD_SHA,
                    "env:RAILWAY_GIT_COMMIT_SHA",
                    "web-0",
                    7,
                    plan.start,
                    plan.booted_at,
                ),
                (
                    "w-new",
                    "worker",
                    DEPLOYED_SHA,
                    "env:RAILWAY_GIT_COMMIT_SHA",
                    "web-1",
                    8,
                    plan.booted_at,
                    plan.now,
                ),
            ]
        ),
    )
    yield (
        "system_events",
        "event_type, event_data, account_id, worker_id, created_at",
        events(plan),
    )
    yield from permits(plan)
    yield (
        "ghost_scans",
        "account_id, scanned, ghosts, watermark, worker_id, created_at",
        (ghost_scans(plan)),
    )


def events(plan: Plan) -> Iterator[tuple[object, ...]]:
    yield from watchdog_events(plan)
    background = plan.events - sum(1 for _ in watchdog_events(plan))
    step = plan.span / max(background, 1)
    for number in range(background):
        at = plan.start + step * number
        kind = EVENT_CYCLE[number % len(EVENT_CYCLE)]
        worker = "w-new" if at >= plan.booted_at else "w-old"
        yield kind, event_data(kind, number), number % plan.accounts + 1, worker, at


def watchdog_events(plan: Plan) -> Iterator[tuple[object, ...]]:
    for worker, sha, booted in (
        ("w-old", OLD_SHA, plan.start),
        ("w-new", DEPLOYED_SHA, plan.booted_at),
    ):
        identity = {
            "git_sha": sha,
            "sha_source": "env:RAILWAY_GIT_COMMIT_SHA",
            "role": "worker",
            "worker_id": worker,
            "host": "web",
            "pid": 7,
        }
        yield "production_watchdog_boot", json.dumps(identity), None, worker, booted
        end = plan.booted_at if worker == "w-old" else plan.now
        at = booted + timedelta(minutes=5)
        while at <= end:
            report = {**identity, "jobs": {}, "posting_allowed": True, "reasons": []}
            yield "production_watchdog_report", json.dumps(report), None, worker, at
            at += timedelta(minutes=5)


def event_data(kind: str, number: int) -> str:
    if kind == "reply_v2_fetch_job_completed":
        return '{"job": "reply_v2_fetch_job", "fetched": 6, "new": 2, "queued": 2}'
    if kind in {"reply_v2_attempt_created", "posting_blocked_budget", "reply_posted"}:
        return f'{{"permit_id": "pmt_bench{number}", "decision_id": "dec_bench{number}"}}'
    return "{}"


def permits(plan: Plan) -> Iterator[tuple[str, str, Iterator[tuple[object, ...]]]]:
    step = plan.span / max(plan.permits, 1)

    def moment(number: int) -> datetime:
        return plan.start + step * number

    def status(number: int) -> str:
        return "FAILED" if number % 50 == 7 else "EXPIRED" if number % 50 == 9 else "USED"

    yield (
        "reply_candidate_queue",
        (
            "id, account_id, candidate_post_id, author_id, author_handle, text, summoned, status, "
            "expires_at, created_at"
        ),
        (
            (
                number + 1,
                number % plan.accounts + 1,
                f"p{number}",
                f"u{number % 5000}",
                "someone",
                "@bot how do I reset it?",
                "t",
                "replied" if status(number) == "USED" else "expired",
                moment(number) + timedelta(minutes=30),
                moment(number) - timedelta(minutes=2),
            )
            for number in range(plan.permits)
        ),
    )
    yield (
        "reply_decisions",
        "decision_id, account_id, candidate_id, target_post_id, reply_text, generator, created_at",
        (
            (
                f"dec_{number:032x}",
                number % plan.accounts + 1,
                number + 1,
                f"p{number}",
                "Hold the button for ten seconds.",
                "bank",
                moment(number) - timedelta(minutes=1),
            )
            for number in range(plan.permits)
        ),
    )
    yield (
        "post_attempts",
        (
            "permit_id, decision_id, account_id, status, created_at, expires_at, claimed_by, "
            "claimed_sha, fence, attempts, actual_tweet_id, used_at"
        ),
        (
            permit_row(plan, number, moment(number), status(number))
            for number in range(plan.permits)
        ),
    )
    yield from queued_now(plan)


def permit_row(plan: Plan, number: int, at: datetime, status: str) -> tuple[object, ...]:
    used = status == "USED"
    sha = DEPLOYED_SHA if at >= plan.booted_at else OLD_SHA
    return (
        f"pmt_{number:032x}",
        f"dec_{number:032x}",
        number % plan.accounts + 1,
        status,
        at,
        at + timedelta(minutes=30),
        "w",
        sha,
        1,
        1,
        str(10**15 + number) if used else None,
        at + timedelta(seconds=5) if used else None,
    )


def queued_now(plan: Plan) -> Iterator[tuple[str, str, Iterator[tuple[object, ...]]]]:
    # what the last fetch queued and the scheduler has not taken yet
    yield (
        "reply_candidate_queue",
        (
            "id, account_id, candidate_post_id, author_id, author_handle, text, summoned, status, "
            "expires_at, created_at"
        ),
        (
            (
                plan.permits + 1 + number,
                number + 1,
                f"q{number}",
                "u1",
                "someone",
                "@bot hi",
                "t",
                "queued",
                plan.now + timedelta(minutes=25),
                plan.now - timedelta(minutes=5),
            )
            for number in range(min(plan.accounts, 20))
        ),
    )


def ghost_scans(plan: Plan) -> Iterator[tuple[object, ...]]:
    at = plan.now - timedelta(minutes=10)
    while at > plan.start:
        for account in range(1, plan.accounts + 1):
            yield account, 40, 0, "1", "w-new" if at >= plan.booted_at else "w-old", at
        at -= timedelta(minutes=15)


def copy_rows(
    connection: psycopg.Connection[tuple[object, ...]],
    table: str,
    columns: str,
    rows: Iterator[tuple[object, ...]],
) -> None:
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        buffer = io.StringIO()
        for count, row in enumerate(rows, start=1):
            buffer.write("\t".join(text_value(value) for value in row))
            buffer.write("\n")
            if count % CHUNK_ROWS == 0:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
        copy.write(buffer.getvalue())


def text_value(value: object) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def measure(url: str, plan: Plan, runs: int, max_seconds: float | None) -> int:
    engine = make_engine(url)
    settings = Settings(database_url=url)
    options = CertifyOptions(now=plan.now)

    def certify() -> str:
        return run_certification(engine, settings, options).verdict.value

    verdict = certify()  # warm the connection pool and the caches once
    timings = [timed(certify) for _ in range(runs)]
    engine.dispose()
    median = statistics.median(timings)
    print(
        f"certify on PostgreSQL, {plan.events:,} system_events, {plan.permits:,} permits: "
        f"median {median * 1000:.1f} ms over {runs} runs "
        f"(min {min(timings) * 1000:.1f}, max {max(timings) * 1000:.1f}); verdict {verdict}"
    )
    if verdict != "OPERATIONAL":
        print(f"error: the benchmark's healthy data certified {verdict}", file=sys.stderr)
        return 1
    if max_seconds is not None and median > max_seconds:
        print(f"error: median {median:.3f} s is over {max_seconds} s", file=sys.stderr)
        return 1
    return 0


def timed(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main())
