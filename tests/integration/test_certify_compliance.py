"""Check J (compliance) on planted rows, SQLite and PostgreSQL: rules, labels, spend, no vacuity."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select, update

from certify_world import NOW, World, certify, healthy, minutes, result
from xbot.certify import CertifyOptions, Status, Verdict, run_certification
from xbot.config import AccountSettings, Settings
from xbot.config_cost import AccountCostSettings, CostSettings
from xbot.store.tables import (
    accounts,
    opt_outs,
    platform_usage,
    reply_candidate_queue,
    reply_decisions,
)


def plant(world: World, account_id: int, *, text: str | None = None, **meta: Any) -> str:
    """A USED reply ten minutes ago whose candidate carries `meta` flags; returns its permit."""
    decision_id, permit_id = world.reply(account_id, "w-new", NOW - minutes(10))
    if text is not None:
        world.execute(
            update(reply_decisions)
            .where(reply_decisions.c.decision_id == decision_id)
            .values(reply_text=text)
        )
    if meta:
        world.execute(
            update(reply_candidate_queue)
            .where(reply_candidate_queue.c.status == "replied")
            .where(reply_candidate_queue.c.created_at == NOW - minutes(12))
            .values(target_meta=meta)
        )
    return permit_id


def test_a_clean_window_passes(engine: Engine) -> None:
    healthy(World(engine))
    report = certify(engine)
    check = result(report, "J")
    assert check.status is Status.PASS, check.explanation
    assert check.explanation.startswith("2 post(s) since ")
    assert "labels verified for x:acme" in check.explanation
    assert report.verdict is Verdict.OPERATIONAL


@pytest.mark.parametrize(
    ("meta", "text", "rule"),
    [
        ({"author_is_bot": True}, None, "bot_author"),
        ({"author_nobot": True}, None, "author_nobot"),
        ({"reply_disabled": True}, None, "threadgate"),
        ({}, "Compare $AAPL and $MSFT first.", "cashtags"),
        ({}, "See https://evil.example/reset for the steps.", "link url_cost"),
    ],
    ids=["bot", "nobot", "threadgate", "cashtags", "link"],
)
def test_a_planted_violation_fails(
    engine: Engine, meta: dict[str, Any], text: str | None, rule: str
) -> None:
    world = World(engine)
    account_id = healthy(world)
    permit_id = plant(world, account_id, text=text, **meta)
    report = certify(engine)
    check = result(report, "J")
    assert check.status is Status.FAIL
    assert [(v["permit_id"], v["rule"]) for v in check.facts.as_data()["violations"]] == [
        (permit_id, one) for one in rule.split()
    ]
    assert report.verdict is Verdict.NOT_OPERATIONAL
    assert report.blocker is not None
    assert report.blocker.key == "J"


def test_a_reply_to_an_opted_out_author_fails(engine: Engine) -> None:
    world = World(engine)
    healthy(world)
    world.execute(
        insert(opt_outs).values(
            platform="x", author_id="u1001", how="stop_word", created_at=NOW - minutes(60)
        )
    )
    report = certify(engine)
    check = result(report, "J")
    assert check.status is Status.FAIL
    assert [v["rule"] for v in check.facts.as_data()["violations"]] == ["opted_out"]
    assert "had opted out" in check.explanation
    # an opt-out recorded after the decision was made does not make the reply a violation
    world.execute(update(opt_outs).values(created_at=NOW - minutes(1)))
    assert result(certify(engine), "J").status is Status.PASS


def test_links_on_the_allowed_domains_and_bots_the_account_answers_pass(engine: Engine) -> None:
    world = World(engine)
    account_id = healthy(world)
    settings = {"platform": "x", "handle": "acme", "allowed_domains": ["docs.example"],
                "reply_to_bots": True, "cost": {"allow_url_posts": True}}  # fmt: skip
    world.execute(update(accounts).where(accounts.c.id == account_id).values(settings=settings))
    plant(world, account_id, text="See https://docs.example/reset", author_is_bot=True)
    assert result(certify(engine), "J").status is Status.PASS


def test_an_x_url_without_the_cost_allowance_fails_even_on_an_allowed_domain(
    engine: Engine,
) -> None:
    world = World(engine)
    account_id = healthy(world)
    settings = {"platform": "x", "handle": "acme", "allowed_domains": ["docs.example"]}
    world.execute(update(accounts).where(accounts.c.id == account_id).values(settings=settings))
    permit_id = plant(world, account_id, text="See https://docs.example/reset")
    check = result(certify(engine), "J")
    assert check.status is Status.FAIL
    assert [(v["permit_id"], v["rule"]) for v in check.facts.as_data()["violations"]] == [
        (permit_id, "url_cost")
    ]
    assert "cost.allow_url_posts" in check.explanation


def test_an_unlabelled_account_fails(engine: Engine) -> None:
    world = World(engine)
    account_id = healthy(world)
    world.label_check(account_id, NOW - minutes(5), state="not_attested")
    check = result(certify(engine), "J")
    assert check.status is Status.FAIL
    assert {v["rule"] for v in check.facts.as_data()["violations"]} == {"unlabelled_account"}
    assert check.facts.as_data()["unlabelled"] == ["x:acme not_attested"]


def test_no_post_in_the_window_is_inconclusive_not_pass(engine: Engine) -> None:
    healthy(World(engine), replies=())
    check = result(certify(engine), "J")
    assert check.status is Status.INCONCLUSIVE
    assert check.explanation.startswith("no post since ")


def test_no_label_check_is_inconclusive(engine: Engine) -> None:
    world = World(engine)
    healthy(world)
    world.account("other", "bluesky")
    check = result(certify(engine), "J")
    assert check.status is Status.INCONCLUSIVE
    assert "bluesky:other" in check.explanation
    assert "xbot accounts check" in check.explanation


def capped(daily: float | None = None, monthly: float | None = None) -> Settings:
    """Settings with the acme account's caps and a global monthly cap of $1."""
    account = AccountSettings(
        platform="x", handle="acme", cost=AccountCostSettings(daily_usd=daily, monthly_usd=monthly)
    )
    return Settings(accounts=[account], cost=CostSettings(monthly_usd=1.0))


def spent(world: World, account_id: int, micro: int, *, days_ago: int = 0) -> None:
    """Record `micro` micro-dollars of summoned replies on the account's usage row."""
    world.execute(
        insert(platform_usage).values(
            account_id=account_id,
            day=(NOW - timedelta(days=days_ago)).date(),
            endpoint_class="summoned_reply",
            calls=1,
            units=1,
            cost_micro_usd=micro,
        )
    )


def test_spend_under_the_caps_is_shown_and_passes(engine: Engine) -> None:
    world = World(engine)
    spent(world, healthy(world), 49_000)
    report = run_certification(engine, capped(daily=0.05), CertifyOptions(now=NOW))
    check = result(report, "J")
    assert check.status is Status.PASS, check.explanation
    assert "spend: x:acme today $0.0490 of $0.05, month $0.0490 of no cap" in check.explanation
    assert "all accounts today $0.0490 of no cap, month $0.0490 of $1 (under every cap)" in (
        check.explanation
    )
    assert check.facts.as_data()["overspent"] == []


@pytest.mark.parametrize(
    ("settings", "micro", "days_ago", "line"),
    [
        (capped(daily=0.05), 60_000, 0, "x:acme daily $0.0600 over $0.05"),
        (capped(monthly=0.10), 150_000, 1, "x:acme monthly $0.1500 over $0.1"),
        (capped(), 1_200_000, 1, "all accounts monthly $1.2000 over $1"),
    ],
)
def test_spend_past_a_cap_fails(
    engine: Engine, settings: Settings, micro: int, days_ago: int, line: str
) -> None:
    world = World(engine)
    spent(world, healthy(world), micro, days_ago=days_ago)
    check = result(run_certification(engine, settings, CertifyOptions(now=NOW)), "J")
    assert check.status is Status.FAIL
    assert check.facts.as_data()["overspent"] == [line]
    assert check.explanation == f"spend over a cost cap: {line}"


def test_spend_under_the_caps_without_a_post_is_still_inconclusive(engine: Engine) -> None:
    world = World(engine)
    spent(world, healthy(world, replies=()), 10_000)
    check = result(run_certification(engine, capped(daily=0.05), CertifyOptions(now=NOW)), "J")
    assert check.status is Status.INCONCLUSIVE
    assert check.explanation.startswith("no post since ")


def _planted_author(world: World, created_at: Any) -> tuple[str, str]:
    """The post id and author of the candidate planted at `created_at`."""
    with world.engine.connect() as connection:
        row = connection.execute(
            select(
                reply_candidate_queue.c.candidate_post_id, reply_candidate_queue.c.author_id
            ).where(reply_candidate_queue.c.created_at == created_at)
        ).one()
    return str(row.candidate_post_id), str(row.author_id)


def test_the_one_confirmation_of_a_stop_message_passes_and_any_other_reply_fails(
    engine: Engine,
) -> None:
    world = World(engine)
    account_id = healthy(world)
    plant(world, account_id, confirmation=True)  # the reply to the stop message, 10 minutes ago
    stop_post, author = _planted_author(world, NOW - minutes(12))
    world.execute(
        insert(opt_outs).values(
            platform="x", author_id=author, how="stop_word", account_id=account_id,
            post_id="another-post", created_at=NOW - minutes(12),
        )
    )  # fmt: skip
    # flagged, but not the post that recorded the opt-out: a breach
    assert [v["rule"] for v in result(certify(engine), "J").facts.as_data()["violations"]] == [
        "opted_out"
    ]
    world.execute(update(opt_outs).values(post_id=stop_post))
    check = result(certify(engine), "J")
    assert check.status is Status.PASS, check.explanation

    # a second reply to the same author (another of their posts) is still a breach
    _, second = world.reply(account_id, "w-new", NOW - minutes(5))
    world.execute(
        update(reply_candidate_queue)
        .where(reply_candidate_queue.c.created_at == NOW - minutes(7))
        .values(author_id=author)
    )
    check = result(certify(engine), "J")
    assert check.status is Status.FAIL
    assert [(v["permit_id"], v["rule"]) for v in check.facts.as_data()["violations"]] == [
        (second, "opted_out")
    ]
