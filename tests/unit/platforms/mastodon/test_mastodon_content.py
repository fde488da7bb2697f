"""Mastodon HTML content to plain text, and Mastodon answers to xbot's errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from xbot.domain.errors import (
    Ambiguous,
    AuthFailed,
    BadResponse,
    ForbiddenByPolicy,
    NotFound,
    RateLimited,
    Transient,
)
from xbot.platforms.mastodon import html_to_text
from xbot.platforms.mastodon.errors import rate_limit_reset, status_error
from xbot.platforms.mastodon.statuses import newest_id, next_max_id
from xbot.platforms.mastodon.watermark import Watermark

MENTION_HTML = (
    '<p><span class="h-card"><a href="https://m.example/@ann" class="u-url mention">'
    "@<span>ann</span></a></span> hi</p>"
)
LINK_HTML = (
    '<p><a href="https://example.com/a/long/path"><span class="invisible">https://</span>'
    '<span class="ellipsis">example.com/a/lo</span><span class="invisible">ng/path</span></a></p>'
)


@pytest.mark.parametrize(
    ("content", "text"),
    [
        ("<p>hello</p>", "hello"),
        ("<p>a &amp; b &lt;3 &quot;q&quot; &#39;s&#39;</p>", "a & b <3 \"q\" 's'"),
        ("<p>one<br />two<br>three</p>", "one\ntwo\nthree"),
        ("<p>first</p><p>second</p>", "first\n\nsecond"),
        (MENTION_HTML, "@ann hi"),
        (LINK_HTML, "https://example.com/a/long/path"),
        ("<p></p>", ""),
        ("plain", "plain"),
    ],
)
def test_content_becomes_the_text_the_author_wrote(content: str, text: str) -> None:
    assert html_to_text(content) == text


def test_the_reset_is_iso_8601_or_epoch() -> None:
    iso = {"x-ratelimit-reset": "2026-03-02T09:05:00.000000Z"}
    assert rate_limit_reset(iso) == datetime(2026, 3, 2, 9, 5, tzinfo=UTC)
    assert rate_limit_reset({"x-ratelimit-reset": "1772442300"}) == datetime.fromtimestamp(
        1772442300, UTC
    )
    assert rate_limit_reset({"x-ratelimit-reset": "soon"}) is None
    assert rate_limit_reset({}) is None


@pytest.mark.parametrize(
    ("status", "body", "write", "error"),
    [
        (401, b'{"error":"The access token is invalid"}', False, AuthFailed),
        (403, b'{"error":"Your login is currently disabled"}', False, AuthFailed),
        (403, b'{"error":"This action is not allowed"}', True, ForbiddenByPolicy),
        (404, b'{"error":"Record not found"}', False, NotFound),
        (422, b'{"error":"Validation failed: Text character limit of 500 exceeded"}', True,
         ForbiddenByPolicy),
        (429, b'{"error":"Too many requests"}', True, RateLimited),
        (500, b"<html>oops</html>", False, Transient),
        (503, b'{"error":"busy"}', True, Ambiguous),
        (302, b"", False, BadResponse),
    ],
)  # fmt: skip
def test_statuses_map_to_one_error_each(
    status: int, body: bytes, write: bool, error: type[Exception]
) -> None:
    mapped = status_error(status, body, {}, endpoint="POST /api/v1/statuses", write=write,
                          secrets=["sekrit"])  # fmt: skip
    assert type(mapped) is error
    assert mapped.status == status


def test_secrets_never_reach_the_message() -> None:
    mapped = status_error(
        401, b'{"error":"bad token sekrit"}', {}, endpoint="GET /x", write=False, secrets=["sekrit"]
    )
    assert "sekrit" not in str(mapped)
    assert "sekrit" not in mapped.excerpt


def test_ids_compare_by_length_then_lexically_and_links_give_the_next_page() -> None:
    assert newest_id(["99", "100", None]) == "100"
    assert newest_id([None]) is None
    link = (
        '<https://m.example/api/v1/notifications?max_id=42&limit=40>; rel="next", <x>; rel="prev"'
    )
    assert next_max_id({"link": link}) == "42"
    assert next_max_id({"link": '<https://m.example/?min_id=7>; rel="prev"'}) is None


def test_the_watermark_is_a_bare_id_until_hashtags_join() -> None:
    assert Watermark.parse(None) == Watermark()
    assert Watermark.parse("123") == Watermark(notifications="123")
    assert Watermark(notifications="123").dump() == "123"
    both = Watermark(notifications="123", tags={"python": "77", "jazz": "9"})
    assert both.dump() == '{"notifications":"123","tags":{"jazz":"9","python":"77"}}'
    assert Watermark.parse(both.dump()) == both
    assert Watermark.parse("{not json") == Watermark()
