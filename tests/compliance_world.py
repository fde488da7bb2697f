"""Jobs wired to a fake platform over loopback (uvicorn on 127.0.0.1), for the compliance tests."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import Engine, select

from xbot.config import AccountSettings, BudgetSettings, Settings
from xbot.jobs import fetch, schedule
from xbot.jobs.base import Account, JobContext, WorkerIdentity
from xbot.serve import load_accounts
from xbot.sim.core.scripting import ScriptedFake
from xbot.store.sql import SqlStore
from xbot.store.tables import reply_candidate_queue
from xbot.wiring import Overrides, PlatformCache, generator_factory

WORKER = WorkerIdentity(
    worker_id="w1", role="worker", git_sha="abc1234", sha_source="test", host="h", pid=1
)
#: one key per test process: a second `wired` over the same database opens the saved session
SECRET_KEY = Fernet.generate_key().decode()
OPEN_BUDGETS = BudgetSettings(
    per_hour=100, per_day=100, min_gap_seconds=0, author_cooldown_minutes=0, per_author_per_day=100
)


@dataclass(kw_only=True)
class Wired:
    """A fake served on loopback, the settings, and one job context per configured account."""

    fake: Any
    settings: Settings
    contexts: dict[str, JobContext]
    base_url: str

    def context(self, handle: str | None = None) -> JobContext:
        """Return an account's context at the current time (default: the first account)."""
        chosen = self.contexts[handle] if handle else next(iter(self.contexts.values()))
        return replace(chosen, now=datetime.now(UTC))

    def fetch(self, handle: str | None = None) -> Any:
        """Run one fetch for an account."""
        return fetch.run_once(self.context(handle))

    def schedule(self, handle: str | None = None) -> Any:
        """Run one schedule pass for an account."""
        return schedule.run_once(self.context(handle))


def account_settings(platform: str, handle: str, base_url: str, **changes: Any) -> AccountSettings:
    """A valid account on a fake, with budgets that never hold."""
    values: dict[str, Any] = {
        "platform": platform,
        "handle": handle,
        "base_url": base_url,
        "topics": ["python"],
        "budgets": OPEN_BUDGETS,
    }
    return AccountSettings(**(values | changes))


@contextlib.contextmanager
def wired(
    engine: Engine,
    fake: ScriptedFake,
    platform: str,
    *,
    handles: tuple[str, ...] | None = None,
    credentials: dict[str, dict[str, str]],
    settings_changes: dict[str, Any] | None = None,
    account_changes: dict[str, Any] | None = None,
) -> Iterator[Wired]:
    """Serve `fake` on loopback and wire every job context of its bot accounts to it."""
    names = handles or (fake.world.bot_accounts[0].handle,)
    with fake.server() as server:
        base_url = server.base_url
        accounts = [account_settings(platform, name, base_url, **(account_changes or {}))
                    for name in names]  # fmt: skip
        settings = Settings(
            accounts=accounts,
            secret_key=SecretStr(SECRET_KEY),
            **(settings_changes or {}),
        )
        loaded = load_accounts(SqlStore(engine), settings)
        platforms = PlatformCache(settings, engine, Overrides(credentials=credentials))
        contexts = {
            account.handle: _context(engine, settings, account, platforms) for account in loaded
        }
        try:
            yield Wired(fake=fake, settings=settings, contexts=contexts, base_url=base_url)
        finally:
            platforms.close()


def _context(
    engine: Engine, settings: Settings, account: Account, platforms: PlatformCache
) -> JobContext:
    return JobContext(
        store=SqlStore(engine),
        settings=settings,
        worker=WORKER,
        now=datetime.now(UTC),
        account=account,
        platform_for=platforms,
        generator_for=generator_factory(settings),
    )


def candidates(engine: Engine) -> dict[str, tuple[str, str | None]]:
    """Return {candidate post id: (status, skip reason)}."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                reply_candidate_queue.c.candidate_post_id,
                reply_candidate_queue.c.status,
                reply_candidate_queue.c.skip_reason,
            )
        )
        return {str(row[0]): (str(row[1]), row[2]) for row in rows}
