"""A handle written as a mention on each platform, and handles that cannot be mentioned."""

from __future__ import annotations

import pytest

from xbot.domain.links import find_links, find_mentions, same_handle
from xbot.domain.mentions import mention
from xbot.domain.policy import PlatformName

X, BLUESKY, MASTODON = PlatformName.X, PlatformName.BLUESKY, PlatformName.MASTODON


@pytest.mark.parametrize(
    ("platform", "handle", "expected"),
    [
        (X, "ann_dev", "@ann_dev"),
        (X, "@Ann_Dev", "@Ann_Dev"),
        (X, "a" * 15, "@" + "a" * 15),
        (BLUESKY, "alice.bsky.social", "@alice.bsky.social"),
        (BLUESKY, "@Alice.Example.COM", "@alice.example.com"),
        (BLUESKY, "xn--bcher-kva.example", "@xn--bcher-kva.example"),
        (MASTODON, "ann", "@ann"),
        (MASTODON, "ann@Fosstodon.org", "@ann@fosstodon.org"),
        (MASTODON, "@ann.smith@mastodon.social", "@ann.smith@mastodon.social"),
    ],
)
def test_a_handle_becomes_a_mention(platform: PlatformName, handle: str, expected: str) -> None:
    written = mention(platform, handle)
    assert written == expected
    # the guard reads it as a mention of exactly that author, never as a link
    assert [found for found in find_mentions(f"hi {written}!") if same_handle(found, handle)]
    assert find_links(f"hi {written}!") == []


@pytest.mark.parametrize(
    ("platform", "handle"),
    [
        (X, ""),
        (X, "a" * 16),
        (X, "ann.bsky.social"),
        (X, "ann dev"),
        (BLUESKY, "alice"),
        (BLUESKY, "alice.bsky.social/path"),
        (BLUESKY, "-alice.bsky.social"),
        (BLUESKY, "alice..social"),
        (BLUESKY, "alice.123"),
        (BLUESKY, "a." * 130 + "com"),
        (MASTODON, "ann smith"),
        (MASTODON, "ann@"),
        (MASTODON, "ann@localhost"),
        (MASTODON, "@@ann"),
    ],
)
def test_a_string_that_is_no_handle_gets_no_mention(platform: PlatformName, handle: str) -> None:
    assert mention(platform, handle) is None
