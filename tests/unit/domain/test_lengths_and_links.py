"""Platform lengths agree with twitter-text; the link finder sees all that twitter-text sees."""

from __future__ import annotations

import pytest
import twitter_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xbot.domain.lengths import MAX_CODE_POINTS, mastodon_length, measure, x_weighted_length
from xbot.domain.links import (
    find_cashtags,
    find_links,
    find_mentions,
    same_handle,
    top_level_domains,
)
from xbot.domain.policy import PlatformName
from xbot.domain.text import normalize_text

pieces = st.sampled_from(
    [
        "a",
        "b",
        " ",
        ".",
        "com",
        "org",
        "js",
        "https://",
        "www.",
        "t.co/x",
        "\u65e5",
        "\U0001f600",
        "\U0001f468\u200d\U0001f469",
        "-",
        "/",
        "@",
        "\n",
        "\u00e9",
        "py",
        "1",
        ":",
    ]
)
texts = st.lists(pieces, max_size=60).map("".join).map(normalize_text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_x_weighted_length_equals_twitter_text(text: str) -> None:
    assert x_weighted_length(text) == twitter_text.parse_tweet(text).weightedLength


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_every_twitter_text_url_is_found(text: str) -> None:
    if twitter_text.extract_urls(text):
        assert find_links(text, skip_mentions=False)


def test_top_level_domains_come_from_twitter_text() -> None:
    domains = top_level_domains()
    assert {"com", "org", "io", "ly", "co", "social"} <= domains
    assert "js" not in domains
    assert len(domains) > 1000


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("nothing here", []),
        ("see example.com.", ["example.com"]),
        ("HTTPS://EXAMPLE.COM/A", ["https://example.com/a"]),
        ("ftp://files", ["ftp://files"]),
        ("hxxps://defanged", ["hxxps://defanged"]),
        ("evil (dot) com", ["evil.com"]),
        ("evil [ . ] org", ["evil.org"]),
        ("evil\u3002com", ["evil.com"]),
        ("Node.js, e.g. v3.12", []),
        ("@ann.bsky.social hi", []),
    ],
)
def test_find_links(text: str, links: list[str]) -> None:
    assert find_links(text) == links


@pytest.mark.parametrize(
    ("text", "mentions"),
    [
        ("@Ann hi", ["ann"]),
        ("hi @ann.bsky.social.", ["ann.bsky.social"]),
        ("@ann@mastodon.social", ["ann@mastodon.social"]),
        ("mail bob@example.com", []),
        ("\uff20Everyone", ["everyone"]),
        ("@a @b", ["a", "b"]),
    ],
)
def test_find_mentions(text: str, mentions: list[str]) -> None:
    assert find_mentions(text) == mentions


def test_same_handle() -> None:
    assert same_handle("ANN", "@ann")
    assert same_handle("ann", "ann@mastodon.social")
    assert not same_handle("ann@evil.example", "ann@mastodon.social")
    assert not same_handle("anna", "ann")


def test_cashtags() -> None:
    assert find_cashtags("$TSLA $aapl $5 a$b") == ["$tsla", "$aapl"]


@pytest.mark.parametrize(
    ("text", "platform", "length", "unit"),
    [
        ("hello", PlatformName.X, 5, "weighted"),
        ("\u65e5\u672c", PlatformName.X, 4, "weighted"),
        ("see https://example.com/a/b/c", PlatformName.X, 27, "weighted"),
        ("\U0001f468\u200d\U0001f469\u200d\U0001f467", PlatformName.X, 2, "weighted"),
        ("\U0001f468\u200d\U0001f469\u200d\U0001f467", PlatformName.BLUESKY, 1, "graphemes"),
        ("https://example.com/" + "a" * 100, PlatformName.MASTODON, 23, "characters"),
        ("x" * (MAX_CODE_POINTS + 1), PlatformName.MASTODON, MAX_CODE_POINTS + 1, "code points"),
    ],
)
def test_measure(text: str, platform: PlatformName, length: int, unit: str) -> None:
    measured = measure(text, platform)
    assert (measured.length, measured.unit) == (length, unit)


def test_mastodon_trailing_punctuation_is_not_part_of_the_url() -> None:
    assert mastodon_length("see https://example.com/" + "a" * 50 + ".") == 4 + 23 + 1
