"""Posting overhead per permit: claim → publish on a zero-latency fake X → record (DESIGN §12).

Target: within 3 times the database's own cost for three single-row commits, measured side by side
in the same run and on the same database (a claim, the outcome and the candidate are three
writes the protocol cannot merge without giving up its exactly-once guarantee).

    python bench/posting_overhead.py [--permits 200] [--database-url postgresql+psycopg://…]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from xbot.config import AccountSettings, BudgetSettings, Settings
from xbot.jobs import post
from xbot.jobs.base import JobContext, WorkerIdentity
from xbot.serve import load_accounts
from xbot.sim.core.clock import SimClock
from xbot.sim.core.world import build_world
from xbot.sim.x.fake import FakeX
from xbot.sim.x.settings import XFakeSettings
from xbot.store.engine import make_engine
from xbot.store.migrate import upgrade
from xbot.store.queries import candidates, decisions
from xbot.wiring import Overrides, PlatformCache

WORKER = WorkerIdentity(worker_id="bench", role="worker", git_sha="bench", sha_source="bench",
                        host="bench", pid=0)  # fmt: skip


def main() -> None:
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
        context = _context(engine, fake)
        _permits(context, fake, options.permits)
        per_permit = _post_all(context, options.permits)
        baseline = _three_commits(engine, options.permits)
        engine.dispose()
    ratio = statistics.median(per_permit) / statistics.median(baseline)
    print(f"database={engine.dialect.name} permits={options.permits}")
    print(f"posting_median_ms={statistics.median(per_permit) * 1000:.2f}")
    print(f"three_commits_median_ms={statistics.median(baseline) * 1000:.2f}")
    print(f"ratio={ratio:.2f} (target <= 3)")


def _context(engine: object, fake: FakeX) -> JobContext:
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
    [row] = load_accounts(engine, settings)  # type: ignore[arg-type]
    platforms = PlatformCache(
        settings,
        engine,  # type: ignore[arg-type]
        Overrides(
            credentials={bot: fake.credentials()}, transport=lambda _account: fake.transport()
        ),
    )
    return JobContext(
        engine=engine,
        settings=settings,
        worker=WORKER,  # type: ignore[arg-type]
        now=datetime.now(UTC),
        account=row,
        platform_for=platforms,
    )


def _permits(context: JobContext, fake: FakeX, count: int) -> None:
    if context.account is None:
        raise SystemExit("no account")
    now = datetime.now(UTC)
    humans = [user.handle for user in fake.world.everyone if not user.is_bot_account]
    with context.engine.begin() as connection:
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


def _post_all(context: JobContext, count: int) -> list[float]:
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        summary = post.run_once(replace(context, now=datetime.now(UTC)))
        timings.append(time.perf_counter() - started)
        if summary.get("claimed") != 1 or summary.get("status") not in (None, "USED"):
            raise SystemExit(f"a permit did not post cleanly: {summary}")
    return timings


def _three_commits(engine: object, count: int) -> list[float]:
    timings = []
    with engine.connect() as connection:  # type: ignore[attr-defined]
        connection.execute(text("CREATE TABLE IF NOT EXISTS bench_commits (id INTEGER, note TEXT)"))
        connection.commit()
        for number in range(count):
            started = time.perf_counter()
            for _ in range(3):
                connection.execute(
                    text("INSERT INTO bench_commits VALUES (:n, 'x')"), {"n": number}
                )
                connection.commit()
            timings.append(time.perf_counter() - started)
    return timings


if __name__ == "__main__":
    main()
