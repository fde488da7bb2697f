"""Scale: N bot accounts receiving mentions, W real `xbot worker` processes on one PostgreSQL.

    python bench/scale.py --accounts 50 --workers 2 --minutes 2 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

The fake X runs in this process on loopback with N bot accounts; mentions arrive at a steady
rate spread over the accounts. The bench creates a scratch database on the server the URL names
(dropped at the end unless --keep), runs `xbot migrate` and `xbot deploy mark`, starts W
`xbot worker` subprocesses and samples each one's CPU and RSS from /proc, and the database's
connections, every few seconds. After --minutes it runs `xbot certify` while the workers still
run, lets them answer what is in flight, stops them and reports, beside the issue's targets:

- every job slot run once: runs per (job, account, slot), duplicate slots, slots whose time fell
  in the run but that were never created, runs skipped as backlog;
- claim lag after a run was created, p95 and max; mention→reply latency p50/p95;
- posts per permit from the fake's own record (0 duplicates), replies no permit explains;
- CPU and RSS per worker over time; PostgreSQL connections; certify's verdict and its time.

Accounts poll (`--intake poll`, the issue's mention->reply target is for polling; `auto` lets
them stream). After the figures, one PASS/MISS line per issue-12 target, with the machine's load
average over the run (other work on the cores moves every figure).

Prints a human summary, then one JSON line. Exits 0 when the bench's correctness checks hold
(no duplicate slot, no target replied twice, every reply explained by a permit), 1 otherwise.
Speed figures are reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import Engine, create_engine, make_url, text

from scale_measure import Samples, post_figures, slot_figures
from scale_report import print_summary, report
from xbot.sim.core.clock import SimClock
from xbot.sim.core.world import build_world
from xbot.sim.x.fake import FakeX
from xbot.sim.x.settings import XFakeSettings

XBOT = str(Path(sys.executable).with_name("xbot"))
SHA = "5ca1e0000000000000000000000000000000beef"
ADMIN_TOKEN = "scale-bench-admin-token"  # noqa: S105 - a loopback bench's own token
X_KEYS = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
SAMPLE_SECONDS = 5.0


@dataclass(kw_only=True)
class Run:
    """The fake, the scratch database, the workers, and what was done to them."""

    args: argparse.Namespace
    fake: FakeX
    base_url: str
    database_url: str
    workdir: Path
    handles: list[str]
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    mentions: dict[str, datetime] = field(default_factory=dict)
    samples: Samples = field(default_factory=Samples)


def intervals(args: argparse.Namespace) -> dict[str, float]:
    """The job cadences the workers run, in seconds."""
    return {
        "fetch": args.fetch,
        "schedule": args.schedule,
        "post": args.post,
        "reconcile": args.reconcile,
        "ghost_scan": args.ghost_scan,
    }


def write_config(run: Run) -> dict[str, str]:
    """Write xbot.toml (cadences, accounts) and return the workers' environment."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("XBOT_")}
    lines = ["[jobs]", *(f"{job} = {every}" for job, every in intervals(run.args).items())]
    for index, handle in enumerate(run.handles):
        credentials = run.fake.credentials(handle)
        names = {key: f"SCALE_X_{index}_{key.upper()}" for key in X_KEYS}
        env.update({names[key]: credentials[key] for key in X_KEYS})
        lines += _account_toml(handle, run.base_url, names, run.args.intake)
    config = run.workdir / "xbot.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env.update(
        {
            "XBOT_CONFIG": str(config),
            "XBOT_DATABASE_URL": run.database_url,
            "XBOT_SECRET_KEY": Fernet.generate_key().decode(),
            "XBOT_ADMIN_TOKEN": ADMIN_TOKEN,
            "XBOT_GIT_SHA": SHA,
            "XBOT_HOST": "127.0.0.1",
            "XBOT_POLL_INTERVAL": str(run.args.poll_interval),
            "XBOT_LOG_LEVEL": "warning",
        }
    )
    if run.args.concurrency:
        env["XBOT_WORKER__CONCURRENCY"] = str(run.args.concurrency)
    return env


def _account_toml(handle: str, base_url: str, names: dict[str, str], intake: str) -> list[str]:
    credentials = ", ".join(f"{key} = {json.dumps(value)}" for key, value in names.items())
    return [
        "",
        "[[accounts]]",
        'platform = "x"',
        f"handle = {json.dumps(handle)}",
        f"intake = {json.dumps(intake)}",
        f"base_url = {json.dumps(base_url)}",
        f"credentials = {{ {credentials} }}",
        "[accounts.budgets]",
        "per_hour = 1000",
        "per_day = 10000",
        "author_cooldown_minutes = 0",
        "min_gap_seconds = 0",
    ]


def xbot(
    args: list[str], env: dict[str, str], cwd: Path, accepted: frozenset[int] = frozenset({0})
) -> subprocess.CompletedProcess[str]:
    """Run one `xbot` command to completion; another exit code ends the bench with its stderr."""
    done = subprocess.run(
        [XBOT, *args], env=env, cwd=cwd, capture_output=True, text=True, check=False, timeout=300
    )
    if done.returncode not in accepted:
        raise SystemExit(f"xbot {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_workers(run: Run, env: dict[str, str]) -> dict[str, int]:
    """Start the workers and wait until each answers /ready; return their ports."""
    ports = {}
    for number in range(run.args.workers):
        name = f"w{number}"
        ports[name] = run.args.port + number if run.args.port else free_port()
        worker_env = dict(env, PORT=str(ports[name]), XBOT_WORKER_ID=name)
        stderr = (run.workdir / f"{name}.log").open("wb")
        run.workers[name] = subprocess.Popen(
            [XBOT, "worker"], env=worker_env, cwd=run.workdir, stdout=stderr, stderr=stderr
        )
    for name, port in ports.items():
        _wait_ready(run, name, port)
    return ports


def _wait_ready(run: Run, name: str, port: int) -> None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/ready", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    patience = max(60.0, 0.3 * run.args.accounts)  # a worker syncs every account at boot
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        if run.workers[name].poll() is not None:
            log = (run.workdir / f"{name}.log").read_text(errors="replace")
            raise SystemExit(f"worker {name} exited at start:\n{log[-2000:]}")
        try:
            with urllib.request.urlopen(request, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.2)
    raise SystemExit(f"worker {name} was not ready within {patience:.0f} s")


def storm(run: Run, monitor: Any) -> datetime:
    """Mention the bots for --minutes; return when it started."""
    rng = random.Random(run.args.seed)
    users = [user.handle for user in run.fake.world.users if not user.automated]
    gap = 60.0 / run.args.mentions_per_minute
    started = datetime.now(UTC)
    end = time.monotonic() + run.args.minutes * 60
    next_sample = next_mention = time.monotonic()
    while (now := time.monotonic()) < end:
        if now >= next_mention:
            _mention(run, rng.choice(users), rng.choice(run.handles))
            next_mention += gap
        if now >= next_sample:
            monitor(run)
            next_sample += SAMPLE_SECONDS
        time.sleep(min(next_mention, next_sample, end) - now if next_mention > now else 0)
    return started


def _mention(run: Run, author: str, handle: str) -> None:
    post = run.fake.post_as(author, f"@{handle} what do you make of postgres {len(run.mentions)}?")
    run.mentions[post["id"]] = datetime.fromisoformat(post["created_at"])


def settle(run: Run, monitor: Any) -> None:
    """Let the workers answer what is in flight, up to --settle-seconds."""
    deadline = time.monotonic() + run.args.settle_seconds
    while time.monotonic() < deadline:
        if len(replies_by_target(run)) >= len(run.mentions):
            return
        monitor(run)
        time.sleep(SAMPLE_SECONDS)


def replies_by_target(run: Run) -> dict[str, list[dict[str, Any]]]:
    """Every live reply by a bot, by the post it answers (the fake's own record)."""
    replies: dict[str, list[dict[str, Any]]] = {}
    for handle in run.handles:
        for post in run.fake.list_posts(handle):
            if post["in_reply_to"] and not post["deleted"]:
                replies.setdefault(post["in_reply_to"], []).append(post)
    return replies


def stop_workers(run: Run) -> dict[str, int | None]:
    """SIGTERM every worker; return exit codes (None: had to be killed)."""
    for process in run.workers.values():
        process.send_signal(signal.SIGTERM)
    codes: dict[str, int | None] = {}
    for name, process in run.workers.items():
        try:
            codes[name] = process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            codes[name] = None
    return codes


def certify(env: dict[str, str], cwd: Path) -> dict[str, Any]:
    """Run `xbot certify --json` as an operator would; its verdict, blocker and wall time."""
    started = time.monotonic()
    done = xbot(["certify", "--json"], env, cwd, frozenset({0, 1, 2}))  # 3: could not run
    seconds = time.monotonic() - started
    report = json.loads(done.stdout)
    blocker = report.get("blocker") or {}
    return {
        "verdict": report["verdict"],
        "exit_code": done.returncode,
        "seconds": round(seconds, 2),
        "blocker": f"{blocker.get('key')}: {blocker.get('explanation')}" if blocker else None,
    }


def scratch_database(server_url: str) -> tuple[str, Engine]:
    """Create a scratch database on the server; return its URL and an admin engine."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"xbot_scale_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    url = make_url(server_url).set(database=name)
    return url.render_as_string(hide_password=False), admin


def drop_database(admin: Engine, url: str) -> None:
    """Drop the scratch database."""
    name = make_url(url).database
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def execute(run: Run) -> dict[str, Any]:
    """Migrate, mark, start, mention, certify, settle, stop; return the report."""
    env = write_config(run)
    xbot(["migrate"], env, run.workdir)
    xbot(["deploy", "mark", "--sha", SHA, "--by", "bench/scale.py"], env, run.workdir)
    engine = create_engine(run.database_url)
    try:
        with engine.connect() as watcher:
            start_workers(run, env)
            pids = {name: process.pid for name, process in run.workers.items()}
            monitor = lambda _run: run.samples.take(pids, watcher)  # noqa: E731
            started = storm(run, monitor)
            verdict = certify(env, run.workdir)  # while mentions were still flowing
            settle(run, monitor)
            window = (started, datetime.now(UTC))
            codes = stop_workers(run)
        with engine.connect() as connection:
            slots = slot_figures(connection, intervals(run.args), window)
            posts = post_figures(connection, replies_by_target(run), run.mentions)
    finally:
        engine.dispose()
    return report(
        run.args,
        run.samples,
        {"jobs": slots, "posts": posts, "certify": verdict, "worker_exit_codes": codes},
    )


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--accounts", type=int, default=50)
    add("--workers", type=int, default=2)
    add("--minutes", type=float, default=2.0)
    add(
        "--database-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL server; the bench creates and drops a scratch database on it",
    )
    add("--mentions-per-minute", type=float, default=None, help="default: 2 per account")
    add("--fetch", type=float, default=10.0, help="seconds between fetches (default 10)")
    add("--schedule", type=float, default=5.0)
    add("--post", type=float, default=5.0)
    add("--reconcile", type=float, default=30.0)
    add("--ghost-scan", type=float, default=60.0)
    add("--poll-interval", type=float, default=1.0)
    add(
        "--intake",
        choices=("poll", "auto"),
        default="poll",
        help="poll (default: the issue's mention->reply target is for polling) or auto (streams)",
    )
    add("--concurrency", type=int, default=0, help="worker.concurrency (default: the worker's)")
    add("--settle-seconds", type=float, default=60.0)
    add("--port", type=int, default=0, help="first worker's health port (default: free ports)")
    add("--seed", type=int, default=12)
    add("--keep", action="store_true", help="keep the scratch database and the worker logs")
    args = parser.parse_args(argv)
    if args.mentions_per_minute is None:
        args.mentions_per_minute = 2.0 * args.accounts
    return args


def main() -> int:
    """Run the bench; 0 when its correctness checks hold."""
    args = parse()
    handles = [f"scalebot{number:04d}" for number in range(args.accounts)]
    settings = XFakeSettings(search_delay_seconds=0, duplicate_window_seconds=0)
    fake = FakeX(
        build_world(args.seed, bot_handles=tuple(handles)), clock=SimClock(), settings=settings
    )
    database_url, admin = scratch_database(args.database_url)
    workdir = Path(tempfile.mkdtemp(prefix="xbot-scale-"))
    try:
        with fake.server() as server:
            run = Run(
                args=args,
                fake=fake,
                base_url=server.base_url,
                database_url=database_url,
                workdir=workdir,
                handles=handles,
            )
            try:
                data = execute(run)
            finally:
                stop_workers(run)
    finally:
        if args.keep:
            print(f"kept: {database_url} and {workdir}", file=sys.stderr)
        else:
            drop_database(admin, database_url)
            shutil.rmtree(workdir, ignore_errors=True)
    print_summary(data, args)
    return 0 if data["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
