"""The built-in bank has a day's worth of distinct replies on every topic, on every platform.

A day is the near-duplicate window (NEAR_DUPLICATE_WINDOW) and the period of the `per_day`
budget, so an account answering `per_day` mentions on one topic in a day must find that many
replies unlike each other, or the guard starves its queue. Short handles are the worst case:
they make two replies to different authors differ least.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from xbot.config import BudgetSettings
from xbot.domain.drafts import NEAR_DUPLICATE_WINDOW
from xbot.domain.guard import Accepted, GuardPolicy, check_reply
from xbot.domain.policy import PlatformName
from xbot.generate.bank import BankEntry, alike, choose, load_bank
from xbot.generate.bank_file import variety

PER_DAY = BudgetSettings().per_day
BANK = load_bank()
#: the default author cooldown lets one author in at most every 4 hours: 6 a day
AUTHORS = {
    PlatformName.X: ["ann", "bob", "cy", "dee", "eve", "fay"],
    PlatformName.BLUESKY: [f"{name}.bsky.social" for name in ("ann", "bob", "cy", "dee", "eve")],
    PlatformName.MASTODON: ["ann", "bob@fosstodon.org", "cy", "dee@hachyderm.io", "eve", "fay"],
}


def test_the_window_is_the_budgets_day() -> None:
    assert timedelta(days=1) == NEAR_DUPLICATE_WINDOW


@pytest.mark.parametrize("entry", BANK.entries, ids=lambda entry: entry.entry_id)
def test_every_entry_can_write_more_than_a_days_budget(entry: BankEntry) -> None:
    assert variety(BANK, entry) > PER_DAY


def a_day(platform: PlatformName, posts: list[str]) -> list[tuple[str, str]]:
    """Answer each post in turn as the schedule job does; return (entry, reply) per post."""
    replies: list[str] = []
    chosen = []
    policy = GuardPolicy(platform=platform)
    authors = AUTHORS[platform]
    for number, post in enumerate(posts):
        author = authors[number % len(authors)]
        draft = choose(BANK, post, author, ["python"], platform=platform, avoid=replies)
        verdict = check_reply(draft.text, target_author=author, recent_replies=replies,
                              policy=policy)  # fmt: skip
        assert isinstance(verdict, Accepted), (number, verdict)
        replies.insert(0, verdict.text)
        chosen.append((str(draft.meta["entry"]), verdict.text))
    return chosen


def no_two_alike(replies: list[str]) -> bool:
    return not any(
        alike(reply, other, GuardPolicy(platform=PlatformName.X).duplicate_threshold)
        for index, reply in enumerate(replies)
        for other in replies[index + 1 :]
    )


@pytest.mark.parametrize(
    "entry",
    [entry for entry in BANK.entries if entry.keywords],
    ids=lambda entry: entry.entry_id,
)
def test_a_day_of_mentions_on_one_topic_gets_that_topics_reply_and_never_repeats(
    entry: BankEntry,
) -> None:
    posts = [f"@replybot {entry.keywords[0]}, number {number}" for number in range(PER_DAY)]
    day = a_day(PlatformName.X, posts)  # the guard accepted each against all before it
    assert {entry_id for entry_id, _ in day} == {entry.entry_id}


@pytest.mark.parametrize("platform", list(PlatformName))
def test_a_day_of_mentions_matching_nothing_never_repeats(platform: PlatformName) -> None:
    posts = [f"@replybot lovely weather, day {number}" for number in range(PER_DAY)]
    day = a_day(platform, posts)
    assert len({entry_id for entry_id, _ in day}) > 1  # the generic entries take turns
    assert no_two_alike([reply for _, reply in day])


@pytest.mark.parametrize("platform", list(PlatformName))
def test_a_mixed_day_on_each_platform_never_repeats(platform: PlatformName) -> None:
    keywords = [entry.keywords[0] for entry in BANK.entries if entry.keywords]
    posts = [f"@replybot {keywords[number % 3]} again" for number in range(PER_DAY)]
    day = a_day(platform, posts)
    assert no_two_alike([reply for _, reply in day])
