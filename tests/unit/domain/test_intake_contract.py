"""The intake contract: modes, stream items, errors and the optional Streaming capability."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from xbot.domain.errors import XbotError
from xbot.domain.intake import (
    IntakeMode,
    MentionStream,
    StreamDisconnected,
    StreamHealth,
    Streaming,
    StreamItem,
    StreamState,
    StreamUnavailable,
    intake_status,
    stream_report,
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


def _health(**changes: object) -> StreamHealth:
    base = StreamHealth(
        account_id=1, stream="mastodon_user", state=StreamState.CONNECTED, detail=None,
        owner="w1", lease_until=NOW + timedelta(seconds=20), cursor="c9",
        connected_since=NOW - timedelta(minutes=12), last_event_at=NOW - timedelta(seconds=3),
        lag_seconds=0.4321, events=40, admitted=7, duplicates=1, connects=2, backfilled=3,
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def test_ready_says_stream_while_a_held_stream_is_connected() -> None:
    assert intake_status(IntakeMode.AUTO, [_health()], NOW) == {
        "mode": "stream", "stream": "mastodon_user", "connected_seconds": 720.0,
        "lag_seconds": 0.432, "last_event_age_seconds": 3.0,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("mode", "rows", "why"),
    [
        (IntakeMode.POLL, [_health()], "intake = poll"),
        (IntakeMode.AUTO, [_health(state=StreamState.UNAVAILABLE, detail="no Activity API")],
         "mastodon_user unavailable: no Activity API"),
        (IntakeMode.STREAM, [_health(state=StreamState.DISCONNECTED, detail="reset")],
         "mastodon_user reconnecting (reset)"),
        (IntakeMode.AUTO, [_health(lease_until=NOW - timedelta(seconds=1))],
         "no stream connected (no worker holds one for this account)"),
        (IntakeMode.AUTO, [], "no stream connected (no worker holds one for this account)"),
    ],
)  # fmt: skip
def test_ready_says_poll_and_why(mode: IntakeMode, rows: list[StreamHealth], why: str) -> None:
    assert intake_status(mode, rows, NOW) == {"mode": "poll", "why": why}


def test_the_watchdog_reports_a_dead_holders_stream_as_stopped() -> None:
    live = stream_report(_health(), NOW)
    assert (live["state"], live["owner"], live["admitted"], live["connects"]) == (
        "connected", "w1", 7, 2)  # fmt: skip
    dead = stream_report(_health(lease_until=NOW - timedelta(seconds=1)), NOW)
    assert (dead["state"], dead["owner"]) == ("stopped", None)
