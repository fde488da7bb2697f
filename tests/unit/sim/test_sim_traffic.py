from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from xbot.sim.core.traffic import Draft, PostRef, Traffic
from xbot.sim.core.world import build_world

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Board:
    def __init__(self, bots: set[str]) -> None:
        self.bots = bots
        self.drafts: list[tuple[str, Draft]] = []

    def recent_posts(self, *, by_bot_accounts: bool, limit: int) -> Sequence[PostRef]:
        refs = [
            PostRef(post_id=post_id, author_handle=draft.author)
            for post_id, draft in reversed(self.drafts)
            if (draft.author in self.bots) == by_bot_accounts
        ]
        return refs[:limit]

    def add_post(self, draft: Draft) -> str:
        post_id = str(len(self.drafts) + 1)
        self.drafts.append((post_id, draft))
        return post_id


def generate(seed: int, minutes: int) -> Board:
    world = build_world(seed)
    board = Board({bot.handle for bot in world.bot_accounts})
    traffic = Traffic(world, start=START, posts_per_minute=2)
    traffic.seed_history(board, before=START)
    traffic.run_until(START + timedelta(minutes=minutes), board)
    return board


def test_traffic_is_deterministic_for_a_seed() -> None:
    assert generate(4, 60).drafts == generate(4, 60).drafts
    assert generate(4, 60).drafts != generate(5, 60).drafts


def test_traffic_arrives_over_time_and_only_up_to_now() -> None:
    world = build_world(2)
    board = Board({bot.handle for bot in world.bot_accounts})
    traffic = Traffic(world, start=START, posts_per_minute=2)
    assert traffic.run_until(START, board) == 0
    first = traffic.run_until(START + timedelta(minutes=30), board)
    second = traffic.run_until(START + timedelta(minutes=60), board)
    assert 20 <= first + second <= 220
    assert all(
        START < draft.created_at <= START + timedelta(minutes=60) for _, draft in board.drafts
    )
    times = [draft.created_at for _, draft in board.drafts]
    assert times == sorted(times)


def test_traffic_mixes_mentions_quotes_threads_languages_links_and_bots() -> None:
    board = generate(7, 240)
    drafts = [draft for _, draft in board.drafts]
    history = [d for d in drafts if d.author == "replybot"]
    others = [d for d in drafts if d.author != "replybot"]
    assert len(history) == 3
    assert any(d.text.startswith("@replybot") and d.in_reply_to is None for d in others)
    assert any(d.quote_of is not None for d in others)
    assert any(d.in_reply_to is not None for d in others)
    assert any("https://example.com/" in d.text for d in others)
    assert {d.language for d in others} > {"en"}
    world = build_world(7)
    automated = {u.handle for u in world.users if u.automated}
    assert any(d.author in automated for d in others)


def test_a_quiet_world_generates_nothing() -> None:
    world = build_world(1)
    board = Board(set())
    traffic = Traffic(world, start=START, posts_per_minute=0)
    assert traffic.run_until(START + timedelta(days=30), board) == 0
