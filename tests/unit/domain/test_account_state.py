"""Per-account state: posting, held until a known time, or blocked since when and why."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from xbot.domain.account_state import (
    AccountFacts,
    AccountState,
    BlockReason,
    PlatformFault,
    PostingState,
    Switch,
    account_state,
    overall_posting_allowed,
)
from xbot.domain.budgets import BudgetRules, QuietHours, ReplyIntent, ReplyRecord
from xbot.domain.policy import PolicyBlock

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
SINCE = NOW - timedelta(hours=2)
RULES = BudgetRules(per_hour=2, per_day=3, author_cooldown=timedelta(hours=4))


def posted(minutes_ago: float, author: str = "a") -> ReplyRecord:
    at = NOW - timedelta(minutes=minutes_ago)
    return ReplyRecord(at=at, author_id=author, thread_id=f"t{at}", target_post_id=f"p{at}")


def waiting(author: str, post: str = "new") -> ReplyIntent:
    return ReplyIntent(author_id=author, thread_id=post, target_post_id=post)


QUIET = BudgetRules(quiet_hours=QuietHours(start=time(11, 0), end=time(13, 30)))
SWITCH = Switch(on=True, since=SINCE, by="alice")
REFUSED = PlatformFault(reason=BlockReason.CREDENTIALS_REFUSED, since=SINCE, detail="401")

CASES: list[
    tuple[str, AccountFacts, PostingState, str | None, datetime | None, datetime | None]
] = [
    ("nothing in the way", AccountFacts(account="x:a"), PostingState.POSTING, None, None, None),
    (
        "kill switch, with who and when",
        AccountFacts(account="x:a", kill_switch=SWITCH),
        PostingState.BLOCKED,
        "kill_switch",
        SINCE,
        None,
    ),
    (
        "the fence's stale code",
        AccountFacts(account="x:a", fence=("stale_code",), fence_since=SINCE),
        PostingState.BLOCKED,
        "stale_code",
        SINCE,
        None,
    ),
    (
        "no deployment declared where one is required",
        AccountFacts(account="x:a", fence=("deploy_unmarked",)),
        PostingState.BLOCKED,
        "deploy_unmarked",
        None,
        None,
    ),
    (
        "credentials refused",
        AccountFacts(account="x:a", fault=REFUSED),
        PostingState.BLOCKED,
        "credentials_refused",
        SINCE,
        None,
    ),
    (
        "platform misconfigured",
        AccountFacts(
            account="bluesky:b",
            fault=PlatformFault(reason=BlockReason.PLATFORM_MISCONFIGURED, since=SINCE),
        ),
        PostingState.BLOCKED,
        "platform_misconfigured",
        SINCE,
        None,
    ),
    (
        "LLM on X without approval",
        AccountFacts(account="x:a", policy=PolicyBlock.LLM_NOT_APPROVED_ON_X),
        PostingState.BLOCKED,
        "policy",
        None,
        None,
    ),
    (
        "blocked wins over held",
        AccountFacts(account="x:a", kill_switch=SWITCH, rules=QUIET),
        PostingState.BLOCKED,
        "kill_switch",
        SINCE,
        None,
    ),
    (
        "quiet hours, until their end",
        AccountFacts(account="x:a", rules=QUIET),
        PostingState.HELD,
        "quiet_hours",
        None,
        NOW.replace(hour=13, minute=30),
    ),
    (
        "hourly budget, until the oldest post leaves the hour",
        AccountFacts(account="x:a", rules=RULES, history=(posted(50), posted(10))),
        PostingState.HELD,
        "hourly_budget",
        None,
        NOW + timedelta(minutes=10),
    ),
    (
        "daily budget, until the oldest post leaves the day",
        AccountFacts(
            account="x:a", rules=RULES, history=(posted(20 * 60), posted(10 * 60), posted(90))
        ),
        PostingState.HELD,
        "daily_budget",
        None,
        NOW + timedelta(hours=4),
    ),
    (
        "the minimum gap is pacing, not a hold",
        AccountFacts(account="x:a", rules=RULES, history=(posted(0.5),)),
        PostingState.POSTING,
        None,
        None,
        None,
    ),
    (
        "every waiting author in cooldown",
        AccountFacts(
            account="x:a",
            rules=RULES,
            history=(posted(120, "ann"), posted(60, "bob")),
            waiting=(waiting("ann", "n1"), waiting("bob", "n2")),
        ),
        PostingState.HELD,
        "author_cooldown",
        None,
        NOW + timedelta(hours=2),
    ),
    (
        "one waiting author free",
        AccountFacts(
            account="x:a",
            rules=RULES,
            history=(posted(120, "ann"),),
            waiting=(waiting("ann", "n1"), waiting("cid", "n2")),
        ),
        PostingState.POSTING,
        None,
        None,
        None,
    ),
]


@pytest.mark.parametrize(
    ("facts", "state", "reason", "since", "until"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_state_table(
    facts: AccountFacts,
    state: PostingState,
    reason: str | None,
    since: datetime | None,
    until: datetime | None,
) -> None:
    result = account_state(facts, now=NOW)
    assert (result.state, result.reason, result.since, result.until) == (
        state,
        reason,
        since,
        until,
    )
    assert result.posting_allowed is (state is PostingState.POSTING)


def test_kill_switch_names_when_and_who() -> None:
    result = account_state(AccountFacts(account="x:a", kill_switch=SWITCH), now=NOW)
    assert result.detail == "kill switch on since 2026-03-10 10:00:00 UTC, set by alice"
    assert result.describe() == (
        "x:a blocked: kill_switch (kill switch on since 2026-03-10 10:00:00 UTC, set by alice)"
    )


def test_every_blocking_reason_is_kept_the_switch_first() -> None:
    facts = AccountFacts(
        account="x:a", fence=("stale_code", "kill_switch"), kill_switch=SWITCH, fault=REFUSED
    )
    result = account_state(facts, now=NOW)
    assert result.reasons == ("kill_switch", "stale_code", "credentials_refused")


def test_an_unknown_fence_reason_still_blocks() -> None:
    result = account_state(AccountFacts(account="x:a", fence=("cost_cap",)), now=NOW)
    assert (result.state, result.reason) == (PostingState.BLOCKED, "cost_cap")


def test_data_for_ready() -> None:
    data = account_state(AccountFacts(account="x:a", rules=QUIET), now=NOW).as_data()
    assert data == {
        "account": "x:a",
        "state": "held",
        "reason": "quiet_hours",
        "detail": "until 2026-03-10 13:30:00 UTC",
        "since": None,
        "until": "2026-03-10T13:30:00+00:00",
        "posting_allowed": False,
    }


def test_overall_posting_needs_one_posting_account() -> None:
    posting = AccountState(account="x:a", state=PostingState.POSTING)
    held = AccountState(account="x:b", state=PostingState.HELD)
    assert overall_posting_allowed([held, posting])
    assert not overall_posting_allowed([held])
    assert not overall_posting_allowed([])
