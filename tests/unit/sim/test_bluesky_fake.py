"""The fake Bluesky on the wire: sessions, records, views, limits, error shapes (facts §2, §4)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx2
import pytest

from xbot.sim.bluesky.fake import FakeBluesky
from xbot.sim.bluesky.ids import is_tid, tid_at
from xbot.sim.bluesky.limits import Window
from xbot.sim.bluesky.settings import BlueskyFakeSettings
from xbot.sim.core.clock import SimClock
from xbot.sim.core.world import build_world

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
POST = "app.bsky.feed.post"


class Raw:
    """An XRPC client speaking to the fake in process."""

    def __init__(self, fake: FakeBluesky) -> None:
        self.fake = fake
        self.transport = fake.transport()
        self.http = httpx2.Client(transport=self.transport, base_url="http://bsky.sim")
        self.token: str | None = None

    def get(self, nsid: str, **params: Any) -> httpx2.Response:
        return self.http.get(f"/xrpc/{nsid}", params=params, headers=self._auth())

    def post(self, nsid: str, body: Any = None, token: str | None = None) -> httpx2.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else self._auth()
        return self.http.post(f"/xrpc/{nsid}", json=body, headers=headers)

    def login(self, handle: str = "replybot") -> dict[str, Any]:
        creds = self.fake.credentials(handle)
        answer = self.post(
            "com.atproto.server.createSession",
            {"identifier": creds["identifier"], "password": creds["password"]},
        )
        assert answer.status_code == 200, answer.text
        session: dict[str, Any] = answer.json()
        self.token = session["accessJwt"]
        return session

    def create(self, text: str, rkey: str | None = None, **extra: Any) -> httpx2.Response:
        record = {"$type": POST, "text": text, "createdAt": "2026-03-02T09:00:00.000Z", **extra}
        body: dict[str, Any] = {"repo": self.fake.bot().did, "collection": POST, "record": record}
        if rkey:
            body["rkey"] = rkey
        return self.post("com.atproto.repo.createRecord", body)

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def close(self) -> None:
        self.http.close()
        self.transport.close()


@pytest.fixture
def fake() -> FakeBluesky:
    settings = BlueskyFakeSettings(notification_delay_seconds=0, view_delay_seconds=0)
    return FakeBluesky(build_world(5), clock=SimClock(start=START, speed=0), settings=settings)


@pytest.fixture
def raw(fake: FakeBluesky) -> Iterator[Raw]:
    client = Raw(fake)
    yield client
    client.close()


def error_of(answer: httpx2.Response) -> tuple[int, str]:
    return answer.status_code, answer.json()["error"]


def test_ids_have_bluesky_shapes(fake: FakeBluesky) -> None:
    post = fake.ghost("hello")
    did, collection, rkey = post["id"].removeprefix("at://").split("/")
    assert did.startswith("did:plc:")
    assert len(did) == len("did:plc:") + 24
    assert collection == POST
    assert is_tid(rkey)
    assert post["cid"].startswith("bafyrei")
    assert tid_at(START, 1) < tid_at(START.replace(second=1), 0)


def test_sessions_are_jwts_on_the_fake_clock(raw: Raw, fake: FakeBluesky) -> None:
    session = raw.login()
    payload = session["accessJwt"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["sub"] == fake.bot().did
    assert claims["exp"] - claims["iat"] == 7200
    assert session["didDoc"]["service"][0]["serviceEndpoint"] == "http://bsky.sim"
    fake.advance(7200)
    assert error_of(raw.get("com.atproto.server.getSession")) == (400, "ExpiredToken")


def test_a_wrong_password_and_missing_auth_are_refused(raw: Raw) -> None:
    answer = raw.post(
        "com.atproto.server.createSession", {"identifier": "replybot", "password": "x"}
    )
    assert answer.json() == {
        "error": "AuthenticationRequired",
        "message": "Invalid identifier or password",
    }
    assert answer.status_code == 401
    assert error_of(raw.get("app.bsky.notification.listNotifications")) == (
        401,
        "AuthenticationRequired",
    )


def test_refresh_rotates_and_the_old_refresh_token_dies(raw: Raw) -> None:
    session = raw.login()
    fresh = raw.post("com.atproto.server.refreshSession", token=session["refreshJwt"])
    assert fresh.status_code == 200
    assert fresh.json()["refreshJwt"] != session["refreshJwt"]
    again = raw.post("com.atproto.server.refreshSession", token=session["refreshJwt"])
    assert error_of(again) == (400, "ExpiredToken")
    assert raw.post(
        "com.atproto.server.refreshSession", token=fresh.json()["refreshJwt"]
    ).is_success


def test_logins_are_limited_per_account(raw: Raw) -> None:
    for _ in range(30):
        raw.login()
    creds = raw.fake.credentials()
    answer = raw.post("com.atproto.server.createSession", dict(list(creds.items())[:2]))
    assert error_of(answer) == (429, "RateLimitExceeded")
    assert answer.json()["message"] == "Rate Limit Exceeded"
    assert answer.headers["ratelimit-policy"] == "30;w=300"
    assert answer.headers["ratelimit-remaining"] == "0"
    raw.fake.advance(300)
    raw.login()


def test_every_answer_carries_rate_limit_headers(raw: Raw, fake: FakeBluesky) -> None:
    missing = raw.get("com.atproto.repo.getRecord", repo="replybot", collection=POST, rkey="x")
    assert missing.status_code == 400
    assert missing.headers["ratelimit-remaining"] == "2999"
    unauthenticated = raw.get("app.bsky.notification.listNotifications")
    assert unauthenticated.status_code == 401
    assert unauthenticated.headers["ratelimit-remaining"] == "2998"
    answer = raw.get("com.atproto.server.describeServer")
    assert answer.headers["ratelimit-limit"] == "3000"
    assert answer.headers["ratelimit-policy"] == "3000;w=300"
    assert int(answer.headers["ratelimit-reset"]) == int(START.timestamp()) + 300


def test_records_are_validated(raw: Raw) -> None:
    raw.login()
    too_many = raw.create("é" * 301)
    assert error_of(too_many) == (400, "InvalidRequest")
    assert too_many.json()["message"] == "grapheme too big (maximum 300, got 301) at $.record.text"
    too_big = raw.create("👩‍👩‍👧‍👦" * 121)  # 121 graphemes, 3,025 bytes
    assert error_of(too_big) == (400, "InvalidRequest")
    assert too_big.json()["message"] == "string too big (maximum 3000, got 3025) at $.record.text"
    assert error_of(raw.create("hi", rkey="not-a-tid")) == (400, "InvalidRequest")
    bad_ref = {"root": {"uri": "at://did:plc:x/app.bsky.feed.post/3k", "cid": "b"}}
    assert error_of(raw.create("hi", reply=bad_ref)) == (400, "InvalidRequest")
    assert raw.create("fine").status_code == 200


def test_a_client_rkey_is_honoured_and_a_second_create_is_a_500(
    raw: Raw, fake: FakeBluesky
) -> None:
    raw.login()
    rkey = tid_at(START, 7)
    created = raw.create("first", rkey=rkey)
    assert created.json()["uri"] == f"at://{fake.bot().did}/{POST}/{rkey}"
    assert created.json()["validationStatus"] == "valid"
    assert error_of(raw.create("second", rkey=rkey)) == (500, "InternalServerError")
    fake.configure(duplicate_rkey="named")
    assert error_of(raw.create("second", rkey=rkey)) == (400, "RecordAlreadyExists")
    found = raw.get("com.atproto.repo.getRecord", repo=fake.bot().did, collection=POST, rkey=rkey)
    assert found.json()["value"]["text"] == "first"


def test_a_missing_record_is_record_not_found(raw: Raw, fake: FakeBluesky) -> None:
    answer = raw.get(
        "com.atproto.repo.getRecord", repo=fake.bot().did, collection=POST, rkey=tid_at(START)
    )
    assert error_of(answer) == (400, "RecordNotFound")
    assert answer.json()["message"].startswith("Could not locate record: at://")


def test_swap_commit_must_match(raw: Raw, fake: FakeBluesky) -> None:
    raw.login()
    first = raw.create("one").json()
    record = {"$type": POST, "text": "two", "createdAt": "2026-03-02T09:00:00Z"}
    body = {
        "repo": fake.bot().did,
        "collection": POST,
        "swapCommit": "bafyreiwrong",
        "record": record,
    }
    assert error_of(raw.post("com.atproto.repo.createRecord", body)) == (400, "InvalidSwap")
    body["swapCommit"] = first["commit"]["cid"]
    assert raw.post("com.atproto.repo.createRecord", body).status_code == 200


def test_notifications_lag_while_own_reads_are_immediate(raw: Raw, fake: FakeBluesky) -> None:
    fake.configure(notification_delay_seconds=5, view_delay_seconds=5, search_delay_seconds=20)
    raw.login()
    user = fake.world.users[0].handle
    mention = fake.post_as(user, "@replybot sourdough?")
    created = raw.create("own sourdough post").json()
    notes = raw.get("app.bsky.notification.listNotifications").json()["notifications"]
    assert notes == []
    own_feed = raw.get("app.bsky.feed.getAuthorFeed", actor=fake.bot().did).json()["feed"]
    assert own_feed[0]["post"]["uri"] == created["uri"]
    user_feed = raw.get("app.bsky.feed.getAuthorFeed", actor=user).json()["feed"]
    assert user_feed == []
    fake.advance(5)
    notes = raw.get("app.bsky.notification.listNotifications").json()["notifications"]
    assert [(note["uri"], note["reason"]) for note in notes] == [(mention["id"], "mention")]
    assert raw.get("app.bsky.feed.searchPosts", q="sourdough").json()["posts"] == []
    fake.advance(15)
    hits = raw.get("app.bsky.feed.searchPosts", q="sourdough").json()
    assert hits["hitsTotal"] == 2


def test_notifications_name_replies_quotes_and_mentions(raw: Raw, fake: FakeBluesky) -> None:
    raw.login()
    users = [user.handle for user in fake.world.users]
    bot_post = fake.posts_of("replybot")[0]["id"]
    reply = fake.post_as(users[0], "nice", in_reply_to=bot_post)
    quote = fake.post_as(users[1], "look", quote_of=bot_post)
    deep = fake.post_as(users[2], "in your thread", in_reply_to=reply["id"])
    fake.post_as(users[2], "nothing to do with us")
    notes = raw.get("app.bsky.notification.listNotifications").json()["notifications"]
    reasons = {note["uri"]: (note["reason"], note.get("reasonSubject")) for note in notes}
    assert reasons == {
        reply["id"]: ("reply", bot_post),
        quote["id"]: ("quote", bot_post),
        deep["id"]: ("reply", reply["id"]),
    }
    only = raw.get("app.bsky.notification.listNotifications", **{"reasons[]": "quote"}).json()
    assert [note["uri"] for note in only["notifications"]] == [quote["id"]]


def test_cursors_page_and_are_absent_on_the_last_page(raw: Raw, fake: FakeBluesky) -> None:
    raw.login()
    for number in range(5):
        fake.ghost(f"post {number}")
        fake.advance(1)
    first = raw.get("app.bsky.feed.getAuthorFeed", actor="replybot", limit=4).json()
    assert len(first["feed"]) == 4
    rest = raw.get(
        "app.bsky.feed.getAuthorFeed", actor="replybot", limit=4, cursor=first["cursor"]
    ).json()
    assert len(rest["feed"]) == 4  # five new posts and three from history
    assert "cursor" not in rest
    seen = [item["post"]["uri"] for item in first["feed"] + rest["feed"]]
    assert len(set(seen)) == 8
    assert error_of(raw.get("app.bsky.feed.getAuthorFeed", actor="replybot", limit=101)) == (
        400,
        "InvalidRequest",
    )


def test_threads_profiles_and_handles(raw: Raw, fake: FakeBluesky) -> None:
    raw.login()
    user = fake.world.users[0].handle
    root = fake.post_as(user, "root")
    child = fake.post_as("replybot", "child", in_reply_to=root["id"])
    thread = raw.get("app.bsky.feed.getPostThread", uri=child["id"]).json()["thread"]
    assert thread["parent"]["post"]["uri"] == root["id"]
    assert thread["post"]["record"]["reply"]["root"]["uri"] == root["id"]
    missing = raw.get("app.bsky.feed.getPostThread", uri=root["id"] + "x")
    assert error_of(missing) == (400, "NotFound")
    profile = raw.get("app.bsky.actor.getProfile", actor="replybot.bsky.social").json()
    assert profile["did"] == fake.bot().did
    assert profile["labels"][0]["val"] == "bot"
    resolved = raw.get("com.atproto.identity.resolveHandle", handle="replybot.bsky.social")
    assert resolved.json() == {"did": fake.bot().did}
    assert (
        raw.get("com.atproto.identity.resolveHandle", handle="nobody.bsky.social").status_code
        == 400
    )
    assert error_of(raw.get("app.bsky.feed.getTimeline")) == (501, "MethodNotImplemented")


def test_injected_statuses_use_bluesky_error_bodies(raw: Raw, fake: FakeBluesky) -> None:
    fake.inject("GET /xrpc/com.atproto.server.describeServer", "status", status=502)
    assert raw.get("com.atproto.server.describeServer").json() == {
        "error": "UpstreamFailure",
        "message": "Upstream Failure",
    }
    fake.inject("GET /xrpc/com.atproto.server.describeServer", "status", status=429)
    limited = raw.get("com.atproto.server.describeServer")
    assert limited.json()["error"] == "RateLimitExceeded"
    assert limited.headers["ratelimit-remaining"] == "0"


def test_the_admin_api_posts_ghosts_lists_and_revokes(raw: Raw, fake: FakeBluesky) -> None:
    session = raw.login()
    ghost = raw.http.post("/_sim/posts", json={"author": "replybot", "text": "ghost!"})
    assert ghost.status_code == 201
    listed = raw.http.get("/_sim/posts", params={"author": "replybot.bsky.social"}).json()
    assert listed["posts"][-1]["id"] == ghost.json()["post"]["id"]
    assert listed["posts"][-1]["author"] == "replybot.bsky.social"
    world = raw.http.get("/_sim/world").json()
    assert world["bot_accounts"][0]["credentials"]["identifier"] == "replybot.bsky.social"
    assert raw.http.post("/_sim/revoke", json={"handle": "replybot"}).status_code == 200
    refused = raw.post("com.atproto.server.refreshSession", token=session["refreshJwt"])
    assert error_of(refused) == (400, "InvalidToken")
    assert raw.http.post("/_sim/settings", json={"duplicate_rkey": "named"}).status_code == 200
    assert fake.settings.duplicate_rkey == "named"
    limit = {"kind": "write", "limit": 3, "window_seconds": 60}
    assert raw.http.post("/_sim/limits", json=limit).status_code == 200
    raw.login()
    assert raw.create("one").status_code == 200
    assert error_of(raw.create("two")) == (429, "RateLimitExceeded")
    fake.limits.set_windows("write", (Window(limit=5000, seconds=3600),))


def test_the_traffic_generator_mentions_the_bot_with_facets(fake: FakeBluesky) -> None:
    busy = FakeBluesky(
        build_world(5), clock=SimClock(start=START, speed=0),
        settings=BlueskyFakeSettings(traffic_per_minute=6, notification_delay_seconds=0),
    )  # fmt: skip
    busy.advance(600)
    busy.catch_up()
    bot = busy.bot()
    mentioning = busy.store.select(lambda record: bot.did in record.mention_dids)
    assert mentioning
    assert all("@replybot.bsky.social" in record.text for record in mentioning)
    del fake
