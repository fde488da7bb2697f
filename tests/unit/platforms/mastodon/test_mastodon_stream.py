"""Reading Mastodon's streaming messages: mentions of the account become posts, nothing else."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx2
import pytest
from pydantic import SecretStr

from xbot.config import AccountSettings
from xbot.domain.errors import PlatformError
from xbot.domain.intake import (
    MentionStream,
    ResumesBackfill,
    StreamDisconnected,
    Streaming,
    StreamUnavailable,
)
from xbot.domain.posts import Post
from xbot.platforms.http import HttpOptions
from xbot.platforms.mastodon import build_mastodon_platform
from xbot.platforms.mastodon.statuses import MalformedError, Me, post_from
from xbot.platforms.mastodon.stream import MastodonUserStream, item_from, streaming_base

ME = Me(account_id="7", acct="replybot")
AT = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)


def account(account_id: str = "21", acct: str = "ann", **fields: Any) -> dict[str, Any]:
    return {"id": account_id, "username": acct, "acct": acct, "bot": False, **fields}


def status(status_id: str = "1001", author: dict[str, Any] | None = None, **fields: Any) -> dict:
    return {
        "id": status_id,
        "created_at": "2026-12-02T04:59:58.000Z",
        "content": '<p><span class="h-card"><a href="https://m.sim/@replybot">@replybot</a>'
        "</span> hi</p>",
        "visibility": "public",
        "url": f"https://m.sim/@ann/{status_id}",
        "account": author or account(),
        "mentions": [{"id": "7", "username": "replybot", "acct": "replybot", "url": "u"}],
        "in_reply_to_id": None,
        "in_reply_to_account_id": None,
        **fields,
    }


def message(event: str, payload: Any, stream: str = "user:notification") -> str:
    encoded = payload if isinstance(payload, str) else json.dumps(payload)
    return json.dumps({"stream": [stream], "event": event, "payload": encoded})


def notification(kind: str = "mention", body: dict[str, Any] | None = None, **fields: Any) -> dict:
    return {"id": "5005", "type": kind, "created_at": "2026-12-02T04:59:59.000Z",
            "account": account(), "status": body or status(), **fields}  # fmt: skip


def test_a_mention_is_read_exactly_as_the_poll_reads_it() -> None:
    item = item_from(message("notification", notification()), ME, received_at=AT)
    assert item.post == post_from(status(), ME, summoned=True)
    assert item.post is not None
    assert (item.post.post_id, item.post.text, item.post.mentions) == (
        "1001",
        "@replybot hi",
        ("replybot",),
    )
    assert item.post.summoned is True
    assert (item.cursor, item.received_at) == ("5005", AT)


def test_a_reply_to_our_post_is_a_mention_notification_and_summons() -> None:
    reply = status("1002", in_reply_to_id="900", in_reply_to_account_id="7")
    item = item_from(message("notification", notification(body=reply)), ME, received_at=AT)
    assert item.post is not None
    assert (item.post.in_reply_to_post_id, item.post.summoned) == ("900", True)


def test_a_payload_given_as_an_object_is_read_too() -> None:
    raw = json.dumps({"stream": ["user:notification"], "event": "notification",
                      "payload": notification()})  # fmt: skip
    item = item_from(raw, ME, received_at=AT)
    assert item.post is not None
    assert item.post.post_id == "1001"


def test_our_own_post_is_never_a_candidate() -> None:
    own = status("1003", author=account("7", "replybot"))
    item = item_from(message("notification", notification(body=own)), ME, received_at=AT)
    assert (item.post, item.cursor) == (None, "5005")


@pytest.mark.parametrize("kind", ["favourite", "reblog", "follow", "quote", "status", "poll"])
def test_other_notifications_move_the_cursor_but_bring_no_post(kind: str) -> None:
    item = item_from(message("notification", notification(kind)), ME, received_at=AT)
    assert (item.post, item.cursor) == (None, "5005")


def test_a_status_update_mentioning_someone_else_is_ignored() -> None:
    other = status("1004", mentions=[{"id": "99", "username": "bob", "acct": "bob", "url": "u"}])
    for event in ("update", "status.update", "delete", "filters_changed"):
        item = item_from(message(event, other, stream="user"), ME, received_at=AT)
        assert (item.post, item.cursor) == (None, None)


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "[1, 2]",
        json.dumps({"event": "notification", "payload": "{broken"}),
        json.dumps({"event": "notification", "payload": "[]"}),
        message("notification", notification(body={"id": "1"})),
    ],
)
def test_an_unreadable_message_is_malformed(raw: str) -> None:
    with pytest.raises(MalformedError):
        item_from(raw, ME, received_at=AT)


@pytest.mark.parametrize(
    ("advertised", "base", "expected"),
    [
        (
            "wss://streaming.example.social",
            "https://example.social",
            "wss://streaming.example.social",
        ),
        (
            "https://streaming.example.social/",
            "https://example.social",
            "wss://streaming.example.social",
        ),
        (None, "https://example.social/", "wss://example.social"),
        ("", "http://127.0.0.1:8080", "ws://127.0.0.1:8080"),
        ("ws://127.0.0.1:9000", "http://127.0.0.1:8080", "ws://127.0.0.1:9000"),
        # never downgrade an https instance's token onto clear text, never an odd scheme
        ("ws://streaming.example.social", "https://example.social", "wss://example.social"),
        ("ftp://elsewhere", "https://example.social", "wss://example.social"),
        (42, "https://example.social", "wss://example.social"),
    ],
)
def test_the_streaming_origin_is_the_advertised_one_when_safe(
    advertised: object, base: str, expected: str
) -> None:
    assert streaming_base(advertised, base) == expected


def test_the_adapter_offers_the_streaming_capability() -> None:
    account = AccountSettings(platform="mastodon", handle="replybot", base_url="https://m.sim")
    platform = build_mastodon_platform(account, SecretStr("token-value"))
    try:
        assert isinstance(platform, Streaming)
        stream: MentionStream = platform.mention_stream()
        assert stream.name == "mastodon_user"
    finally:
        platform.close()


def test_the_stream_takes_the_adapter_s_timeout_user_agent_and_size_cap() -> None:
    account = AccountSettings(platform="mastodon", handle="replybot", base_url="https://m.sim")
    http = HttpOptions(connect_timeout=3.0, user_agent="ua/1", max_response_bytes=1000)
    platform = build_mastodon_platform(account, SecretStr("token-value"), http=http)
    try:
        options = platform.mention_stream().options
        assert (options.connect_timeout, options.user_agent, options.max_message_bytes) == (
            3.0, "ua/1", 1000,
        )  # fmt: skip
    finally:
        platform.close()


def test_an_adapter_on_an_in_process_transport_has_no_stream() -> None:
    account = AccountSettings(platform="mastodon", handle="replybot", base_url="https://m.sim")
    transport = httpx2.MockTransport(lambda request: httpx2.Response(500))
    platform = build_mastodon_platform(account, SecretStr("token-value"), transport=transport)
    try:
        with pytest.raises(StreamUnavailable, match="in-process transport"):
            platform.mention_stream()
    finally:
        platform.close()


class OneMessage:
    """A connection that delivers one message (the stream's `recv`)."""

    def __init__(self, raw: str) -> None:
        self.raw = raw

    def recv(self, timeout: float) -> str:
        del timeout
        return self.raw


def _stream(mark: Callable[[Post], Post]) -> MastodonUserStream:
    return MastodonUserStream(streaming_url=lambda: "ws://m.sim", token=SecretStr("t"),
                              me=lambda: ME, now=lambda: AT, mark=mark)  # fmt: skip


def test_a_streamed_mention_is_marked_with_its_author_s_relationships() -> None:
    def blocks_us(post: Post) -> Post:
        return replace(post, author_blocks_us=True)

    raw = message("notification", notification())
    item = _stream(blocks_us)._next(OneMessage(raw), ME)  # type: ignore[arg-type]
    assert item.post is not None
    assert item.post.author_blocks_us


def test_a_mention_whose_relationships_cannot_be_read_is_left_to_the_backfill() -> None:
    def unreachable(post: Post) -> Post:
        raise PlatformError(f"503 for {post.author_id}")

    raw = message("notification", notification())
    with pytest.raises(StreamDisconnected, match="relationships lookup failed"):
        _stream(unreachable)._next(OneMessage(raw), ME)  # type: ignore[arg-type]


def _plain_stream() -> MastodonUserStream:
    return MastodonUserStream(streaming_url=lambda: "ws://x", token=SecretStr("t"), me=lambda: ME)


@pytest.mark.parametrize(
    ("cursor", "watermark", "since"),
    [
        ("1200", "1100", "1200"),  # the stream's cursor is newer: read from it
        ("1100", "1200", None),  # the poll's watermark is newer: read from the watermark
        ("1200", "1200", None),
        (None, "1100", None),  # no streamed notification yet
        ("1200", None, "1200"),
        ("999", "1000", None),  # ids compare by length first, not as text
        ("1000", "999", "1000"),
    ],
)
def test_a_backfill_reads_since_the_newer_of_cursor_and_watermark(
    cursor: str | None, watermark: str | None, since: str | None
) -> None:
    assert isinstance(_plain_stream(), ResumesBackfill)
    assert _plain_stream().backfill_since(cursor, watermark) == since


def test_a_backfill_keeps_the_hashtag_watermarks() -> None:
    mark = json.dumps({"notifications": "1100", "tags": {"python": "55"}})
    since = _plain_stream().backfill_since("1200", mark)
    assert since is not None
    assert json.loads(since) == {"notifications": "1200", "tags": {"python": "55"}}
