"""X intake end to end: the fake X's Activity API stream over loopback, the worker's intake
supervisor, and candidate rows in SQLite and PostgreSQL; a mention lost in a disconnect comes
back through the backfill; duplicates and reordering make no second row."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from x_activity import Served, platform_for, served_fake
from xbot.config import AccountSettings, Settings
from xbot.jobs.base import Account, JobContext, WorkerIdentity
from xbot.jobs.intake import StreamSupervisor
from xbot.platforms.x import XPlatform
from xbot.store.sql import SqlStore

WORKER = WorkerIdentity(worker_id="w-x", role="worker", git_sha="abc1234", sha_source="env",
                        host="h", pid=1)  # fmt: skip


@dataclass
class Intake:
    x: Served
    store: SqlStore
    account: Account
    platform: XPlatform

    def rows(self) -> set[str]:
        ids = [post["id"] for post in self.x.fake.posts_of(self.x.user(0))]
        ids += [post["id"] for post in self.x.fake.posts_of(self.x.user(1))]
        return self.store.candidates.known_post_ids(self.account.account_id, ids)


@pytest.fixture
def intake(engine: Engine) -> Iterator[Intake]:
    with served_fake(stream_keepalive_seconds=0.3) as x, platform_for(x) as platform:
        store = SqlStore(engine)
        settings = AccountSettings(platform="x", handle="replybot", base_url=x.base_url,
                                   topics=["python"])  # fmt: skip
        (record,) = store.accounts.sync([settings])
        account = Account(account_id=record.account_id, platform="x", handle="replybot",
                          platform_user_id=None, settings=settings)  # fmt: skip
        base = JobContext(
            store=store,
            settings=Settings(accounts=[settings], intake={"reconnect_initial_seconds": 0.1,
                                                            "reconnect_max_seconds": 0.5}),
            worker=WORKER, now=datetime.now(UTC), account=account,
            platform_for=lambda _account: platform,
        )  # fmt: skip
        supervisor = StreamSupervisor(base, account, platform.mention_stream())
        thread = threading.Thread(target=supervisor.run, daemon=True)
        thread.start()
        try:
            wait_for(lambda: x.fake.stream.connected() == 1)
            yield Intake(x=x, store=store, account=account, platform=platform)
        finally:
            base.stop.set()
            thread.join(timeout=10)
            assert not thread.is_alive()


def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if condition():
            return time.monotonic() - started
        time.sleep(0.02)
    raise AssertionError("timed out")


def test_a_mention_becomes_a_candidate_row_within_seconds(intake: Intake) -> None:
    mention = intake.x.fake.post_as(intake.x.user(0), "@replybot what about python?")
    took = wait_for(lambda: mention["id"] in intake.rows())
    assert took < 2.0


def test_a_mention_lost_in_a_disconnect_comes_back_by_the_backfill(intake: Intake) -> None:
    fake = intake.x.fake
    before = fake.post_as(intake.x.user(0), "@replybot before the gap")
    wait_for(lambda: before["id"] in intake.rows())
    fake.stream.apply("lose")  # drop, and what happens until the reconnect is never streamed
    lost = fake.post_as(intake.x.user(1), "@replybot during the gap")
    wait_for(lambda: lost["id"] in intake.rows())  # the reconnect's backfill (mentions poll)
    after = fake.post_as(intake.x.user(0), "@replybot after the gap")
    wait_for(lambda: after["id"] in intake.rows())


def test_duplicates_and_reordering_make_one_row_each(intake: Intake) -> None:
    fake = intake.x.fake
    fake.stream.apply("duplicate", count=3)
    fake.stream.apply("reorder", count=3)
    ids = [fake.post_as(intake.x.user(0), f"@replybot python {n}")["id"] for n in range(3)]
    wait_for(lambda: set(ids) <= intake.rows())
    rows = intake.store.candidates.known_post_ids(intake.account.account_id, ids)
    assert rows == set(ids)
