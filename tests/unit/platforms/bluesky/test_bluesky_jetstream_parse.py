"""Jetstream messages read into Posts: which commits summon the account, shaped like the poll's."""

from __future__ import annotations

import json
from typing import Any

import pytest

from xbot.platforms.bluesky.jetstream import (
    Created,
    created_post,
    read_event,
    summoning_reason,
)
from xbot.platforms.bluesky.posts import Me, Seen, post_from

ME = Me(did="did:plc:bot", handle="replybot.bsky.social")
ANN = "did:plc:ann"
OURS = "at://did:plc:bot/app.bsky.feed.post/3kbot000000aa"
THEIRS = "at://did:plc:zed/app.bsky.feed.post/3kzed000000aa"
MENTION = "app.bsky.richtext.facet#mention"
TIME_US = 1_796_186_116_898_163


def record(text: str = "hello", **extra: Any) -> dict[str, Any]:
    return {"$type": "app.bsky.feed.post", "text": text,
            "createdAt": "2026-12-02T04:35:16.897Z", "langs": ["en"], **extra}  # fmt: skip


def mention_of(did: str) -> dict[str, Any]:
    features = [{"$type": MENTION, "did": did}]
    return {"facets": [{"index": {"byteStart": 0, "byteEnd": 9}, "features": features}]}


def message(value: dict[str, Any], *, did: str = ANN, **commit: Any) -> str:
    body = {"rev": "3l3qo2vutsw2b", "operation": "create", "collection": "app.bsky.feed.post",
            "rkey": "3kann00000000", "record": value, "cid": "bafyreiann", **commit}  # fmt: skip
    return json.dumps({"did": did, "time_us": TIME_US, "kind": "commit", "commit": body})


def created(value: dict[str, Any], *, did: str = ANN) -> Created:
    time_us, found = read_event(message(value, did=did))
    assert time_us == TIME_US
    assert found is not None
    return found


def ref(uri: str) -> dict[str, str]:
    return {"uri": uri, "cid": "bafyreiref"}


def test_a_facet_mentioning_our_did_summons() -> None:
    assert summoning_reason(created(record("@replybot hi", **mention_of(ME.did))), ME.did) == (
        "mention"
    )


def test_a_mention_of_another_account_does_not() -> None:
    assert summoning_reason(created(record("@zed hi", **mention_of("did:plc:zed"))), ME.did) is None


def test_our_handle_in_plain_text_without_a_facet_does_not() -> None:
    assert summoning_reason(created(record("@replybot.bsky.social hi")), ME.did) is None


@pytest.mark.parametrize(
    ("parent", "root"),
    [(OURS, OURS), (OURS, THEIRS), (THEIRS, OURS)],
    ids=["both", "parent", "root"],
)
def test_a_reply_in_our_thread_summons(parent: str, root: str) -> None:
    value = record("thanks", reply={"parent": ref(parent), "root": ref(root)})
    assert summoning_reason(created(value), ME.did) == "reply"


def test_a_reply_elsewhere_does_not() -> None:
    value = record("thanks", reply={"parent": ref(THEIRS), "root": ref(THEIRS)})
    assert summoning_reason(created(value), ME.did) is None


@pytest.mark.parametrize(
    "embed",
    [
        {"$type": "app.bsky.embed.record", "record": ref(OURS)},
        {"$type": "app.bsky.embed.recordWithMedia", "record": {"record": ref(OURS)}, "media": {}},
    ],
    ids=["record", "recordWithMedia"],
)
def test_a_quote_of_ours_summons(embed: dict[str, Any]) -> None:
    assert summoning_reason(created(record("look", embed=embed)), ME.did) == "quote"


def test_a_quote_of_another_post_does_not() -> None:
    embed = {"$type": "app.bsky.embed.record", "record": ref(THEIRS)}
    assert summoning_reason(created(record("look", embed=embed)), ME.did) is None


def test_our_own_posts_never_summon() -> None:
    value = record(
        "@replybot me", reply={"parent": ref(OURS), "root": ref(OURS)}, **mention_of(ME.did)
    )
    assert summoning_reason(created(value, did=ME.did), ME.did) is None


@pytest.mark.parametrize(
    ("raw", "time_us"),
    [
        ("not json", None),
        ("[1]", None),
        (json.dumps({"kind": "commit"}), None),
        (json.dumps({"did": ANN, "time_us": 5, "kind": "identity", "identity": {}}), 5),
        (message(record(), operation="delete"), TIME_US),
        (message(record(), collection="app.bsky.feed.like"), TIME_US),
        (message(record(), cid=None), TIME_US),
        (message("no record"), TIME_US),  # type: ignore[arg-type]
    ],
    ids=["text", "array", "no-time", "identity", "delete", "like", "no-cid", "bad-record"],
)
def test_other_messages_move_the_position_only(raw: str, time_us: int | None) -> None:
    assert read_event(raw) == (time_us, None)


def test_the_post_is_the_one_the_poll_builds_from_the_notification() -> None:
    value = record(
        "@replybot hi", reply={"parent": ref(OURS), "root": ref(THEIRS)}, **mention_of(ME.did)
    )
    author = {"did": ANN, "handle": "ann.bsky.social", "labels": [{"val": "bot"}],
              "viewer": {"blockedBy": True}}  # fmt: skip
    found = created(value)
    post = created_post(found, author, ME, "reply")
    polled = post_from(
        Seen(uri=found.uri, cid="bafyreiann", author=author, record=value,
             indexed_at="2026-12-02T04:35:17.000Z"),
        ME, reason="reply",
    )  # fmt: skip
    assert post == polled
    assert post.post_id == "at://did:plc:ann/app.bsky.feed.post/3kann00000000"
    assert post.summoned
    assert post.author_handle == "ann.bsky.social"
    assert post.author_is_bot
    assert post.author_blocks_us
    assert post.meta == {
        "uri": post.post_id, "cid": "bafyreiann", "root_uri": THEIRS, "root_cid": "bafyreiref",
        "author_did": ANN,
    }  # fmt: skip


def test_a_claimed_future_date_is_capped_at_when_jetstream_saw_it() -> None:
    post = created_post(created(record(createdAt="2099-01-01T00:00:00Z", **mention_of(ME.did))),
                        {"did": ANN, "handle": "ann.bsky.social"}, ME, "mention")  # fmt: skip
    assert post.created_at.timestamp() == pytest.approx(TIME_US / 1_000_000)
