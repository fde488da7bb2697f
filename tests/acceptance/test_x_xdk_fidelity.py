"""Fidelity: X's official Python SDK (xdk) works against the fake X over a real socket."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests
from xdk import Client
from xdk.oauth1_auth import OAuth1
from xdk.posts.models import CreateRequest
from xdk.schemas import CreatePostsReply

from xbot.sim.core.clock import SimClock
from xbot.sim.core.server import SimServer
from xbot.sim.core.world import build_world
from xbot.sim.x.fake import FakeX
from xbot.sim.x.settings import XFakeSettings

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def served() -> Iterator[tuple[FakeX, str]]:
    fake = FakeX(build_world(5), clock=SimClock(start=START, speed=0), settings=XFakeSettings())
    with SimServer(fake.app) as server:
        yield fake, server.base_url


def oauth1_client(fake: FakeX, base_url: str) -> Client:
    credentials = fake.credentials()
    auth = OAuth1(
        api_key=credentials["consumer_key"],
        api_secret=credentials["consumer_secret"],
        callback="oob",
        access_token=credentials["access_token"],
        access_token_secret=credentials["access_token_secret"],
    )
    return Client(base_url=base_url, auth=auth)


@pytest.mark.parametrize("auth", ["oauth1", "oauth2"])
def test_xdk_reads_me_mentions_and_posts_and_creates_a_reply(
    served: tuple[FakeX, str], auth: str
) -> None:
    fake, base_url = served
    if auth == "oauth1":
        client = oauth1_client(fake, base_url)
    else:
        client = Client(base_url=base_url, access_token=fake.credentials()["oauth2_access_token"])
    user = fake.world.users[0].handle
    mention = fake.post_as(user, "@replybot is the fake faithful?")

    me = client.users.get_me(user_fields=["created_at", "public_metrics"])
    assert me.data is not None
    assert (me.data.id, me.data.username) == (fake.bot().user_id, "replybot")

    pages = list(client.users.get_mentions(me.data.id, max_results=5))
    assert [post.id for post in pages[0].data or []] == [mention["id"]]
    assert pages[0].meta is not None
    assert pages[0].meta.newest_id == mention["id"]

    created = client.posts.create(
        CreateRequest(
            text="Yes, it is.", reply=CreatePostsReply(in_reply_to_tweet_id=mention["id"])
        )
    )
    assert created.data is not None
    assert created.data.text == "Yes, it is."

    timeline = next(iter(client.users.get_posts(me.data.id, max_results=5)))
    ids = [post.id for post in timeline.data or []]
    assert ids[0] == created.data.id
    assert fake.posts_of("replybot")[-1]["in_reply_to"] == mention["id"]
    assert len(fake.requests(method="POST", path="/2/tweets")) == 1


def test_xdk_pages_through_mentions_with_next_tokens(served: tuple[FakeX, str]) -> None:
    fake, base_url = served
    users = [user.handle for user in fake.world.users[:4]]
    ids = [fake.post_as(users[n % 4], f"@replybot question {n}")["id"] for n in range(12)]
    client = oauth1_client(fake, base_url)
    pages = list(client.users.get_mentions(fake.bot().user_id, max_results=5))
    assert [len(page.data or []) for page in pages] == [5, 5, 2]
    assert [post.id for page in pages for post in page.data or []] == ids[::-1]


def test_xdk_sees_the_fakes_errors(served: tuple[FakeX, str]) -> None:
    fake, base_url = served
    client = oauth1_client(fake, base_url)
    plain = fake.post_as(fake.world.users[0].handle, "no mention")
    with pytest.raises(requests.HTTPError, match="403") as raised:
        client.posts.create(
            CreateRequest(text="hi", reply=CreatePostsReply(in_reply_to_tweet_id=plain["id"]))
        )
    assert raised.value.response.json()["type"].endswith("/not-authorized-for-resource")


def test_xdk_sees_invalid_requests_as_400_problems(served: tuple[FakeX, str]) -> None:
    fake, base_url = served
    client = oauth1_client(fake, base_url)
    posts_before = len(fake.posts_of("replybot"))
    with pytest.raises(requests.HTTPError, match="400") as bad_id:
        client.posts.get_by_id("abc")
    problem = bad_id.value.response.json()
    assert problem["type"].endswith("/invalid-request")
    assert problem["errors"][0]["parameters"] == {"id": ["abc"]}
    with pytest.raises(requests.HTTPError, match="400") as empty:
        client.posts.create(CreateRequest(text=""))
    assert empty.value.response.json()["errors"][0]["parameters"] == {"text": [""]}
    assert len(fake.posts_of("replybot")) == posts_before
