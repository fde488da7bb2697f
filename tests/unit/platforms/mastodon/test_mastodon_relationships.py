"""Mastodon relationships mark authors who block the account or whom it mutes, 40 ids a call."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from xbot.domain.posts import Post, PostId
from xbot.platforms.mastodon.relationships import (
    RelationshipCache,
    relationship_params,
    with_relationships,
)

AT = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def post(author: str) -> Post:
    return Post(
        post_id=PostId(f"s{author}"), author_id=author, author_handle=f"u{author}", text="hi",
        created_at=datetime(2026, 3, 2, tzinfo=UTC),
    )  # fmt: skip


def test_blocked_by_muting_and_blocking_mark_their_authors_only() -> None:
    answers = {
        "1": {"id": "1", "blocked_by": True, "muting": False, "blocking": False},
        "2": {"id": "2", "blocked_by": False, "muting": True, "blocking": False},
        "3": {"id": "3", "blocked_by": False, "muting": False, "blocking": True},
        "4": {"id": "4", "blocked_by": False, "muting": False, "blocking": False},
    }

    def lookup(ids: Sequence[str]) -> list[Any]:
        return [answers[one] for one in ids] + ["not an object"]

    marked = {p.author_id: (p.author_blocks_us, p.author_muted)
              for p in with_relationships([post(a) for a in "1234"], lookup)}  # fmt: skip
    assert marked == {
        "1": (True, False), "2": (False, True), "3": (False, True), "4": (False, False),
    }  # fmt: skip


def test_authors_are_asked_once_each_forty_a_call() -> None:
    asked: list[list[str]] = []

    def lookup(ids: Sequence[str]) -> list[Any]:
        asked.append(list(ids))
        return []

    posts = [post(str(n)) for n in range(41)] + [post("0")]
    assert len(with_relationships(posts, lookup)) == 42
    assert [len(ids) for ids in asked] == [40, 1]
    assert relationship_params(["1", "2"]) == {"id[]": ["1", "2"]}


def test_the_stream_s_cache_asks_about_an_author_once_a_minute() -> None:
    asked: list[list[str]] = []

    def lookup(ids: Sequence[str]) -> list[Any]:
        asked.append(list(ids))
        return [{"id": one, "blocked_by": one == "1", "muting": one == "2"} for one in ids]

    cache = RelationshipCache(ttl=timedelta(minutes=1))
    first = cache.mark([post("1"), post("2"), post("3")], lookup, AT)
    assert [(p.author_blocks_us, p.author_muted) for p in first] == [
        (True, False), (False, True), (False, False),
    ]  # fmt: skip
    again = cache.mark([post("1"), post("4")], lookup, AT + timedelta(seconds=59))
    assert [(p.author_blocks_us, p.author_muted) for p in again] == [(True, False), (False, False)]
    cache.mark([post("1")], lookup, AT + timedelta(minutes=1))
    assert asked == [["1", "2", "3"], ["4"], ["1"]]  # one batch of the unknown, then expiry


def test_the_stream_s_cache_forgets_the_oldest_answers_first() -> None:
    asked: list[list[str]] = []

    def lookup(ids: Sequence[str]) -> list[Any]:
        asked.append(list(ids))
        return []

    cache = RelationshipCache(size=2)
    for second, author in enumerate("123"):
        cache.mark([post(author)], lookup, AT + timedelta(seconds=second))
    cache.mark([post("3"), post("2"), post("1")], lookup, AT + timedelta(seconds=5))
    assert asked == [["1"], ["2"], ["3"], ["1"]]
