"""End to end: the fake Mastodon on loopback → a worker's intake supervisor → candidate rows.

The worker is built by the composition root (`build_service`), so the adapter that streams is the
one `xbot worker` builds from its configuration. A mention reaches the queue through the stream
(the stream's own `admitted` count says so); one published while the stream is down (a `gap`)
comes back through the backfill the supervisor runs when it reconnects. Each mention is one row.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import Engine, select

from acceptance.conftest import wait_for
from xbot import operations
from xbot.config import AccountSettings, load_settings
from xbot.platforms.http import HttpOptions
from xbot.serve import Service
from xbot.sim.core.server import SimServer
from xbot.sim.core.streams import StreamFault
from xbot.sim.core.world import build_world
from xbot.sim.mastodon.fake import FakeMastodon
from xbot.store.sql import SqlStore
from xbot.store.tables import job_runs, reply_candidate_queue, system_events
from xbot.wiring import Overrides, build_service

NOTIFICATIONS = "/api/v1/notifications"
#: generous for a loaded 2-core machine; the latency target itself is the bench's business
ARRIVAL_SECONDS = 15.0


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FakeMastodon, SimServer]]:
    fake = FakeMastodon(build_world(9, user_count=6))
    fake.warm_up()
    with fake.server() as server:
        yield fake, server
    fake.close()


@pytest.fixture
def worker(
    database_url: str, served: tuple[FakeMastodon, SimServer]
) -> Iterator[tuple[Service, FakeMastodon]]:
    fake, server = served
    account = AccountSettings(
        platform="mastodon", handle="replybot", base_url=server.base_url, topics=["python"]
    )
    settings = load_settings(
        database_url=database_url,
        accounts=[account],
        enabled_jobs=["fetch"],  # streams run where fetch runs; its own poll runs once a day here
        jobs={"fetch": 86400},
        poll_interval=0.2,
        intake={"lease_seconds": 6, "reconnect_initial_seconds": 0.2, "reconnect_max_seconds": 1},
        secret_key=SecretStr(Fernet.generate_key().decode()),
        git_sha="5a8a81ca" + "0" * 32,
    )
    token = fake.credentials()["access_token"]
    overrides = Overrides(
        credentials={"replybot": {"access_token": token}}, http=HttpOptions(read_timeout=10.0)
    )
    service = build_service(settings, "worker", overrides)
    operations.migrate(service.engine, settings.secret_key)
    service.boot()
    runner, thread, failure = service.start_in_background()
    try:
        yield service, fake
        assert not failure
    finally:
        service.stop_background(runner, thread)
        service.close()
        fake.stream.clear()


def rows(engine: Engine, post_id: str) -> list[Any]:
    query = select(reply_candidate_queue.c.summoned).where(
        reply_candidate_queue.c.candidate_post_id == post_id
    )
    with engine.connect() as connection:
        return list(connection.execute(query))


def events(engine: Engine, name: str) -> list[Any]:
    query = select(system_events.c.event_data).where(system_events.c.event_type == name)
    with engine.connect() as connection:
        return list(connection.execute(query).scalars())


def fetched(engine: Engine) -> bool:
    """Whether the fetch job's run of the day is over (the stream alone reads mentions now)."""
    query = select(job_runs.c.id).where(job_runs.c.job == "fetch", job_runs.c.status == "done")
    with engine.connect() as connection:
        return connection.execute(query).first() is not None


def users(fake: FakeMastodon) -> list[str]:
    return [user.handle for user in fake.world.users if not user.automated]


def test_mentions_reach_candidate_rows_through_the_stream_and_a_gap_through_the_backfill(
    worker: tuple[Service, FakeMastodon],
) -> None:
    service, fake = worker
    engine = service.engine
    store = SqlStore(engine)
    wait_for(lambda: events(engine, "intake_stream_connected"), ARRIVAL_SECONDS)
    wait_for(lambda: fake.stream.connections() == 1, ARRIVAL_SECONDS)
    wait_for(lambda: fetched(engine), ARRIVAL_SECONDS)
    # the connect's two backfills (at once, and backfill_again_seconds later) run beside the
    # stream: once both are over, a new mention can only come by the stream
    wait_for(lambda: len(events(engine, "intake_stream_backfilled")) >= 2, ARRIVAL_SECONDS)
    (health,) = store.intake.health()
    assert (health.stream, health.admitted) == ("mastodon_user", 0)

    streamed = fake.post_as(users(fake)[0], "@replybot how do python streams work?")
    started = time.monotonic()
    wait_for(lambda: rows(engine, streamed["id"]), ARRIVAL_SECONDS)
    arrival = time.monotonic() - started
    assert rows(engine, streamed["id"]) == [(True,)]
    assert store.intake.health()[0].admitted == 1, "it came by a poll, not the stream"
    assert arrival < ARRIVAL_SECONDS
    polls = len(fake.requests(method="GET", path=NOTIFICATIONS))

    fake.stream.add_fault(StreamFault(kind="gap"))
    wait_for(lambda: events(engine, "intake_stream_disconnected"), ARRIVAL_SECONDS)
    missed = fake.post_as(users(fake)[1], "@replybot did you see this one, about python?")
    fake.stream.clear()
    wait_for(lambda: rows(engine, missed["id"]), ARRIVAL_SECONDS)
    assert len(events(engine, "intake_stream_connected")) >= 2
    assert len(fake.requests(method="GET", path=NOTIFICATIONS)) > polls  # the backfill found it

    fake.stream.add_fault(StreamFault(kind="duplicate", count=1))
    twice = fake.post_as(users(fake)[2], "@replybot twice about python?")
    wait_for(lambda: rows(engine, twice["id"]), ARRIVAL_SECONDS)
    for post in (streamed, missed, twice):
        assert rows(engine, post["id"]) == [(True,)]
