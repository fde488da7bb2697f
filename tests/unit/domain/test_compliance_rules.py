"""Who may be replied to: one table row per compliance rule (issue 15), and the stop words."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from xbot.config import Settings
from xbot.config_compliance import DEFAULT_STOP_WORDS
from xbot.domain.budgets import (
    BudgetRules,
    Grant,
    Refusal,
    RefusalReason,
    ReplyIntent,
    ReplyRecord,
    may_post,
)
from xbot.domain.filters import CandidateRules, SkipReason, skip_reason
from xbot.domain.opt_outs import StopWords, stop_word_in
from xbot.domain.posts import Post, PostId

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
RULES = CandidateRules(
    own_user_id="100",
    own_handle="replybot",
    known_bots=frozenset({"otherbot"}),
    our_accounts=frozenset({"helpbot", "101"}),
)
EVERYWHERE = StopWords.for_languages(DEFAULT_STOP_WORDS, [], max_words=5)


def post(**changes: Any) -> Post:
    base = Post(
        post_id=PostId("2001"),
        author_id="42",
        author_handle="ann",
        text="@replybot how do I publish a python package?",
        created_at=NOW - timedelta(minutes=5),
        summoned=True,
    )
    return replace(base, **changes)


@pytest.mark.parametrize(
    ("changes", "rules", "opted_out", "reason"),
    [
        ({}, RULES, (), None),
        ({"author_id": "42"}, RULES, {"42"}, SkipReason.OPTED_OUT),
        ({"author_blocks_us": True}, RULES, (), SkipReason.OPTED_OUT),
        ({"author_muted": True}, RULES, (), SkipReason.OPTED_OUT),
        ({"author_handle": "helpbot"}, RULES, (), SkipReason.OUR_ACCOUNT),
        ({"author_id": "101"}, RULES, (), SkipReason.OUR_ACCOUNT),
        ({"author_is_bot": True}, RULES, (), SkipReason.KNOWN_BOT),
        ({"author_handle": "OtherBot"}, RULES, (), SkipReason.KNOWN_BOT),
        ({"author_is_bot": True}, replace(RULES, reply_to_bots=True), (), None),
        ({"author_nobot": True}, RULES, (), SkipReason.AUTHOR_NOBOT),
        ({"author_nobot": True}, replace(RULES, reply_to_bots=True), (), SkipReason.AUTHOR_NOBOT),
        ({"reply_disabled": True}, RULES, (), SkipReason.THREADGATE),
        # an opt-out wins over every other reason: it is what certify J looks for first
        ({"author_is_bot": True, "author_id": "7"}, RULES, {"7"}, SkipReason.OPTED_OUT),
        ({"author_id": "100"}, RULES, {"100"}, SkipReason.OWN_POST),
    ],
)
def test_each_rule_skips_with_its_reason(
    changes: dict[str, Any], rules: CandidateRules, opted_out: Any, reason: SkipReason | None
) -> None:
    found = skip_reason(post(**changes), rules, replied_threads=(), now=NOW, opted_out=opted_out)
    assert found == reason


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("stop", "stop"),
        ("@replybot STOP", "stop"),
        ("@replybot stop!!!", "stop"),
        ("please stop replying to me", "stop"),
        ("@replybot Unsubscribe", "unsubscribe"),
        ("@replybot opt-out please", "opt out"),
        ("@replybot OPT OUT", "opt out"),
        ("@replybot leave me alone.", "leave me alone"),
        ("@replybot stop https://example.com", "stop"),
        # full-width letters read as the word they show
        ("@replybot \uff53\uff54\uff4f\uff50", "stop"),
        ("@replybot how do I stop my postgres server from using so much memory?", None),
        ("@replybot stopping by to say thanks", None),
        ("@replybot nonstop", None),
        ("@replybot", None),
        ("", None),
    ],
)
def test_stop_messages_are_short_and_whole_words(text: str, word: str | None) -> None:
    assert stop_word_in(text, EVERYWHERE) == word


@pytest.mark.parametrize(
    ("languages", "text", "word"),
    [
        (["de"], "@replybot Stopp", "stopp"),
        (["de"], "@replybot lass mich in Ruhe", "lass mich in ruhe"),
        (["en"], "@replybot lass mich in Ruhe", None),
        (["fr"], "@replybot arrêtez", "arrêtez"),
        (["ja"], "@replybot やめてください", "やめて"),
        (["es-MX"], "@replybot basta", "basta"),
        (["es"], "@replybot stop", "stop"),  # "*" words hold in every language
        ([], "@replybot Stopp", "stopp"),  # no languages configured: every list
    ],
)
def test_stop_words_follow_the_account_languages(
    languages: list[str], text: str, word: str | None
) -> None:
    words = StopWords.for_languages(DEFAULT_STOP_WORDS, languages, max_words=5)
    assert stop_word_in(text, words) == word


def test_stop_words_are_configurable() -> None:
    settings = Settings(opt_outs={"stop_words": {"*": ["halt"]}, "max_words": 2})
    words = StopWords.for_languages(
        settings.opt_outs.stop_words, ["en"], max_words=settings.opt_outs.max_words
    )
    assert stop_word_in("@replybot HALT", words) == "halt"
    assert stop_word_in("@replybot stop", words) is None
    assert stop_word_in("@replybot halt now please", words) is None


def test_replies_to_one_author_are_capped_per_day() -> None:
    rules = BudgetRules(
        per_hour=100, per_day=100, author_cooldown=timedelta(0), per_author_per_day=2
    )
    history = [
        ReplyRecord(at=NOW - timedelta(hours=hours), author_id="42", thread_id=f"t{hours}",
                    target_post_id=f"p{hours}")
        for hours in (20, 3)
    ]  # fmt: skip
    intent = ReplyIntent(author_id="42", thread_id="t-new", target_post_id="p-new")
    verdict = may_post(history, intent, rules, now=NOW)
    assert verdict == Refusal(
        reason=RefusalReason.AUTHOR_DAILY_CAP,
        retry_at=NOW - timedelta(hours=20) + timedelta(days=1),
    )
    other = ReplyIntent(author_id="43", thread_id="t-other", target_post_id="p-other")
    assert may_post(history, other, rules, now=NOW) == Grant()
    assert may_post(history, intent, rules, now=NOW + timedelta(hours=5)) == Grant()
