"""Streamed Mastodon mentions get the poll's relationships rule, on SQLite and PostgreSQL.

An author who blocks the bot, or whom the bot's account mutes, is opted out (`block`, `mute`)
when their mention arrives by the fake's stream over a real socket, as the poll does it; the
stream asks about each author once (a second mention of the same author costs no lookup).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, select

from compliance_world import candidates
from xbot.config import AccountSettings, Settings
from xbot.config_intake import IntakeSettings
from xbot.domain.intake import StreamState
from xbot.jobs.base import Account, JobContext, WorkerIdentity
from xbot.jobs.intake_threads import start_streams
from xbot.platforms.http import HttpOptions
from xbot.platforms.mastodon import build_mastodon_platform
from xbot.sim.core.server import SimServer
from xbot.sim.core.world import build_world
from xbot.sim.mastodon.fake import FakeMastodon
from xbot.store.sql import SqlStore
from xbot.store.tables import opt_outs

#: generous for a loaded 2-core machine; the bench measures the real latency
WITHIN = 10.0
#: no second backfill: every mention made after the first one reaches the queue by the stream
FAST = IntakeSettings(lease_seconds=3, reconnect_initial_seconds=0.05, reconnect_max_seconds=0.2,
                      backfill_again_seconds=0)  # fmt: skip
WORKER = WorkerIdentity(worker_id="w-intake", role="worker", git_sha="abc1234", sha_source="env",
                        host="h", pid=1)  # fmt: skip
LOOKUP = "/api/v1/accounts/relationships"


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


def test_a_streamed_mention_of_a_blocking_or_muted_author_is_an_opt_out(
    served: tuple[FakeMastodon, SimServer], engine: Engine
) -> None:
    fake, server = served
    fake.reset()
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
    ann, ben, cat = [user.handle for user in fake.world.users if not user.automated][:3]
    bot = fake.world.bot_accounts[0].handle
    fake.board.relate(ann, bot, "block")  # ann blocks the bot: `blocked_by`
    fake.board.relate(bot, ben, "mute")  # the operator mutes ben from the bot's account

    def connected() -> bool:
        rows = store.intake.health()
        backfilled = store.events.recent(event_type="intake_stream_backfilled")
        return bool(rows) and rows[0].state is StreamState.CONNECTED and bool(backfilled)

    threads = start_streams(context, [account])
    try:
        until(lambda: connected() and fake.stream.connections() == 1)
        asked_before = len(fake.requests(method="GET", path=LOOKUP))
        posted = [fake.post_as(who, "@replybot how do streams work?") for who in (ann, ben, cat)]
        until(lambda: {p["id"] for p in posted} <= set(candidates(engine)))
        again = fake.post_as(cat, "@replybot and one more thing")
        until(lambda: again["id"] in candidates(engine))
        asked = len(fake.requests(method="GET", path=LOOKUP)) - asked_before
    finally:
        context.stop.set()
        for thread in threads:
            thread.join(10)
        platform.close()
    found = candidates(engine)
    assert [found[p["id"]] for p in posted] == [
        ("skipped", "opted_out"), ("skipped", "opted_out"), ("queued", None),
    ]  # fmt: skip
    assert found[again["id"]] == ("queued", None)
    with engine.connect() as connection:
        rows = connection.execute(select(opt_outs.c.author_handle, opt_outs.c.how)).all()
    assert sorted((str(handle).split("@")[0], how) for handle, how in rows) == sorted(
        [(ann, "block"), (ben, "mute")]
    )
    (row,) = store.intake.health()
    assert row.admitted == 4  # all four by the stream, none by a backfill
    assert asked == 3  # one lookup per author: cat's second mention is answered by the cache
