"""No-op jobs per second: xbot's job runner against procrastinate, side by side in one run.

    python bench/runner_vs_procrastinate.py --jobs 2000 --rounds 3 \
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Two scratch databases on the server the URL names (dropped at the end): one migrated by xbot,
one with procrastinate's schema. Each round queues --jobs no-op jobs on each side, then drains
them with one worker process and again with four, interleaving the sides. A worker process
times its own drain; the rate is jobs / (last worker's end - first worker's start), so process
start-up is not counted.

- xbot: `job_runs` rows of PAIRS no-op specs (runs of one (job, account) never overlap, and a
  live deployment has one pending run per pair: the queue is spread over PAIRS pairs), drained
  by `JobRunner.claim_and_run` as `xbot worker` runs it (on PostgreSQL one statement per run:
  it records the run's outcome and claims the next run under a new lease; the run itself under
  the lease heartbeat);
- procrastinate: a no-op async task, `App.run_worker(wait=False)` (concurrency 1, no
  LISTEN/NOTIFY needed: it stops when the queue is empty), finished jobs kept like xbot's.

Prints the median rate per side and process count, the ratio, then one JSON line; exits 1 if
a side left a job unfinished. Rates are reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import procrastinate
from sqlalchemy import create_engine, insert, make_url, text

from xbot.config import Settings
from xbot.jobs.base import JobContext, JobSpec, WorkerIdentity
from xbot.jobs.runner import JobRunner
from xbot.logging import configure as configure_logging
from xbot.store.engine import make_engine
from xbot.store.migrate import upgrade
from xbot.store.sql import SqlStore
from xbot.store.tables import job_runs

SIDES = ("xbot", "procrastinate")
#: procrastinate warns when its App lives in __main__, as a bench's must
logging.getLogger("procrastinate").setLevel(logging.ERROR)
NOOP = "noop"
#: how many (job, account) pairs xbot's no-op runs are spread over
PAIRS = 16


def noop_specs() -> list[JobSpec]:
    """Jobs that do nothing: what is left is the runner's own cost."""

    def run_once(_context: JobContext) -> Mapping[str, Any]:
        return {}

    return [
        JobSpec(name=f"{NOOP}{pair}", interval_seconds=3600, per_account=False, run_once=run_once)
        for pair in range(PAIRS)
    ]


def procrastinate_app(conninfo: str) -> tuple[procrastinate.App, Any]:
    """An App on psycopg with one no-op async task."""
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo))

    @app.task(name=NOOP)
    async def noop() -> None:
        return None

    return app, noop


def drain_xbot(url: str, worker_id: str) -> int:
    """Claim and run no-op runs until none is left, the way `xbot worker` runs a job."""
    configure_logging("info")  # as `xbot worker` does: a no-op run's line is debug
    engine = make_engine(url)
    identity = WorkerIdentity(
        worker_id=worker_id, role="worker", git_sha="b0", sha_source="bench", host="h", pid=0
    )
    context = JobContext(
        store=SqlStore(engine),
        settings=Settings(),
        worker=identity,
        now=datetime.now(UTC),
    )
    runner = JobRunner(context, noop_specs(), list)
    ran = 0
    while runner.claim_and_run() is not None:
        ran += 1
    runner.close()
    engine.dispose()
    return ran


def drain_procrastinate(conninfo: str, _worker_id: str) -> int:
    """Run the queued no-op jobs with procrastinate's worker until the queue is empty."""
    app, _noop = procrastinate_app(conninfo)
    with app.open():
        app.run_worker(
            wait=False, concurrency=1, install_signal_handlers=False, delete_jobs="never"
        )
    return -1  # procrastinate does not say; the database is counted afterwards


def worker_main(side: str, url: str, worker_id: str) -> None:
    """The worker subprocess: drain, then print its own start and end times."""
    started = time.time()
    ran = (drain_xbot if side == "xbot" else drain_procrastinate)(url, worker_id)
    print(json.dumps({"start": started, "end": time.time(), "ran": ran}))


def conninfo(url: str) -> str:
    """A libpq URL from an SQLAlchemy one."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class Bench:
    """The two scratch databases and how to fill, drain and count them."""

    def __init__(self, server_url: str) -> None:
        self.admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
        self.urls = {side: self._create(server_url, side) for side in SIDES}
        self.engines = {side: create_engine(url) for side, url in self.urls.items()}
        upgrade(self.engines["xbot"])
        app, _noop = procrastinate_app(conninfo(self.urls["procrastinate"]))
        with app.open():
            app.schema_manager.apply_schema()

    def _create(self, server_url: str, side: str) -> str:
        name = f"bench_{side}_{uuid.uuid4().hex[:8]}"
        with self.admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}"))
        return make_url(server_url).set(database=name).render_as_string(hide_password=False)

    def queue(self, side: str, jobs: int) -> None:
        """Empty the side's queue, then queue `jobs` no-op jobs."""
        if side == "xbot":
            now = datetime.now(UTC)
            rows = [
                {"job": f"{NOOP}{slot % PAIRS}", "account_id": 0, "slot": slot, "created_at": now}
                for slot in range(jobs)
            ]
            with self.engines[side].begin() as connection:
                connection.execute(text("DELETE FROM job_runs"))
                connection.execute(insert(job_runs), rows)
            return
        with self.engines[side].begin() as connection:
            connection.execute(text("TRUNCATE procrastinate_jobs CASCADE"))
        app, noop = procrastinate_app(conninfo(self.urls[side]))
        with app.open():
            noop.batch_defer(*[{} for _ in range(jobs)])

    def finished(self, side: str) -> int:
        """How many jobs the side has finished."""
        sql = {
            "xbot": "SELECT count(*) FROM job_runs WHERE status = 'done'",
            "procrastinate": "SELECT count(*) FROM procrastinate_jobs WHERE status = 'succeeded'",
        }[side]
        with self.engines[side].connect() as connection:
            return int(connection.execute(text(sql)).scalar_one())

    def drain(self, side: str, processes: int) -> float:
        """Start the worker processes, wait for them; return jobs per second."""
        url = self.urls[side] if side == "xbot" else conninfo(self.urls[side])
        commands = [
            [sys.executable, __file__, "worker", side, url, f"{side}-{number}"]
            for number in range(processes)
        ]
        workers = [
            subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for command in commands
        ]
        times = [json.loads(worker.communicate()[0].strip().splitlines()[-1]) for worker in workers]
        span = max(entry["end"] for entry in times) - min(entry["start"] for entry in times)
        return self.finished(side) / span

    def close(self) -> None:
        """Drop both scratch databases."""
        for engine in self.engines.values():
            engine.dispose()
        with self.admin.connect() as connection:
            for url in self.urls.values():
                name = make_url(url).database
                connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        self.admin.dispose()


def measure(bench: Bench, args: argparse.Namespace) -> dict[str, Any]:
    """Interleave the sides for every round and process count; return rates and completeness."""
    rates: dict[str, list[float]] = {}
    complete: dict[str, bool] = {}
    for _ in range(args.rounds):
        for processes in args.processes:
            for side in SIDES:
                bench.queue(side, args.jobs)
                rate = bench.drain(side, processes)
                key = f"{side}_{processes}p"
                rates.setdefault(key, []).append(round(rate, 1))
                complete[key] = complete.get(key, True) and bench.finished(side) == args.jobs
    return {"rates": rates, "complete": complete}


def summarise(measured: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """Medians per side and process count, and xbot's rate over procrastinate's."""
    medians = {key: statistics.median(values) for key, values in measured["rates"].items()}
    ratios = {
        f"{processes}p": round(
            medians[f"xbot_{processes}p"] / medians[f"procrastinate_{processes}p"], 2
        )
        for processes in args.processes
    }
    return {
        "bench": "runner_vs_procrastinate",
        "ok": all(measured["complete"].values()),
        "jobs": args.jobs,
        "rounds": args.rounds,
        "cores": os.cpu_count(),
        "procrastinate": procrastinate.__version__,
        "jobs_per_second_median": medians,
        "xbot_over_procrastinate": ratios,
        "target": "xbot >= procrastinate (ratio >= 1)",
        **measured,
    }


def print_summary(data: dict[str, Any], args: argparse.Namespace) -> None:
    """Medians side by side, then the JSON line."""
    print(
        f"no-op jobs/s, {args.jobs} jobs x {args.rounds} rounds, median "
        f"(procrastinate {data['procrastinate']}, {data['cores']} cores):"
    )
    medians = data["jobs_per_second_median"]
    for processes in args.processes:
        xbot_rate, other = medians[f"xbot_{processes}p"], medians[f"procrastinate_{processes}p"]
        ratio = data["xbot_over_procrastinate"][f"{processes}p"]
        print(
            f"  {processes} process(es): xbot {xbot_rate:8.1f}  procrastinate {other:8.1f}  "
            f"ratio {ratio} (target >= 1)"
        )
    print(f"  every job finished on both sides: {data['ok']}")
    print(json.dumps(data, separators=(",", ":")))


def main() -> int:
    """Run the bench, or one worker process of it."""
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        worker_main(sys.argv[2], sys.argv[3], sys.argv[4])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000, help="no-op jobs per drain")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 4])
    parser.add_argument(
        "--database-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL server; two scratch databases are made and dropped",
    )
    args = parser.parse_args()
    bench = Bench(args.database_url)
    try:
        data = summarise(measure(bench, args), args)
    finally:
        bench.close()
    print_summary(data, args)
    return 0 if data["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
