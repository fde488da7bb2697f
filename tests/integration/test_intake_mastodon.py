"""Intake end to end on SQLite and PostgreSQL: the fake Mastodon's stream over a real socket.

The supervisor holds the stream, admits each mention the moment it arrives, counts a duplicate
delivery as a no-op, and after a gap (events lost to the stream) finds them by its backfill.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from urllib.parse import parse_qs

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine

from xbot.config import AccountSettings, Settings
from xbot.config_intake import IntakeSettings
from xbot.domain.intake import StreamState
from xbot.jobs.base import Account, JobContext, WorkerIdentity
from xbot.jobs.intake_threads import start_streams
from xbot.platforms.http import HttpOptions
from xbot.platforms.mastodon import build_mastodon_platform
from xbot.sim.core.server import SimServer
from xbot.sim.core.streams import StreamFault
from xbot.sim.core.world import build_world
from xbot.sim.mastodon.fake import FakeMastodon
from xbot.store.sql import SqlStore

#: generous for a loaded 2-core machine; the bench measures the real latency
WITHIN = 10.0
FAST = IntakeSettings(lease_seconds=3, reconnect_initial_seconds=0.05, reconnect_max_seconds=0.2)
WORKER = WorkerIdentity(worker_id="w-intake", role="worker", git_sha="abc1234", sha_source="env",
                        host="h", pid=1)  # fmt: skip


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FakeMastodon, SimServer]]:
    fake = FakeMastodon(build_world(5, user_count=6))
    fake.warm_up()
    with fake.server() as server:
        yield fake, server
    fake.close()


def until(condition: Callable[[], bool], seconds: float = WITHIN) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_the_stream_admits_mentions_once_and_backfills_a_gap(
    served: tuple[FakeMastodon, SimServer], engine: Engine
) -> None:
    fake, server = served
    settings = AccountSettings(platform="mastodon", handle="replybot", base_url=server.base_url,
                               topics=["streams"])  # fmt: skip
    store = SqlStore(engine)
    (record,) = store.accounts.sync([settings])
    account = Account(account_id=record.account_id, platform="mastodon", handle="replybot",
                      platform_user_id=None, settings=settings)  # fmt: skip
    token = SecretStr(fake.credentials()["access_token"])
    platform = build_mastodon_platform(settings, token, http=HttpOptions(read_timeout=10.0))
    context = JobContext(store=store, settings=Settings(intake=FAST), worker=WORKER,
                         now=datetime.now(UTC), platform_for=lambda _account: platform)  # fmt: skip
    users = [user.handle for user in fake.world.users if not user.automated]

    def health() -> StreamState | None:
        rows = store.intake.health()
        return rows[0].state if rows else None

    def known(post_id: str) -> bool:
        return bool(store.candidates.known_post_ids(account.account_id, [post_id]))

    threads = start_streams(context, [account])
    try:
        until(lambda: health() is StreamState.CONNECTED and fake.stream.connections() == 1)
        pushed = fake.post_as(users[0], "@replybot how do streams work?")
        until(lambda: known(pushed["id"]))

        fake.stream.add_fault(StreamFault(kind="duplicate", count=1))
        twice = fake.post_as(users[1], "@replybot twice please")
        until(lambda: known(twice["id"]) and store.intake.health()[0].duplicates >= 1)

        fake.stream.add_fault(StreamFault(kind="gap"))
        until(lambda: fake.stream.connections() == 0)
        lost = fake.post_as(users[2], "@replybot said while the stream was down")
        time.sleep(0.3)
        assert not known(lost["id"])
        fake.stream.clear()
        until(lambda: known(lost["id"]))
    finally:
        context.stop.set()
        for thread in threads:
            thread.join(10)
        platform.close()
    (row,) = store.intake.health()
    assert row.state is StreamState.STOPPED
    assert row.connects >= 2
    assert row.admitted >= 1  # the rest may reach the queue first by a backfill
    events = {event.event_type for event in store.events.recent(account_id=account.account_id)}
    assert {"intake_stream_connected", "intake_stream_disconnected",
            "intake_stream_backfilled"} <= events  # fmt: skip
    assert all(not thread.is_alive() for thread in threads)


def test_a_reconnect_backfills_from_the_streamed_notification_not_the_poll_watermark(
    served: tuple[FakeMastodon, SimServer], engine: Engine
) -> None:
    fake, server = served
    settings = AccountSettings(platform="mastodon", handle="replybot", base_url=server.base_url,
                               topics=["streams"])  # fmt: skip
    store = SqlStore(engine)
    (record,) = store.accounts.sync([settings])
    account = Account(account_id=record.account_id, platform="mastodon", handle="replybot",
                      platform_user_id=None, settings=settings)  # fmt: skip
    token = SecretStr(fake.credentials()["access_token"])
    platform = build_mastodon_platform(settings, token, http=HttpOptions(read_timeout=10.0))
    context = JobContext(store=store, settings=Settings(intake=FAST), worker=WORKER,
                         now=datetime.now(UTC), platform_for=lambda _account: platform)  # fmt: skip
    users = [user.handle for user in fake.world.users if not user.automated]
    log = fake.parts.log

    def known(post_id: str) -> bool:
        return bool(store.candidates.known_post_ids(account.account_id, [post_id]))

    def cursor() -> str | None:
        rows = store.intake.health()
        return rows[0].cursor if rows else None

    def since_ids() -> list[str]:
        found = []
        for entry in log.entries(method="GET", path="/api/v1/notifications"):
            query = parse_qs(entry.query)
            found.append(query.get("since_id", [""])[0])
        return found

    def backfills() -> int:
        events = store.events.recent(account_id=account.account_id)
        return sum(event.event_type == "intake_stream_backfilled" for event in events)

    before = fake.post_as(users[0], "@replybot posted before the stream opened")
    threads = start_streams(context, [account])
    try:
        until(lambda: bool(store.intake.health()) and fake.stream.connections() == 1)
        until(lambda: known(before["id"]))
        # the connect's backfills (now and backfill_again_seconds later) set the poll watermark
        until(lambda: backfills() >= 2, seconds=WITHIN + FAST.backfill_again_seconds)
        watermark = store.candidates.fetch_watermark(account.account_id)
        streamed = [fake.post_as(users[i % len(users)], f"@replybot streamed {i}")
                    for i in range(6)]  # fmt: skip
        until(lambda: all(known(post["id"]) for post in streamed))
        until(lambda: cursor() is not None and cursor() != watermark)
        at_cut = cursor()
        assert at_cut is not None
        assert watermark is not None
        assert (len(at_cut), at_cut) > (len(watermark), watermark)

        log.clear()
        fake.stream.add_fault(StreamFault(kind="gap"))
        until(lambda: fake.stream.connections() == 0)
        lost = [fake.post_as(users[i % len(users)], f"@replybot said during the cut {i}")
                for i in range(3)]  # fmt: skip
        time.sleep(0.3)
        assert not any(known(post["id"]) for post in lost)
        fake.stream.clear()
        until(lambda: all(known(post["id"]) for post in lost))
        until(lambda: backfills() >= 4, seconds=WITHIN + FAST.backfill_again_seconds)
    finally:
        context.stop.set()
        for thread in threads:
            thread.join(10)
        platform.close()
    # every backfill after the cut read from the streamed notification, none from the watermark
    assert set(since_ids()) == {at_cut}
    # and left the poll's watermark alone: the poll still reads what lies before the cursor
    assert store.candidates.fetch_watermark(account.account_id) == watermark
    assert all(not thread.is_alive() for thread in threads)
