"""Chaos: `kill -9` posting workers at random moments; zero duplicate posts, nothing unexplained.

    python bench/chaos_posting.py --kills 50 --workers 3 [--database-url postgresql+psycopg://…]

The fake X runs in this process on 127.0.0.1 with duplicate-content protection OFF, so a reply
sent twice would really show twice. Each worker is a subprocess that loops the post and
reconcile jobs (the same `run_once` the runner calls) with a short lease. Faults on
`POST /2/tweets` (latency, 5xx, reset, accepted-then-timeout) keep publishes slow and
ambiguous, so kills land between the platform's answer and the database write. Between kills
new permits arrive and ghosts are posted outside xbot. Then the survivors settle every permit,
a ghost scan runs, and the checks (DESIGN §12) read the fake's own `GET /_sim/posts`:

- every permit is terminal (USED, FAILED, EXPIRED);
- one reply per USED permit, the one it recorded; none for any other permit; no target twice;
- every injected ghost is detected, and nothing else is.

Prints a JSON summary; exits 0 when every check holds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx2
from pydantic import SecretStr
from sqlalchemy import Engine, select

from xbot.config import AccountSettings, BudgetSettings, Settings
from xbot.domain.errors import XbotError
from xbot.jobs import ghost_scan, post, reconcile
from xbot.jobs.base import Account, JobContext, WorkerIdentity
from xbot.logging import configure
from xbot.platforms.x import HttpOptions, OAuth1Credentials, XPlatform, build_x_platform
from xbot.sim.core.clock import SimClock
from xbot.sim.core.world import build_world
from xbot.sim.x.fake import FakeX
from xbot.sim.x.settings import XFakeSettings
from xbot.store.engine import make_engine
from xbot.store.migrate import upgrade
from xbot.store.queries.candidates import insert_candidate
from xbot.store.queries.common import database_now
from xbot.store.queries.decisions import NewDecision, insert_decision_with_permit
from xbot.store.sql import SqlStore
from xbot.store.tables import accounts, ghost_tweets, post_attempts, reply_decisions

HANDLE = "replybot"
LEASE_SECONDS = 2.0
READ_TIMEOUT = 1.0
#: longer than any delay between a killed client's request and the fake acting on it
GRACE = timedelta(seconds=3)
TERMINAL = {"USED", "FAILED", "EXPIRED"}
CREATE = "POST /2/tweets"


# --- the worker subprocess ---


def worker(config_path: str, worker_id: str) -> None:
    config = json.loads(Path(config_path).read_text())
    engine = make_engine(config["database_url"])
    platform = _platform(config)
    account = Account(
        account_id=config["account_id"],
        platform="x",
        handle=HANDLE,
        platform_user_id=None,
        settings=AccountSettings(
            platform="x",
            handle=HANDLE,
            budgets=BudgetSettings(per_hour=1000, per_day=10_000, min_gap_seconds=0),
        ),
    )
    identity = WorkerIdentity(
        worker_id=worker_id,
        role="worker",
        git_sha="chaos",
        sha_source="bench",
        host="localhost",
        pid=os.getpid(),
    )
    settings = Settings(lease_seconds=LEASE_SECONDS)
    while True:
        for job in (post.run_once, reconcile.run_once):
            with engine.connect() as connection:
                now = database_now(connection)
            context = JobContext(
                store=SqlStore(engine),
                settings=settings,
                worker=identity,
                now=now,
                account=account,
                platform_for=lambda _account: platform,
            )
            try:
                job(context)
            except XbotError as exc:  # a failed run changes nothing; the next one tries again
                print(f"{worker_id}: {type(exc).__name__}: {exc}", file=sys.stderr)
        time.sleep(0.01)


def _platform(config: dict[str, Any]) -> XPlatform:
    keys = {name: SecretStr(value) for name, value in config["credentials"].items()}
    return build_x_platform(
        AccountSettings(platform="x", handle=HANDLE, base_url=config["base_url"]),
        OAuth1Credentials(**keys),
        http=HttpOptions(read_timeout=READ_TIMEOUT),
        visibility_grace=GRACE,
    )


# --- the conductor ---


class Chaos:
    """The fake X, the database, the workers, and the record of what was done to them."""

    def __init__(self, args: argparse.Namespace, fake: FakeX, base_url: str, workdir: Path):
        self.args = args
        self.rng = random.Random(args.seed)
        self.fake = fake
        self.base_url = base_url
        self.engine = make_engine(args.database_url)
        upgrade(self.engine)
        self.account_id = self._add_account()
        self.users = [user.handle for user in fake.world.users if not user.automated]
        self.config = workdir / "chaos.json"
        self.config.write_text(
            json.dumps(
                {
                    "database_url": args.database_url,
                    "base_url": base_url,
                    "account_id": self.account_id,
                    "credentials": _oauth1(fake),
                }
            )
        )
        self.workers: dict[str, subprocess.Popen[bytes]] = {}
        self.started = 0
        self.kills = 0
        self.permits = 0
        self.ghosts: list[str] = []

    def _add_account(self) -> int:
        with self.engine.begin() as connection:
            row = connection.execute(
                accounts.insert()
                .values(platform="x", handle=HANDLE, created_at=self.fake.clock.now())
                .returning(accounts.c.id)
            )
            return int(row.scalar_one())

    def add_permits(self, count: int) -> None:
        for _ in range(count):
            author = self.rng.choice(self.users)
            mention = self.fake.post_as(author, f"@{HANDLE} question {self.permits}")
            now = self.fake.clock.now()
            with self.engine.begin() as connection:
                candidate_id = insert_candidate(
                    connection,
                    {
                        "account_id": self.account_id,
                        "candidate_post_id": mention["id"],
                        "author_id": author,
                        "author_handle": author,
                        "text": mention["text"],
                        "posted_at": now,
                        "summoned": True,
                        "status": "selected",
                        "created_at": now,
                        "expires_at": now + timedelta(hours=1),
                    },
                )
                if candidate_id is None:
                    raise SystemExit(f"mention {mention['id']} was queued twice")
                insert_decision_with_permit(
                    connection,
                    NewDecision(
                        account_id=self.account_id,
                        candidate_id=candidate_id,
                        target_post_id=mention["id"],
                        reply_text=f"Answer number {self.permits}.",
                        generator="bank",
                        generator_meta={},
                        permit_expires_at=now + timedelta(hours=1),
                    ),
                    now,
                )
            self.permits += 1

    def arm_faults(self, count: int) -> None:
        """Queue faults for the next `count` publishes; a third of them pass clean but slow."""
        for _ in range(count):
            kind = self.rng.choice(["latency", "latency", "status", "reset", "accept"])
            if kind == "latency":
                self.fake.inject(CREATE, "latency", seconds=self.rng.uniform(0.05, 0.6))
            elif kind == "status":
                self.fake.inject(CREATE, "status", status=self.rng.choice([500, 502, 503]))
            elif kind == "reset":
                self.fake.inject(CREATE, "reset")
            else:
                self.fake.inject(
                    CREATE,
                    "accept_then_timeout",
                    seconds=READ_TIMEOUT * 1.5,
                    drop=self.rng.random() < 0.5,
                )

    def start_worker(self) -> None:
        self.started += 1
        worker_id = f"chaos-{self.started}"
        command = [sys.executable, __file__, "worker", str(self.config), worker_id]
        self.workers[worker_id] = subprocess.Popen(command, stderr=subprocess.DEVNULL)

    def kill_one(self) -> None:
        worker_id = self.rng.choice(sorted(self.workers))
        process = self.workers.pop(worker_id)
        process.send_signal(signal.SIGKILL)
        process.wait()
        self.kills += 1
        self.start_worker()

    def stop_all(self) -> None:
        for process in self.workers.values():
            process.send_signal(signal.SIGKILL)
            process.wait()
        self.workers.clear()

    def statuses(self) -> dict[str, dict[str, Any]]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(post_attempts)).mappings().all()
        return {row["permit_id"]: dict(row) for row in rows}

    def settled(self) -> bool:
        return all(row["status"] in TERMINAL for row in self.statuses().values())


def _oauth1(fake: FakeX) -> dict[str, str]:
    raw = fake.credentials(HANDLE)
    names = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
    return {name: raw[name] for name in names}


def run(args: argparse.Namespace) -> int:
    clock = SimClock(speed=1)
    settings = XFakeSettings(search_delay_seconds=0, duplicate_window_seconds=0)
    fake = FakeX(build_world(args.seed), clock=clock, settings=settings)
    with fake.server() as server, tempfile.TemporaryDirectory() as workdir:
        if args.database_url is None:
            args.database_url = f"sqlite:///{Path(workdir) / 'chaos.db'}"
        chaos = Chaos(args, fake, server.base_url, Path(workdir))
        started = time.monotonic()
        try:
            _storm(chaos)
            settled = _settle(chaos, timeout=args.settle_seconds)
        finally:
            chaos.stop_all()
        _final_scan(chaos)
        report = _check(chaos, settled=settled)
        report["seconds"] = round(time.monotonic() - started, 1)
        print(json.dumps(report, indent=2))
        chaos.engine.dispose()
        return 0 if report["ok"] else 1


def _storm(chaos: Chaos) -> None:
    args = chaos.args
    chaos.add_permits(args.permits)
    chaos.arm_faults(args.permits * 2)
    for _ in range(args.workers):
        chaos.start_worker()
    for round_number in range(args.kills):
        time.sleep(chaos.rng.uniform(0.05, args.max_gap))
        chaos.kill_one()
        if round_number % 3 == 0:
            chaos.add_permits(1)
            chaos.arm_faults(2)
        if chaos.rng.random() < 0.2:
            chaos.ghosts.append(chaos.fake.ghost(f"posted by hand, round {round_number}")["id"])


def _settle(chaos: Chaos, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if chaos.settled():
            return True
        time.sleep(0.25)
    return False


def _final_scan(chaos: Chaos) -> None:
    time.sleep(GRACE.total_seconds())  # let the last posts settle behind the visibility grace
    platform = _platform(json.loads(chaos.config.read_text()))
    with chaos.engine.connect() as connection:
        now = database_now(connection)
    identity = WorkerIdentity(
        worker_id="chaos-scan",
        role="worker",
        git_sha="chaos",
        sha_source="bench",
        host="localhost",
        pid=os.getpid(),
    )
    account = Account(
        account_id=chaos.account_id,
        platform="x",
        handle=HANDLE,
        platform_user_id=None,
        settings=AccountSettings(platform="x", handle=HANDLE),
    )
    context = JobContext(
        store=SqlStore(chaos.engine),
        settings=Settings(lease_seconds=30),
        worker=identity,
        now=now,
        account=account,
        platform_for=lambda _account: platform,
    )
    ghost_scan.run_once(context)
    platform.close()


def _check(chaos: Chaos, *, settled: bool) -> dict[str, Any]:
    with httpx2.Client(base_url=chaos.base_url) as client:
        posts = client.get("/_sim/posts", params={"author": HANDLE}).json()["posts"]
    replies: dict[str, list[str]] = {}
    for item in posts:
        if item["in_reply_to"] and not item["deleted"]:
            replies.setdefault(item["in_reply_to"], []).append(item["id"])
    permits = chaos.statuses()
    targets = _targets(chaos.engine)
    wrong = [
        permit_id
        for permit_id, row in permits.items()
        if replies.get(targets[permit_id], [])
        != ([row["actual_tweet_id"]] if row["status"] == "USED" else [])
    ]
    with chaos.engine.connect() as connection:
        found = {row.tweet_id for row in connection.execute(select(ghost_tweets.c.tweet_id))}
    checks = {
        "every_permit_terminal": settled and all(r["status"] in TERMINAL for r in permits.values()),
        "one_reply_per_used_permit_none_for_others": not wrong,
        "no_target_replied_twice": all(len(ids) == 1 for ids in replies.values()),
        "every_injected_ghost_detected": set(chaos.ghosts) <= found,
        "no_false_ghosts": found <= set(chaos.ghosts),
    }
    return {
        "ok": all(checks.values()),
        "checks": checks,
        "kills": chaos.kills,
        "workers": chaos.args.workers,
        "database": chaos.engine.dialect.name,
        "permits": dict(Counter(row["status"] for row in permits.values())),
        "reconciled": sum(bool(row["reconciled"]) for row in permits.values()),
        "posts_by_the_bot": sum(len(ids) for ids in replies.values()),
        "ghosts_injected": len(chaos.ghosts),
        "wrong_permits": wrong[:10],
    }


def _targets(engine: Engine) -> dict[str, str]:
    query = select(post_attempts.c.permit_id, reply_decisions.c.target_post_id).join(
        reply_decisions, reply_decisions.c.decision_id == post_attempts.c.decision_id
    )
    with engine.connect() as connection:
        return {row.permit_id: row.target_post_id for row in connection.execute(query)}


def main() -> int:
    configure(level="warning", output="json")  # job events go to stderr; stdout is the report
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        worker(sys.argv[2], sys.argv[3])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50, help="workers to kill -9 (default 50)")
    parser.add_argument("--workers", type=int, default=3, help="workers at any time")
    parser.add_argument("--permits", type=int, default=20, help="permits before the first kill")
    parser.add_argument("--max-gap", type=float, default=0.6, help="max seconds between kills")
    parser.add_argument("--settle-seconds", type=float, default=120.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    return run(parser.parse_args())


if __name__ == "__main__":
    raise SystemExit(main())
