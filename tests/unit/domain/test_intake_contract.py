"""The intake contract: modes, stream items, errors and the optional Streaming capability."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from xbot.domain.errors import XbotError
from xbot.domain.intake import (
    IntakeMode,
    MentionStream,
    StreamDisconnected,
    Streaming,
    StreamItem,
    StreamUnavailable,
)
from xbot.domain.posts import Post

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


class ScriptedStream:
    name = "scripted"

    def __init__(self, items: list[StreamItem]) -> None:
        self.items = items
        self.closed = False

    def listen(self, cursor: str | None, stop: threading.Event) -> Iterator[StreamItem]:
        for item in self.items:
            if stop.is_set():
                return
            yield item
        raise StreamDisconnected

    def close(self) -> None:
        self.closed = True


class StreamingAdapter:
    def mention_stream(self) -> MentionStream:
        return ScriptedStream([])


def test_modes_parse_from_config_words() -> None:
    assert [IntakeMode(word) for word in ("auto", "stream", "poll")] == [
        IntakeMode.AUTO,
        IntakeMode.STREAM,
        IntakeMode.POLL,
    ]
    with pytest.raises(ValueError, match="webhook"):
        IntakeMode("webhook")


def test_a_scripted_stream_yields_items_then_disconnects() -> None:
    post = Post(post_id="p1", author_id="a", author_handle="a", text="hi @bot", created_at=NOW)
    items = [
        StreamItem(post=post, cursor="1", received_at=NOW),
        StreamItem(post=None, cursor=None, received_at=NOW),
    ]
    stream: MentionStream = ScriptedStream(items)
    seen: list[StreamItem] = []
    with pytest.raises(StreamDisconnected):
        seen.extend(stream.listen(None, threading.Event()))
    assert seen == items
    assert seen[0].post is post


def test_stream_errors_are_xbot_errors_with_a_default_message() -> None:
    assert isinstance(StreamDisconnected(), XbotError)
    assert "reconnects" in str(StreamDisconnected())
    assert str(StreamUnavailable("no Activity API on this access")) == (
        "no Activity API on this access"
    )


def test_streaming_is_an_optional_capability() -> None:
    assert isinstance(StreamingAdapter(), Streaming)
    assert not isinstance(object(), Streaming)
