"""The fake Jetstream over a real socket: events, cursor replay, filters and every admin fault."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from websockets.exceptions import ConnectionClosedError, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from xbot.sim.bluesky.fake import FakeBluesky
from xbot.sim.bluesky.settings import BlueskyFakeSettings
from xbot.sim.core.clock import SimClock
from xbot.sim.core.server import SimServer

POSTS = "wantedCollections=app.bsky.feed.post"


@pytest.fixture(scope="module")
def fake() -> FakeBluesky:
    return FakeBluesky(clock=SimClock())


@pytest.fixture(scope="module")
def server(fake: FakeBluesky) -> Iterator[SimServer]:
    with fake.server() as running:
        yield running


@pytest.fixture(autouse=True)
def fresh(fake: FakeBluesky) -> None:
    fake.reset()


def users(fake: FakeBluesky) -> list[str]:
    return [user.handle for user in fake.world.users if not user.automated]


def subscribe(server: SimServer, query: str = POSTS) -> ClientConnection:
    return connect(server.base_url.replace("http", "ws") + "/subscribe?" + query, open_timeout=5)


def receive(ws: ClientConnection, timeout: float = 2.0) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(ws.recv(timeout=timeout))
    return event


def nothing(ws: ClientConnection, timeout: float = 0.4) -> bool:
    try:
        ws.recv(timeout=timeout)
    except TimeoutError:
        return True
    return False


def drain(ws: ClientConnection, count: int) -> None:
    for _ in range(count):
        receive(ws)


def rkey(post: dict[str, Any]) -> str:
    return str(post["rkey"])


def test_a_new_post_is_published_at_once_in_jetstream_shape(
    fake: FakeBluesky, server: SimServer
) -> None:
    with subscribe(server) as ws:
        post = fake.post_as(users(fake)[0], "@replybot hi")
        event = receive(ws, timeout=1.0)
    author = fake.store.actor(users(fake)[0]).did
    assert event["did"] == author
    assert event["kind"] == "commit"
    assert isinstance(event["time_us"], int)
    commit = event["commit"]
    assert commit["operation"] == "create"
    assert commit["collection"] == "app.bsky.feed.post"
    assert commit["rkey"] == rkey(post)
    assert commit["cid"] == post["cid"]
    assert commit["record"]["text"] == "@replybot.bsky.social hi"
    assert commit["record"]["facets"][0]["features"][0]["did"] == fake.bot().did


def test_without_a_cursor_only_live_events_come(fake: FakeBluesky, server: SimServer) -> None:
    fake.post_as(users(fake)[0], "before")
    with subscribe(server) as ws:
        assert nothing(ws)
        after = fake.post_as(users(fake)[0], "after")
        assert receive(ws)["commit"]["rkey"] == rkey(after)


def test_a_cursor_replays_from_it_then_goes_live(fake: FakeBluesky, server: SimServer) -> None:
    first = fake.post_as(users(fake)[0], "one")
    with subscribe(server) as ws:
        second = fake.post_as(users(fake)[0], "two")
        cursor = receive(ws)["time_us"]
    third = fake.post_as(users(fake)[0], "three")
    with subscribe(server, f"{POSTS}&cursor={cursor}") as ws:
        replayed = [receive(ws)["commit"]["rkey"] for _ in range(2)]
        fourth = fake.post_as(users(fake)[0], "four")
        live = receive(ws)["commit"]["rkey"]
    assert replayed == [rkey(second), rkey(third)]
    assert live == rkey(fourth)
    assert rkey(first) not in replayed


def test_wanted_dids_and_collections_filter(fake: FakeBluesky, server: SimServer) -> None:
    ann, bob = users(fake)[:2]
    did = fake.store.actor(bob).did
    with subscribe(server, f"{POSTS}&wantedDids={did}") as ws:
        fake.post_as(ann, "not wanted")
        fake.set_profile(bob, {"$type": "app.bsky.actor.profile", "displayName": "B"})
        wanted = fake.post_as(bob, "wanted")
        event = receive(ws)
        assert nothing(ws)
    assert event["commit"]["rkey"] == rkey(wanted)
    with subscribe(server, "wantedCollections=app.bsky.actor.*") as ws:
        fake.post_as(ann, "a post")
        fake.set_profile(bob, {"$type": "app.bsky.actor.profile", "displayName": "Bee"})
        event = receive(ws)
    assert event["commit"]["collection"] == "app.bsky.actor.profile"
    assert event["commit"]["operation"] == "update"


def test_compression_is_not_supported(server: SimServer) -> None:
    with pytest.raises(InvalidStatus) as refused:
        subscribe(server, f"{POSTS}&compress=true")
    assert refused.value.response.status_code == 403


def test_drop_closes_every_connection(fake: FakeBluesky, server: SimServer) -> None:
    with subscribe(server) as ws:
        assert nothing(ws, 0.1)
        assert fake.jetstream.drop() == 1
        with pytest.raises(ConnectionClosedError) as closed:
            ws.recv(timeout=2)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1011


def test_events_lost_during_a_disconnect_never_come_back(
    fake: FakeBluesky, server: SimServer
) -> None:
    with subscribe(server) as ws:
        kept = fake.post_as(users(fake)[0], "kept")
        cursor = receive(ws)["time_us"]
        fake.jetstream.drop(lose=True, refuse_seconds=30)
    lost = fake.post_as(users(fake)[0], "lost")
    with pytest.raises(InvalidStatus):
        subscribe(server)
    fake.jetstream.clear_faults()
    with subscribe(server, f"{POSTS}&cursor={cursor}") as ws:
        assert receive(ws)["commit"]["rkey"] == rkey(kept)
        after = fake.post_as(users(fake)[0], "after")
        assert receive(ws)["commit"]["rkey"] == rkey(after)
    assert fake.jetstream.describe()["faults"]["lost"] == 1
    assert lost["id"] in {post["id"] for post in fake.posts_of(users(fake)[0])}


def test_pause_holds_delivery_until_resumed(fake: FakeBluesky, server: SimServer) -> None:
    with subscribe(server) as ws:
        fake.jetstream.pause()
        held = fake.post_as(users(fake)[0], "held")
        assert nothing(ws)
        fake.jetstream.resume()
        assert receive(ws)["commit"]["rkey"] == rkey(held)


def test_deliver_twice(fake: FakeBluesky, server: SimServer) -> None:
    with subscribe(server) as ws:
        fake.jetstream.deliver_twice(1)
        twice = fake.post_as(users(fake)[0], "twice")
        once = fake.post_as(users(fake)[0], "once")
        got = [receive(ws)["commit"]["rkey"] for _ in range(3)]
        assert nothing(ws, 0.2)
    assert got == [rkey(twice), rkey(twice), rkey(once)]


def test_deliver_out_of_order(fake: FakeBluesky, server: SimServer) -> None:
    with subscribe(server) as ws:
        fake.jetstream.deliver_out_of_order(3)
        posts = [fake.post_as(users(fake)[0], f"n{n}") for n in range(3)]
        events = [receive(ws) for _ in range(3)]
    assert [e["commit"]["rkey"] for e in events] == [rkey(p) for p in reversed(posts)]
    assert [e["time_us"] for e in events] == sorted((e["time_us"] for e in events), reverse=True)


def test_a_slow_consumer_with_a_backlog_is_dropped(fake: FakeBluesky, server: SimServer) -> None:
    with subscribe(server) as ws:
        fake.jetstream.slow(0.2, max_backlog=2)
        for n in range(6):
            fake.post_as(users(fake)[0], f"n{n}")
        with pytest.raises(ConnectionClosedError) as closed:
            drain(ws, 6)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1008


def test_the_admin_api_arms_and_clears_faults(fake: FakeBluesky, server: SimServer) -> None:
    admin = server.base_url + "/_sim/jetstream"
    with subscribe(server) as ws:
        assert httpx2.get(admin).json()["connections"] == 1
        armed = httpx2.post(admin, json={"fault": "duplicate", "count": 2})
        assert armed.status_code == 201
        assert armed.json()["faults"]["duplicate"] == 2
        assert httpx2.post(admin, json={"fault": "nope"}).status_code == 400
        assert httpx2.delete(admin).json()["faults"]["duplicate"] == 0
        assert httpx2.post(admin, json={"fault": "drop"}).status_code == 201
        with pytest.raises(ConnectionClosedError):
            ws.recv(timeout=2)


def test_generated_traffic_is_published_without_any_other_request() -> None:
    fake = FakeBluesky(clock=SimClock(), settings=BlueskyFakeSettings(traffic_per_minute=600))
    with fake.server() as running, subscribe(running) as ws:
        fake.advance(5)  # posts fall due; nobody calls the fake
        event = receive(ws, timeout=5)
    assert event["commit"]["operation"] == "create"
    assert fake.requests() == []
