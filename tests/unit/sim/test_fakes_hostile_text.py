"""Every fake survives any text a test can inject: no hang, no 500, no poisoned later reads.

Seen failing: the fake X spent minutes on a mention of 4 000 times "a." (twitter-text's URL
regex backtracks), and after a mention holding a lone surrogate it answered 500 on every later
fetch (the stored text could not be encoded as UTF-8). The timeout below is generous on
purpose: it separates "answers" from "hangs", it does not measure speed (bench/ does that).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xbot.sim.bluesky.fake import FakeBluesky
from xbot.sim.core.scripting import ScriptedFake
from xbot.sim.core.world import build_world
from xbot.sim.mastodon.fake import FakeMastodon
from xbot.sim.x.fake import FakeX
from xbot.sim.x.settings import XFakeSettings

#: far above any honest answer, far below "hangs for minutes"
GENEROUS_SECONDS = 20.0
HOSTILE = [
    "a." * 4000,
    "hi \ud800 there",
    "\udfff",
    "\ud83d\ude00 paired halves of an emoji",
    "1.2." * 1000,
    "https://" + "a." * 1000,
    "\x00\x01\x1b[31m\u202e\u2066\ufeff",
    "@" * 3000,
    "#" + "x" * 5000,
    "$" + "A" * 5000,
]


Call = Callable[[httpx2.Client, str], httpx2.Response]


class Probe:
    """Posts as a world user (admin API) or as the bot (public API), then reads back."""

    def __init__(self, fake: ScriptedFake, read: Call, write: Call) -> None:
        self.fake = fake
        self.http = httpx2.Client(
            transport=fake.transport(), base_url="http://fake.sim", timeout=GENEROUS_SECONDS
        )
        self.read = read
        self.write = write
        self.author = next(user.handle for user in fake.world.users if not user.automated)

    def inject(self, text: str) -> httpx2.Response:
        body = json.dumps({"author": self.author, "text": f"@{self.fake.bot_handle()} {text}"})
        headers = {"Content-Type": "application/json"}
        return self.http.post("/_sim/posts", content=body.encode(), headers=headers)

    def survives(self, text: str) -> None:
        self.fake.advance(5)  # stay clear of the read rate limits over many examples
        injected = self.inject(text)
        assert injected.status_code < 500, injected.text[:200]
        self.reads_back()

    def survives_posting(self, text: str) -> None:
        self.fake.advance(5)
        posted = self.write(self.http, text)
        assert posted.status_code < 500, posted.text[:200]
        self.reads_back()

    def reads_back(self) -> None:
        bot_posts = self.http.get("/_sim/posts", params={"author": self.fake.bot_handle()})
        for answer in (self.read(self.http, ""), self.posts(), bot_posts):
            assert answer.status_code == 200, answer.text[:200]
            answer.json()

    def posts(self) -> httpx2.Response:
        return self.http.get("/_sim/posts", params={"author": self.author})


def _x() -> Probe:
    fake = FakeX(build_world(11), settings=XFakeSettings(search_delay_seconds=0.0))
    bot = fake.bot()
    token = fake.credentials()["oauth2_access_token"]

    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def read(http: httpx2.Client, _text: str) -> httpx2.Response:
        params = {"expansions": "author_id", "tweet.fields": "entities,created_at"}
        return http.get(f"/2/users/{bot.user_id}/mentions", params=params, headers=headers)

    def write(http: httpx2.Client, text: str) -> httpx2.Response:
        return http.post("/2/tweets", content=json.dumps({"text": text}).encode(), headers=headers)

    return Probe(fake, read, write)


def _bluesky() -> Probe:
    fake = FakeBluesky(build_world(11))
    login = fake.credentials()

    sessions: list[str] = []

    def auth(http: httpx2.Client) -> dict[str, str]:
        if not sessions:
            session = http.post(
                "/xrpc/com.atproto.server.createSession",
                json={"identifier": login["identifier"], "password": login["password"]},
            )
            sessions.append(session.json()["accessJwt"])
        return {"Authorization": f"Bearer {sessions[0]}", "Content-Type": "application/json"}

    def read(http: httpx2.Client, _text: str) -> httpx2.Response:
        return http.get("/xrpc/app.bsky.notification.listNotifications", headers=auth(http))

    def write(http: httpx2.Client, text: str) -> httpx2.Response:
        record = {"$type": "app.bsky.feed.post", "text": text,
                  "createdAt": "2026-03-02T09:00:00.000Z"}  # fmt: skip
        body = {"repo": login["did"], "collection": "app.bsky.feed.post", "record": record}
        return http.post(
            "/xrpc/com.atproto.repo.createRecord",
            content=json.dumps(body).encode(), headers=auth(http),
        )  # fmt: skip

    return Probe(fake, read, write)


def _mastodon() -> Probe:
    fake = FakeMastodon(build_world(11))
    token = fake.credentials()["access_token"]

    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def read(http: httpx2.Client, _text: str) -> httpx2.Response:
        return http.get("/api/v1/notifications", headers=headers)

    def write(http: httpx2.Client, text: str) -> httpx2.Response:
        body = json.dumps({"status": text}).encode()
        return http.post("/api/v1/statuses", content=body, headers=headers)

    return Probe(fake, read, write)


MAKERS = {"x": _x, "bluesky": _bluesky, "mastodon": _mastodon}


@pytest.fixture(params=sorted(MAKERS), scope="module")
def probe(request: pytest.FixtureRequest) -> Iterator[Probe]:
    made = MAKERS[request.param]()
    yield made
    made.http.close()


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_a_hostile_mention_neither_hangs_nor_poisons_later_reads(probe: Probe, text: str) -> None:
    probe.survives(text)
    probe.survives("an ordinary question afterwards")


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_a_hostile_post_through_the_api_neither_hangs_nor_poisons_later_reads(
    probe: Probe, text: str
) -> None:
    probe.survives_posting(text)
    probe.survives_posting("an ordinary post afterwards")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(alphabet=st.characters(codec=None), max_size=400))
def test_any_text_at_all(probe: Probe, text: str) -> None:
    probe.survives(text)


def test_a_stored_lone_surrogate_reads_back_as_a_replacement_character(probe: Probe) -> None:
    probe.inject("lone \ud800 half")
    texts: list[Any] = [post["text"] for post in probe.posts().json()["posts"]]
    assert any("lone \ufffd half" in text for text in texts)


@pytest.mark.parametrize(
    ("text", "status"), [("a." * 4000, 403), ("1.2." * 200, 403), ("x \ud800 y", 201)]
)
def test_the_fake_x_answers_a_hostile_post_at_once(text: str, status: int) -> None:
    fake = FakeX(build_world(11), settings=XFakeSettings(search_delay_seconds=0.0))
    token = fake.credentials()["oauth2_access_token"]
    with httpx2.Client(
        transport=fake.transport(), base_url="http://x.sim", timeout=GENEROUS_SECONDS
    ) as http:
        body = json.dumps({"text": text}).encode()
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        answer = http.post("/2/tweets", content=body, headers=headers)
    assert answer.status_code == status, answer.text[:200]
    if status == 201:
        assert answer.json()["data"]["text"] == "x \ufffd y"
