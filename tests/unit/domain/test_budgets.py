"""Budgets: per hour, per day, quiet hours, author cooldown, one reply per thread, minimum gap."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xbot.config import BudgetSettings
from xbot.domain.budgets import (
    BudgetRules,
    Grant,
    QuietHours,
    Refusal,
    RefusalReason,
    ReplyIntent,
    ReplyRecord,
    account_refusal,
    may_post,
    parse_quiet_hours,
    parse_timezone,
)
from xbot.domain.errors import ConfigError

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
RULES = BudgetRules(
    per_hour=3,
    per_day=5,
    author_cooldown=timedelta(hours=4),
    min_gap=timedelta(minutes=5),
)


def record(minutes_ago: float, author: str = "a", thread: str | None = None) -> ReplyRecord:
    at = NOW - timedelta(minutes=minutes_ago)
    name = thread or f"t{minutes_ago}"
    return ReplyRecord(at=at, author_id=author, thread_id=name, target_post_id=f"p-{name}")


def intent(author: str = "new", thread: str = "fresh", target: str = "p-fresh") -> ReplyIntent:
    return ReplyIntent(author_id=author, thread_id=thread, target_post_id=target)


@pytest.mark.parametrize(
    ("history", "wanted", "reason"),
    [
        ([], intent(), None),
        ([record(10), record(20)], intent(), None),
        ([record(10), record(20), record(30)], intent(), RefusalReason.HOURLY_BUDGET),
        ([record(10), record(20), record(61)], intent(), None),
        (
            [record(61), record(70), record(120), record(300), record(600)],
            intent(),
            RefusalReason.DAILY_BUDGET,
        ),
        ([record(61), record(70), record(120), record(300), record(24 * 60 + 1)], intent(), None),
        ([record(4)], intent(), RefusalReason.MIN_GAP),
        ([record(5)], intent(), None),
        ([record(100, author="ann")], intent(author="ann"), RefusalReason.AUTHOR_COOLDOWN),
        ([record(241, author="ann")], intent(author="ann"), None),
        ([record(2000, thread="t1")], intent(thread="t1"), RefusalReason.THREAD_ALREADY_REPLIED),
        (
            [record(2000, thread="t1")],
            intent(thread="t2", target="p-t1"),
            RefusalReason.TARGET_ALREADY_REPLIED,
        ),
        # a permit claimed in the future (clock skew) still counts
        ([record(-10)], intent(), RefusalReason.MIN_GAP),
    ],
)
def test_may_post_table(
    history: list[ReplyRecord], wanted: ReplyIntent, reason: RefusalReason | None
) -> None:
    verdict = may_post(history, wanted, RULES, now=NOW)
    if reason is None:
        assert verdict == Grant()
    else:
        assert isinstance(verdict, Refusal)
        assert verdict.reason is reason


def test_retry_at_is_when_the_window_frees_a_slot() -> None:
    verdict = may_post([record(10), record(20), record(30)], intent(), RULES, now=NOW)
    assert verdict == Refusal(
        reason=RefusalReason.HOURLY_BUDGET,
        retry_at=NOW - timedelta(minutes=30) + timedelta(hours=1),
    )
    later = may_post([record(10), record(20), record(30)], intent(), RULES, now=verdict.retry_at)
    assert later == Grant()


def test_thread_and_target_refusals_never_retry() -> None:
    verdict = may_post([record(2000, thread="t1")], intent(thread="t1"), RULES, now=NOW)
    assert isinstance(verdict, Refusal)
    assert verdict.retry_at is None
    assert not verdict.reason.account_wide


def test_zero_budget_refuses_without_retry() -> None:
    rules = BudgetRules(per_hour=0, per_day=10)
    verdict = may_post([], intent(), rules, now=NOW)
    assert verdict == Refusal(reason=RefusalReason.HOURLY_BUDGET, retry_at=None)


def test_history_order_does_not_matter() -> None:
    history = [record(m) for m in (10, 20, 30, 40, 70, 200)]
    expected = may_post(history, intent(), RULES, now=NOW)
    for seed in range(10):
        shuffled = history[:]
        random.Random(seed).shuffle(shuffled)
        assert may_post(shuffled, intent(), RULES, now=NOW) == expected


@pytest.mark.parametrize(
    ("spec", "local", "quiet"),
    [
        ("23:00-07:00", time(23, 0), True),
        ("23:00-07:00", time(2, 30), True),
        ("23:00-07:00", time(6, 59), True),
        ("23:00-07:00", time(7, 0), False),
        ("23:00-07:00", time(12, 0), False),
        ("23:00-07:00", time(22, 59), False),
        ("01:00-05:30", time(0, 59), False),
        ("01:00-05:30", time(1, 0), True),
        ("01:00-05:30", time(5, 29), True),
        ("01:00-05:30", time(5, 30), False),
    ],
)
def test_quiet_hours_window(spec: str, local: time, quiet: bool) -> None:
    window = parse_quiet_hours(spec)
    assert window is not None
    assert window.contains(local) is quiet


@pytest.mark.parametrize(
    "spec",
    [
        "23-07",
        "23:00",
        "23:00-07:00-08:00",
        "x-y",
        "07:00-07:00",
        "23:00+01:00-07:00",
        "25:00-07:00",
    ],
)
def test_bad_quiet_hours_are_config_errors(spec: str) -> None:
    with pytest.raises(ConfigError, match="quiet_hours"):
        parse_quiet_hours(spec)


def test_empty_quiet_hours_mean_none() -> None:
    assert parse_quiet_hours("") is None
    assert parse_quiet_hours("  ") is None


def test_quiet_hours_use_the_account_time_zone_and_say_when_they_end() -> None:
    rules = BudgetRules(
        quiet_hours=QuietHours(start=time(23), end=time(7)), timezone=ZoneInfo("America/New_York")
    )
    # 03:00 UTC on 10 March 2026 is 23:00 in New York (EDT, UTC-4, since 8 March)
    at_night = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
    verdict = account_refusal([], rules, now=at_night)
    assert verdict == Refusal(
        reason=RefusalReason.QUIET_HOURS, retry_at=datetime(2026, 3, 10, 11, 0, tzinfo=UTC)
    )
    assert verdict.reason.account_wide
    # 12:00 UTC is 08:00 in New York: awake
    assert account_refusal([], rules, now=NOW) is None


def test_quiet_hours_across_a_dst_change() -> None:
    rules = BudgetRules(
        quiet_hours=QuietHours(start=time(1), end=time(3, 30)), timezone=ZoneInfo("Europe/Berlin")
    )
    # 29 March 2026: Berlin skips 02:00-03:00; 00:30 UTC is 01:30 CET (quiet)
    verdict = account_refusal([], rules, now=datetime(2026, 3, 29, 0, 30, tzinfo=UTC))
    assert isinstance(verdict, Refusal)
    assert verdict.retry_at == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 CEST


def test_timezone_must_exist() -> None:
    assert parse_timezone("Asia/Tokyo") == ZoneInfo("Asia/Tokyo")
    with pytest.raises(ConfigError, match="IANA"):
        parse_timezone("Mars/Olympus_Mons")


def test_rules_from_settings() -> None:
    settings = BudgetSettings(
        per_hour=2,
        per_day=9,
        author_cooldown_minutes=30,
        min_gap_seconds=15,
        quiet_hours="22:00-06:00",
        timezone="Asia/Tokyo",
    )
    rules = BudgetRules.from_settings(settings)
    assert rules == BudgetRules(
        per_hour=2,
        per_day=9,
        author_cooldown=timedelta(minutes=30),
        min_gap=timedelta(seconds=15),
        quiet_hours=QuietHours(start=time(22), end=time(6)),
        timezone=ZoneInfo("Asia/Tokyo"),
    )


# --- properties: whatever the order and timing of attempts, no budget is ever exceeded ---

attempts = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=3 * 24 * 3600),  # seconds after the start
        st.sampled_from(["ann", "bob", "cy", "dee"]),
        st.integers(min_value=0, max_value=30),  # thread number
    ),
    max_size=80,
)
rule_sets = st.builds(
    BudgetRules,
    per_hour=st.integers(min_value=0, max_value=5),
    per_day=st.integers(min_value=0, max_value=12),
    author_cooldown=st.sampled_from([timedelta(0), timedelta(minutes=30), timedelta(hours=6)]),
    min_gap=st.sampled_from([timedelta(0), timedelta(seconds=90), timedelta(minutes=20)]),
    quiet_hours=st.sampled_from([None, QuietHours(start=time(23), end=time(7))]),
)


def simulate(events: list[tuple[int, str, int]], rules: BudgetRules) -> list[ReplyRecord]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    granted: list[ReplyRecord] = []
    for offset, author, thread in sorted(events):
        now = start + timedelta(seconds=offset)
        wanted = ReplyIntent(author_id=author, thread_id=f"t{thread}", target_post_id=f"p{thread}")
        if isinstance(may_post(granted, wanted, rules, now=now), Grant):
            granted.append(
                ReplyRecord(
                    at=now,
                    author_id=author,
                    thread_id=wanted.thread_id,
                    target_post_id=wanted.target_post_id,
                )
            )
    return granted


@settings(max_examples=300, deadline=None)
@given(events=attempts, rules=rule_sets)
def test_no_window_ever_holds_more_than_its_budget(
    events: list[tuple[int, str, int]], rules: BudgetRules
) -> None:
    granted = simulate(events, rules)
    times = [reply.at for reply in granted]
    for moment in times:
        assert sum(moment - timedelta(hours=1) < t <= moment for t in times) <= rules.per_hour
        assert sum(moment - timedelta(days=1) < t <= moment for t in times) <= rules.per_day
    for earlier, later in itertools.pairwise(times):
        assert later - earlier >= rules.min_gap
    threads = [reply.thread_id for reply in granted]
    assert len(threads) == len(set(threads))
    for author in {reply.author_id for reply in granted}:
        own = [reply.at for reply in granted if reply.author_id == author]
        for earlier, later in itertools.pairwise(own):
            assert later - earlier >= rules.author_cooldown
    if rules.quiet_hours is not None:
        assert not any(rules.quiet_hours.contains(t.time()) for t in times)


@settings(max_examples=200, deadline=None)
@given(events=attempts, rules=rule_sets, seed=st.integers(min_value=0, max_value=1000))
def test_the_verdict_ignores_the_order_of_the_history(
    events: list[tuple[int, str, int]], rules: BudgetRules, seed: int
) -> None:
    granted = simulate(events, rules)
    shuffled = granted[:]
    random.Random(seed).shuffle(shuffled)
    now = datetime(2026, 1, 3, 12, tzinfo=UTC)
    wanted = intent(author="ann")
    assert may_post(shuffled, wanted, rules, now=now) == may_post(granted, wanted, rules, now=now)
