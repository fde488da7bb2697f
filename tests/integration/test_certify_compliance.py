"""Check J (compliance) on planted rows, SQLite and PostgreSQL: each rule, labels, never vacuous."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, insert, update

from certify_world import NOW, World, certify, healthy, minutes, result
from xbot.certify import Status, Verdict
from xbot.store.tables import accounts, opt_outs, reply_candidate_queue, reply_decisions


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
        ({}, "See https://evil.example/reset for the steps.", "link"),
    ],
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
    assert [(v["permit_id"], v["rule"]) for v in check.facts["violations"]] == [(permit_id, rule)]
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
    assert [v["rule"] for v in check.facts["violations"]] == ["opted_out"]
    assert "had opted out" in check.explanation
    # an opt-out recorded after the decision was made does not make the reply a violation
    world.execute(update(opt_outs).values(created_at=NOW - minutes(1)))
    assert result(certify(engine), "J").status is Status.PASS


def test_links_on_the_allowed_domains_and_bots_the_account_answers_pass(engine: Engine) -> None:
    world = World(engine)
    account_id = healthy(world)
    settings = {"platform": "x", "handle": "acme", "allowed_domains": ["docs.example"],
                "reply_to_bots": True}  # fmt: skip
    world.execute(update(accounts).where(accounts.c.id == account_id).values(settings=settings))
    plant(world, account_id, text="See https://docs.example/reset", author_is_bot=True)
    assert result(certify(engine), "J").status is Status.PASS


def test_an_unlabelled_account_fails(engine: Engine) -> None:
    world = World(engine)
    account_id = healthy(world)
    world.label_check(account_id, NOW - minutes(5), state="not_attested")
    check = result(certify(engine), "J")
    assert check.status is Status.FAIL
    assert {v["rule"] for v in check.facts["violations"]} == {"unlabelled_account"}
    assert check.facts["unlabelled"] == ["x:acme not_attested"]


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
