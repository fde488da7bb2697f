"""How long a reply is, counted the way each platform counts (platform-facts §1.7, §2.5, §3.5)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import assert_never

import regex
import twitter_text

from xbot.domain.links import find_links
from xbot.domain.policy import PlatformName
from xbot.domain.text import grapheme_count

X_MAX_WEIGHTED = 280
BLUESKY_MAX_GRAPHEMES = 300
BLUESKY_MAX_BYTES = 3000
MASTODON_DEFAULT_MAX = 500
#: X and Mastodon count every URL as this many characters
URL_LENGTH = 23
#: no reply we post is longer than this many code points; longer text is refused unparsed
MAX_CODE_POINTS = 1000

_SEPARATOR = regex.compile(r"([ \n]+)")
_MASTODON_URL = regex.compile(r"https?://[^\s]+?(?=[.,;:!?)\]'\"]*(?:\s|$))")


@dataclass(frozen=True, kw_only=True, slots=True)
class Length:
    """A reply's length in the platform's unit, and the platform's limit."""

    length: int
    limit: int
    unit: str

    @property
    def fits(self) -> bool:
        """Return True when the reply is within the limit."""
        return self.length <= self.limit


def measure(text: str, platform: PlatformName, *, limit: int | None = None) -> Length:
    """Return the length of `text` on `platform`; `limit` overrides the default (Mastodon)."""
    if len(text) > MAX_CODE_POINTS:
        return Length(length=len(text), limit=limit or MAX_CODE_POINTS, unit="code points")
    match platform:
        case PlatformName.X:
            return Length(length=x_weighted_length(text), limit=X_MAX_WEIGHTED, unit="weighted")
        case PlatformName.BLUESKY:
            return _bluesky_length(text)
        case PlatformName.MASTODON:
            maximum = limit or MASTODON_DEFAULT_MAX
            return Length(length=mastodon_length(text), limit=maximum, unit="characters")
        case _:
            assert_never(platform)


def x_weighted_length(text: str) -> int:
    """Return the X weighted length (twitter-text v3: CJK and emoji 2, URLs 23)."""
    # twitter-text's URL regex backtracks for seconds on dotted runs like `a.a.a...`. Words that
    # hold no link get their dots swapped for commas (same weight), so only link words are
    # ever searched for URLs; whitespace separates words, so no URL spans two of them.
    words = _SEPARATOR.split(text)
    for index in range(0, len(words), 2):
        if not find_links(words[index], skip_mentions=False):
            words[index] = words[index].replace(".", ",")
        elif len(words[index]) > X_MAX_WEIGHTED:
            # one "word" this long that holds a link is not a reply: refuse it unparsed
            return X_MAX_WEIGHTED + 1
    return int(twitter_text.parse_tweet("".join(words)).weightedLength)


def _bluesky_length(text: str) -> Length:
    size = len(text.encode("utf-8"))
    if size > BLUESKY_MAX_BYTES:
        return Length(length=size, limit=BLUESKY_MAX_BYTES, unit="bytes")
    return Length(length=grapheme_count(text), limit=BLUESKY_MAX_GRAPHEMES, unit="graphemes")


def mastodon_length(text: str) -> int:
    """Return Mastodon's count: characters, with each http(s) URL counted as 23."""
    urls = _MASTODON_URL.findall(text)
    rest = _MASTODON_URL.sub("", text)
    return grapheme_count(rest) + URL_LENGTH * len(urls)
