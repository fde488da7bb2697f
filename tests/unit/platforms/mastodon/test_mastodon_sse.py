"""Parsing Mastodon's server-sent events (intake.mastodon_transport = "sse")."""

from __future__ import annotations

from xbot.platforms.mastodon.stream_sse import http_origin, sse_events


def test_events_are_read_between_blank_lines_and_comments_are_skipped() -> None:
    lines = [":)", "", "event: notification", 'data: {"id":"1"}', "", ":thump", "",
             "event: update", 'data:{"id":"2"}', "data: more", "", "event: delete",
             "data: 3"]  # fmt: skip
    assert list(sse_events(lines)) == [
        ("notification", '{"id":"1"}'),
        ("update", '{"id":"2"}\nmore'),
    ], "an event is complete only at its blank line"


def test_an_event_without_a_name_is_a_message() -> None:
    assert list(sse_events(["data: hi", ""])) == [("message", "hi")]


def test_the_http_origin_of_a_streaming_origin() -> None:
    assert http_origin("wss://streaming.example.social") == "https://streaming.example.social"
    assert http_origin("ws://127.0.0.1:8080") == "http://127.0.0.1:8080"
    assert http_origin("https://example.social") == "https://example.social"
