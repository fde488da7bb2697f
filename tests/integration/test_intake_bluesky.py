"""Intake end to end on SQLite and PostgreSQL: the fake Bluesky's Jetstream over a real socket.

The supervisor holds the account's Jetstream, admits each mention the moment it is posted, counts
a duplicate delivery as a no-op, and after a disconnect that lost events (they never reach the
Jetstream log) finds them by its backfill, `listNotifications`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine

from xbot.config import AccountSettings, Settings
from xbot.config_intake import IntakeSettings
from xbot.domain.intake import StreamState
from xbot.jobs.base import Account, JobContext, WorkerIdentity
from xbot.jobs.intake_threads import start_streams
from xbot.platforms.bluesky import MemorySessionStore, build_bluesky_platform
from xbot.platforms.bluesky.stream import JetstreamOptions
from xbot.platforms.http import HttpOptions
from xbot.sim.bluesky.fake import FakeBluesky
from xbot.sim.bluesky.settings import BlueskyFakeSettings
from xbot.sim.core.clock import SimClock
from xbot.sim.core.server import SimServer
from xbot.sim.core.world import build_world
from xbot.store.sql import SqlStore

#: generous for a loaded 2-core machine; bench/bluesky_jetstream.py measures the real latency
WITHIN = 10.0
FAST = IntakeSettings(lease_seconds=3, reconnect_initial_seconds=0.05, reconnect_max_seconds=0.2)
WORKER = WorkerIdentity(worker_id="w-intake", role="worker", git_sha="abc1234", sha_source="env",
                        host="h", pid=1)  # fmt: skip


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FakeBluesky, SimServer]]:
    settings = BlueskyFakeSettings(notification_delay_seconds=0)
    fake = FakeBluesky(build_world(5, user_count=6), clock=SimClock(), settings=settings)
    with fake.server() as server:
        yield fake, server


def until(condition: Callable[[], bool], seconds: float = WITHIN) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_jetstream_admits_mentions_once_and_the_backfill_finds_lost_ones(
    served: tuple[FakeBluesky, SimServer], engine: Engine
) -> None:
    fake, server = served
    creds = fake.credentials()
    settings = AccountSettings(platform="bluesky", handle=creds["identifier"],
                               base_url=server.base_url, topics=["streams"])  # fmt: skip
    store = SqlStore(engine)
    (record,) = store.accounts.sync([settings])
    account = Account(account_id=record.account_id, platform="bluesky", handle=creds["identifier"],
                      platform_user_id=None, settings=settings)  # fmt: skip
    jetstream = JetstreamOptions(url="ws" + server.base_url.removeprefix("http"),
                                 receive_timeout=0.2)  # fmt: skip
    platform = build_bluesky_platform(
        settings, SecretStr(creds["password"]), MemorySessionStore(),
        http=HttpOptions(read_timeout=10.0), jetstream=jetstream,
    )  # fmt: skip
    context = JobContext(store=store, settings=Settings(intake=FAST), worker=WORKER,
                         now=datetime.now(UTC), platform_for=lambda _account: platform)  # fmt: skip
    users = [user.handle for user in fake.world.users if not user.automated]

    def health() -> StreamState | None:
        rows = store.intake.health()
        return rows[0].state if rows else None

    def known(post_id: str) -> bool:
        return bool(store.candidates.known_post_ids(account.account_id, [post_id]))

    def connections() -> int:
        return int(fake.jetstream.describe()["connections"])

    threads = start_streams(context, [account])
    try:
        until(lambda: health() is StreamState.CONNECTED and connections() == 1)
        pushed = fake.post_as(users[0], "@replybot how do streams work?")
        until(lambda: known(pushed["id"]))

        fake.jetstream.deliver_twice(1)
        twice = fake.post_as(users[1], "@replybot streams, twice please")
        # the consumer drops a repeat within one connection; a repeat across connections (the
        # resume margin) is a no-op in the store: either way one row
        until(lambda: known(twice["id"]) and fake.jetstream.describe()["faults"]["duplicate"] == 0)

        fake.jetstream.drop(lose=True, refuse_seconds=60)
        until(lambda: connections() == 0)
        lost = fake.post_as(users[2], "@replybot said while the stream was down")
        time.sleep(0.3)
        assert not known(lost["id"])
        fake.jetstream.clear_faults()
        until(lambda: known(lost["id"]))
        assert fake.jetstream.describe()["faults"]["lost"] >= 1  # only the backfill had it
    finally:
        context.stop.set()
        for thread in threads:
            thread.join(10)
        platform.close()
    (row,) = store.intake.health()
    assert row.state is StreamState.STOPPED
    assert row.connects >= 2
    assert row.admitted >= 1
    events = {event.event_type for event in store.events.recent(account_id=account.account_id)}
    assert {"intake_stream_connected", "intake_stream_disconnected",
            "intake_stream_backfilled"} <= events  # fmt: skip
    assert all(not thread.is_alive() for thread in threads)
