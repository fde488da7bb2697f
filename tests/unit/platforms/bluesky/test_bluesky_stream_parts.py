"""The Jetstream consumer's small parts: its URL, the resume point, the profile cache."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from xbot.platforms.bluesky.profiles import AuthorProfiles
from xbot.platforms.bluesky.stream import resume_point, subscribe_url

FIVE = timedelta(seconds=5)


@pytest.mark.parametrize(
    ("base", "since", "url"),
    [
        ("wss://jetstream2.us-east.bsky.network", None,
         "wss://jetstream2.us-east.bsky.network/subscribe?wantedCollections=app.bsky.feed.post"),
        ("ws://127.0.0.1:9/", 17,
         "ws://127.0.0.1:9/subscribe?wantedCollections=app.bsky.feed.post&cursor=17"),
        ("wss://js.example/subscribe", 0,
         "wss://js.example/subscribe?wantedCollections=app.bsky.feed.post&cursor=0"),
    ],
)  # fmt: skip
def test_the_subscription_asks_for_posts_from_the_point(
    base: str, since: int | None, url: str
) -> None:
    assert subscribe_url(base, since) == url


@pytest.mark.parametrize(
    ("cursor", "point"),
    [(None, None), ("", None), ("garbage", None), ("-5", None), ("12000000", 7_000_000), ("3", 0)],
)
def test_the_resume_point_is_the_cursor_minus_the_margin(
    cursor: str | None, point: int | None
) -> None:
    assert resume_point(cursor, FIVE) == point


class Reads:
    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, did: str) -> dict[str, Any]:
        self.asked.append(did)
        return {"did": did, "handle": f"{did[-1]}.test", "n": len(self.asked)}


def test_a_profile_is_read_once_within_its_time_to_live() -> None:
    now = [0.0]
    reads = Reads()
    profiles = AuthorProfiles(reads, ttl_seconds=60, clock=lambda: now[0])
    assert profiles.get("did:plc:a")["handle"] == "a.test"
    now[0] = 59
    assert profiles.get("did:plc:a")["n"] == 1
    now[0] = 61
    assert profiles.get("did:plc:a")["n"] == 2
    assert reads.asked == ["did:plc:a", "did:plc:a"]


def test_the_least_recently_used_profile_goes_first() -> None:
    reads = Reads()
    profiles = AuthorProfiles(reads, size=2)
    for did in ("did:plc:a", "did:plc:b", "did:plc:a", "did:plc:c", "did:plc:a", "did:plc:b"):
        profiles.get(did)
    assert reads.asked == ["did:plc:a", "did:plc:b", "did:plc:c", "did:plc:b"]


def test_a_failed_read_is_not_kept() -> None:
    calls: list[str] = []

    def failing(did: str) -> dict[str, Any]:
        calls.append(did)
        raise RuntimeError("AppView down")

    profiles = AuthorProfiles(failing)
    for _ in range(2):
        with pytest.raises(RuntimeError):
            profiles.get("did:plc:a")
    assert calls == ["did:plc:a", "did:plc:a"]
