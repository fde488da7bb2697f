"""Fidelity: the atproto SDK (PyPI), pointed at the fake Bluesky over loopback, works unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from atproto import Client, models
from atproto_client.exceptions import BadRequestError, UnauthorizedError

from xbot.sim.bluesky.fake import FakeBluesky
from xbot.sim.bluesky.settings import BlueskyFakeSettings
from xbot.sim.core.server import SimServer
from xbot.sim.core.world import build_world


@pytest.fixture
def fake() -> FakeBluesky:
    # the SDK compares token expiry with the wall clock, so the fake's clock runs in real time
    settings = BlueskyFakeSettings(notification_delay_seconds=0, view_delay_seconds=0)
    return FakeBluesky(build_world(21), settings=settings)


@pytest.fixture
def server(fake: FakeBluesky) -> Iterator[SimServer]:
    with fake.server() as running:
        yield running


@pytest.fixture
def clients() -> Iterator[list[Client]]:
    opened: list[Client] = []
    yield opened
    for client in opened:
        client.request.close()


def sdk_client(server: SimServer, clients: list[Client]) -> Client:
    client = Client(base_url=server.base_url + "/xrpc")
    clients.append(client)
    return client


def sdk_login(fake: FakeBluesky, server: SimServer, clients: list[Client]) -> Client:
    client = sdk_client(server, clients)
    creds = fake.credentials()
    client.login(creds["identifier"], creds["password"])
    return client


def admin_posts(server: SimServer, author: str) -> list[dict[str, Any]]:
    answer = httpx2.get(server.base_url + "/_sim/posts", params={"author": author})
    answer.raise_for_status()
    posts: list[dict[str, Any]] = answer.json()["posts"]
    return posts


def test_the_sdk_logs_in_reads_notifications_and_replies(
    fake: FakeBluesky, server: SimServer, clients: list[Client]
) -> None:
    client = sdk_login(fake, server, clients)
    assert client.me is not None
    assert client.me.did == fake.bot().did
    assert client.me.handle == "replybot.bsky.social"
    user = fake.world.users[0].handle
    mention = fake.post_as(user, "@replybot how do I start with python?")

    notes = client.app.bsky.notification.list_notifications().notifications
    assert [(note.reason, note.uri) for note in notes] == [("mention", mention["id"])]
    assert notes[0].record.text == "@replybot.bsky.social how do I start with python?"
    assert notes[0].record.facets[0].features[0].did == fake.bot().did

    ref = models.create_strong_ref(notes[0])
    sent = client.send_post(
        "Start with the official tutorial.",
        reply_to=models.AppBskyFeedPost.ReplyRef(root=ref, parent=ref),
    )
    mine = admin_posts(server, "replybot")[-1]
    assert (mine["id"], mine["in_reply_to"]) == (sent.uri, mention["id"])
    assert mine["text"] == "Start with the official tutorial."
    assert sent.cid == mine["cid"]

    rkey = sent.uri.rsplit("/", 1)[1]
    record = client.com.atproto.repo.get_record(
        {"repo": fake.bot().did, "collection": "app.bsky.feed.post", "rkey": rkey}
    )
    assert record.value.reply.parent.uri == mention["id"]


def test_the_sdk_refreshes_short_tokens_with_rotation(
    fake: FakeBluesky, server: SimServer, clients: list[Client]
) -> None:
    fake.configure(access_token_seconds=300)  # the SDK refreshes 15 min before expiry: always
    client = sdk_login(fake, server, clients)
    client.app.bsky.notification.list_notifications()
    client.app.bsky.feed.get_author_feed({"actor": fake.bot().did})
    refreshes = fake.requests(method="POST", path="/xrpc/com.atproto.server.refreshSession")
    assert len(refreshes) >= 2
    assert all(entry.status == 200 for entry in refreshes)


def test_a_saved_sdk_session_is_reused_without_a_login(
    fake: FakeBluesky, server: SimServer, clients: list[Client]
) -> None:
    saved = sdk_login(fake, server, clients).export_session_string()
    again = sdk_client(server, clients)
    again.login(session_string=saved)
    again.app.bsky.feed.get_author_feed({"actor": fake.bot().did})
    assert len(fake.requests(method="POST", path="/xrpc/com.atproto.server.createSession")) == 1


def test_the_sdk_sees_bluesky_error_shapes(
    fake: FakeBluesky, server: SimServer, clients: list[Client]
) -> None:
    with pytest.raises(UnauthorizedError):
        sdk_client(server, clients).login("replybot.bsky.social", "wrong")
    client = sdk_login(fake, server, clients)
    gone = f"at://{fake.bot().did}/app.bsky.feed.post/3kaaaaaaaaaaa"
    with pytest.raises(BadRequestError) as refused:
        client.app.bsky.feed.get_post_thread({"uri": gone})
    assert refused.value.response is not None
    assert refused.value.response.content.error == "NotFound"


def test_the_sdk_pages_own_records_with_list_records(
    fake: FakeBluesky, server: SimServer, clients: list[Client]
) -> None:
    made = [fake.ghost(f"note {n}")["id"] for n in range(3)]
    client = sdk_client(server, clients)
    params = {"repo": fake.bot().did, "collection": "app.bsky.feed.post", "limit": 2}
    first = client.com.atproto.repo.list_records(params)
    rest = client.com.atproto.repo.list_records({**params, "cursor": first.cursor})
    listed = [record.uri for record in [*first.records, *rest.records]]
    assert set(made) <= set(listed)
    assert listed == sorted(listed, reverse=True)
    assert all(record.value.text for record in [*first.records, *rest.records])
