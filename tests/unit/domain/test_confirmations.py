"""The one confirmation of an opt-out: which messages get it, and the budgets it keeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from xbot.config_compliance import OptOutSettings
from xbot.domain.budgets import BudgetRules, Grant, Refusal, RefusalReason, ReplyIntent, ReplyRecord
from xbot.domain.confirmations import CONFIRMATION_RULES, confirms, may_confirm
from xbot.domain.opt_outs import OptOutHow

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
ALL = ("x", "bluesky", "mastodon")


#: None: `opt_outs.confirmation` off; else the platforms it is on for
@pytest.mark.parametrize(
    ("platform", "how", "summoned", "platforms", "expected"),
    [
        ("x", OptOutHow.STOP_WORD, True, ALL, True),  # a summoned reply, one per interaction
        ("bluesky", OptOutHow.STOP_WORD, True, ALL, True),
        ("mastodon", OptOutHow.STOP_WORD, True, ALL, True),
        ("x", OptOutHow.STOP_WORD, True, None, False),  # off by default
        ("x", OptOutHow.STOP_WORD, True, ("bluesky",), False),  # the operator narrowed it
        ("x", OptOutHow.STOP_WORD, False, ALL, False),  # not a summons: X refuses the reply
        ("mastodon", OptOutHow.BLOCK, True, ALL, False),  # a block has no message to answer
        ("mastodon", OptOutHow.MUTE, True, ALL, False),
        ("x", OptOutHow.OPERATOR, True, ALL, False),
        ("myspace", OptOutHow.STOP_WORD, True, ("myspace",), False),  # no rule: never
    ],
)
def test_which_opt_outs_get_their_confirmation(
    platform: str, how: OptOutHow, summoned: bool, platforms: tuple[str, ...] | None, expected: bool
) -> None:
    verdict = confirms(
        platform, how, summoned=summoned, enabled=platforms is not None, platforms=platforms or ()
    )
    assert verdict is expected


def test_the_setting_is_off_and_lists_the_platforms_whose_rules_allow_it() -> None:
    settings = OptOutSettings()
    assert settings.confirmation is False
    assert settings.confirmation_platforms == [
        name for name, rule in CONFIRMATION_RULES.items() if rule.allowed
    ]
    assert all("§" in rule.source for rule in CONFIRMATION_RULES.values())


STOP = ReplyIntent(author_id="ann", thread_id="t1", target_post_id="p9")
OPEN = BudgetRules(per_hour=10, per_day=10, min_gap=timedelta(0))
ONE_AN_HOUR = BudgetRules(per_hour=1, per_day=10, min_gap=timedelta(0))


def record(
    minutes_ago: float, *, author: str = "ann", thread: str = "t1", target: str = "p1"
) -> ReplyRecord:
    return ReplyRecord(at=NOW - timedelta(minutes=minutes_ago), author_id=author, thread_id=thread,
                       target_post_id=target)  # fmt: skip


@pytest.mark.parametrize(
    ("history", "rules", "answered", "expected"),
    [
        ([], OPEN, (), None),
        # the thread the bot answered and the author's cooldown do not hold the confirmation
        ([record(2)], OPEN, (), None),
        ([record(2), record(3, target="p2")], OPEN, (), None),
        # the stop message itself answered already (by us or a ghost): never again
        ([record(2, target="p9")], OPEN, (), RefusalReason.TARGET_ALREADY_REPLIED),
        ([], OPEN, ("p9",), RefusalReason.TARGET_ALREADY_ANSWERED),
        # the account's budgets hold it like any reply
        ([record(1, author="bob", thread="t2", target="p3")], ONE_AN_HOUR, (),
         RefusalReason.HOURLY_BUDGET),
    ],
)  # fmt: skip
def test_a_confirmation_keeps_the_account_budgets_but_not_the_thread_rules(
    history: list[ReplyRecord],
    rules: BudgetRules,
    answered: tuple[str, ...],
    expected: RefusalReason | None,
) -> None:
    verdict = may_confirm(history, STOP, rules, now=NOW, answered=answered)
    if expected is None:
        assert isinstance(verdict, Grant)
    else:
        assert isinstance(verdict, Refusal)
        assert verdict.reason is expected
