"""Pricing and caps as tables: the rate card, what a reply costs, when a cap stops a call."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from xbot.domain.cost import (
    CapPeriod,
    CapScope,
    CostCaps,
    Spend,
    cap_block,
    cheapest_reply,
    next_day,
    next_month,
    reply_charge,
    reply_class,
)
from xbot.domain.meter import Meter
from xbot.domain.rate_card import EndpointClass, rate_card, shipped_cards, usd_to_micro

NOW = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("endpoint_class", "usd"),
    [
        (EndpointClass.POST_READ, 0.005),
        (EndpointClass.USER_READ, 0.010),
        (EndpointClass.OWNED_READ, 0.001),
        (EndpointClass.POST_CREATE, 0.015),
        (EndpointClass.POST_CREATE_URL, 0.200),
        (EndpointClass.SUMMONED_REPLY, 0.010),
    ],
)
def test_x_rate_card_holds_platform_facts_prices(endpoint_class: EndpointClass, usd: float) -> None:
    assert rate_card("x").price(endpoint_class) == usd_to_micro(usd)


def test_every_card_names_its_source_and_date() -> None:
    cards = shipped_cards()
    assert set(cards) == {"x", "bluesky", "mastodon"}
    for card in cards.values():
        assert card.as_of == date(2026, 8, 22)
        assert card.source


@pytest.mark.parametrize(
    ("platform", "budget", "points"),
    [
        ("bluesky", "write_points_per_hour", 5000),
        ("bluesky", "write_points_per_day", 35000),
        ("bluesky", "points_per_create", 3),
        ("mastodon", "requests_per_5_minutes", 300),
    ],
)
def test_free_platforms_cost_nothing_and_keep_their_budgets(
    platform: str, budget: str, points: int
) -> None:
    card = rate_card(platform)
    assert card.budgets[budget] == points
    assert all(card.price(endpoint_class) == 0 for endpoint_class in EndpointClass)
    assert cheapest_reply(card) == 0


def test_config_overrides_one_price_and_says_so() -> None:
    card = rate_card("x", {"post_create": 0.02})
    assert card.price(EndpointClass.POST_CREATE) == 20_000
    assert card.price(EndpointClass.SUMMONED_REPLY) == 10_000
    assert "overridden" in card.source


def test_an_unknown_platform_is_free() -> None:
    assert rate_card("sim").price(EndpointClass.POST_CREATE) == 0


@pytest.mark.parametrize(
    ("text", "summoned", "expected", "micro"),
    [
        ("thanks!", True, EndpointClass.SUMMONED_REPLY, 10_000),
        ("thanks!", False, EndpointClass.POST_CREATE, 15_000),
        ("see https://docs.python.org", True, EndpointClass.POST_CREATE_URL, 200_000),
        ("see HTTP://example.com", False, EndpointClass.POST_CREATE_URL, 200_000),
    ],
)
def test_reply_price(text: str, summoned: bool, expected: EndpointClass, micro: int) -> None:
    assert reply_class(text, summoned=summoned) is expected
    assert reply_charge(rate_card("x"), text, summoned=summoned).cost_micro == micro


CAPS = CostCaps.from_usd((0.05, 1.0), (None, 10.0))


@pytest.mark.parametrize(
    ("spend", "next_cost", "blocked"),
    [
        (Spend(), 10_000, None),
        (Spend(account_day=40_000, account_month=40_000), 10_000, None),  # lands on the cap
        (
            Spend(account_day=40_001, account_month=40_001),
            10_000,
            (CapScope.ACCOUNT, CapPeriod.DAILY),
        ),
        (Spend(account_day=50_000, account_month=50_000), 0, None),  # a free call passes
        (
            Spend(account_day=0, account_month=995_000),
            10_000,
            (CapScope.ACCOUNT, CapPeriod.MONTHLY),
        ),
        (Spend(global_month=9_999_999), 10_000, (CapScope.GLOBAL, CapPeriod.MONTHLY)),
        (  # both: the monthly block is the longer one, so it is shown
            Spend(account_day=50_000, account_month=1_000_000),
            1,
            (CapScope.ACCOUNT, CapPeriod.MONTHLY),
        ),
        # claims not yet recorded count: 30 000 spent + 10 000 reserved lands on the cap ...
        (Spend(account_day=30_000, account_reserved=10_000), 10_000, None),
        (  # ... and 20 000 reserved crosses it
            Spend(account_day=30_000, account_reserved=20_000),
            10_000,
            (CapScope.ACCOUNT, CapPeriod.DAILY),
        ),
        (  # other accounts' reservations count against the global cap only
            Spend(global_month=9_000_000, global_reserved=990_001),
            10_000,
            (CapScope.GLOBAL, CapPeriod.MONTHLY),
        ),
        (Spend(global_month=9_000_000, global_reserved=990_000), 10_000, None),
    ],
)
def test_cap_block(
    spend: Spend, next_cost: int, blocked: tuple[CapScope, CapPeriod] | None
) -> None:
    block = cap_block(spend, CAPS, next_cost=next_cost, now=NOW)
    if blocked is None:
        assert block is None
        return
    assert block is not None
    assert (block.scope, block.period) == blocked
    until = next_day(NOW) if blocked[1] is CapPeriod.DAILY else next_month(NOW)
    assert block.until == until
    assert "cap $" in block.describe()


@pytest.mark.parametrize(
    ("now", "day", "month"),
    [
        (NOW, datetime(2026, 12, 2, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
        (
            datetime(2026, 1, 31, 0, 0, tzinfo=UTC),
            datetime(2026, 2, 1, tzinfo=UTC),
            datetime(2026, 2, 1, tzinfo=UTC),
        ),
    ],
)
def test_cap_ends(now: datetime, day: datetime, month: datetime) -> None:
    assert (next_day(now), next_month(now)) == (day, month)


def test_meter_bills_a_resource_once_per_utc_day() -> None:
    meter = Meter(rate_card("x"))
    meter.read(EndpointClass.OWNED_READ, ["1", "2"], NOW)
    meter.read(EndpointClass.OWNED_READ, ["2", "3"], NOW)
    meter.read(EndpointClass.OWNED_READ, ["3"], next_day(NOW))
    charges = meter.take()
    assert [(c.calls, c.units, c.cost_micro) for c in charges] == [
        (1, 2, 2000),
        (1, 1, 1000),
        (1, 1, 1000),
    ]
    assert meter.take() == []
    meter.give_back(charges[:1])
    assert meter.take() == charges[:1]


def test_a_cap_block_says_what_is_reserved_apart_from_what_is_spent() -> None:
    spend = Spend(account_day=30_000, account_month=30_000, account_reserved=20_000)
    block = cap_block(spend, CAPS, next_cost=10_000, now=NOW)
    assert block is not None
    assert "($0.0300 spent + $0.0200 reserved)" in block.describe()
    recorded = cap_block(Spend(account_day=50_000), CAPS, next_cost=10_000, now=NOW)
    assert recorded is not None
    assert "($0.0500 spent) until" in recorded.describe()
