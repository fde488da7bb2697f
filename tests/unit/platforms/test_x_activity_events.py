"""X Activity API events read into Posts: what summons the account is kept, the rest is not."""

from __future__ import annotations

import json
from typing import Any

import pytest

from xbot.platforms.x.events import StreamProblem, parse_event
from xbot.platforms.x.posts import MalformedError, Me

ME = Me(user_id="1500", handle="replybot")
ANN = {"id": "42", "name": "Ann", "username": "ann", "description": "Just here.",
       "public_metrics": {"followers_count": 97}}  # fmt: skip


def event(
    event_type: str = "post.mention.create",
    *,
    user_id: str = "1500",
    payload: dict[str, Any] | None = None,
    tweets: list[dict[str, Any]] | None = None,
) -> bytes:
    post = {
        "id": "1990000000000000002",
        "text": "@replybot what is X?",
        "author_id": "42",
        "created_at": "2026-07-24T21:23:23.000Z",
        "conversation_id": "1990000000000000002",
        "reply_settings": "everyone",
        "lang": "en",
        "entities": {"mentions": [{"start": 0, "end": 9, "username": "replybot", "id": "1500"}]},
        **(payload or {}),
    }
    includes: dict[str, Any] = {"users": [ANN]}
    if tweets:
        includes["tweets"] = tweets
    data = {
        "event_uuid": "2080765813578191303",
        "filter": {"user_id": user_id},
        "event_type": event_type,
        "tag": "mentions",
        "payload": post,
        "includes": includes,
    }
    return json.dumps({"data": data}).encode()


def test_a_mention_is_read_like_the_poll_reads_it() -> None:
    read = parse_event(event(), ME)
    assert read is not None
    post = read.post
    assert post is not None
    assert (post.post_id, post.author_id, post.author_handle) == (
        "1990000000000000002",
        "42",
        "ann",
    )
    assert post.summoned is True
    assert post.mentions == ("replybot",)
    assert post.author_followers == 97
    assert post.meta == {"reply_settings": "everyone", "summoned": True}


def test_a_reply_to_our_post_without_our_handle_is_kept() -> None:
    reply = {
        "text": "I disagree",
        "entities": {},
        "in_reply_to_user_id": "1500",
        "referenced_tweets": [{"type": "replied_to", "id": "1990000000000000001"}],
        "conversation_id": "1990000000000000001",
    }
    read = parse_event(event("post.reply.create", payload=reply), ME)
    assert read is not None
    assert read.post is not None
    assert read.post.in_reply_to_post_id == "1990000000000000001"
    assert read.post.summoned is True


def test_a_quote_of_our_post_is_kept() -> None:
    quote = {
        "text": "look at this",
        "entities": {},
        "referenced_tweets": [{"type": "quoted", "id": "1990000000000000001"}],
    }
    ours = [{"id": "1990000000000000001", "text": "ours", "author_id": "1500"}]
    read = parse_event(event("post.quote.create", payload=quote, tweets=ours), ME)
    assert read is not None
    assert read.post is not None
    assert read.post.quoted_post_id == "1990000000000000001"


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (event(payload={"author_id": "1500"}), "our own post"),
        (event(user_id="77"), "another account's subscription"),
        (event("post.create"), "not a post event we subscribe to"),
        (
            event(
                payload={
                    "text": "hi @other",
                    "entities": {
                        "mentions": [{"start": 3, "end": 9, "username": "other", "id": "77"}]
                    },
                }
            ),
            "a post that does not summon us",
        ),
    ],
)
def test_what_does_not_summon_the_account_carries_no_post(raw: bytes, why: str) -> None:
    read = parse_event(raw, ME)
    assert read is not None, why
    assert read.post is None, why


def test_keep_alives_are_none() -> None:
    assert parse_event(b"", ME) is None
    assert parse_event(b"\r\n", ME) is None


def test_an_error_object_is_a_stream_problem_and_junk_is_malformed() -> None:
    errors = {"errors": [{"title": "operational-disconnect", "detail": "too slow"}]}
    with pytest.raises(StreamProblem, match="operational-disconnect: too slow"):
        parse_event(json.dumps(errors), ME)
    for junk in (b"{not json", b"[1]", b'{"data": 3}', event(payload={"id": "x"})):
        with pytest.raises(MalformedError):
            parse_event(junk, ME)
