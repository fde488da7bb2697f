"""Check I: can and does each account post now (kill switch, blocked, held), on both dialects."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from certify_world import NOW, World, certify, healthy, minutes, result
from xbot.certify import CertifyOptions, Report, Status, Verdict, run_certification
from xbot.certify.data import render_json
from xbot.certify.markdown import render_markdown, summary_line
from xbot.config import AccountSettings, BudgetSettings, Settings
from xbot.domain.account_state import BlockReason
from xbot.store.queries import controls, faults


def pause(engine: Engine, by: str = "alice") -> None:
    with engine.begin() as connection:
        controls.set_control(
            connection, controls.KILL_SWITCH, {"on": True, "drain": False},
            now=NOW - minutes(30), updated_by=by,
        )  # fmt: skip


def with_settings(engine: Engine, *accounts: AccountSettings, **more: Any) -> Report:
    # these accounts are live X accounts: the operator attests X's Automated label
    more = more | {"x": {"automated_label_attested": True} | more.get("x", {})}
    settings = Settings(accounts=list(accounts), **more)
    return run_certification(engine, settings, CertifyOptions(now=NOW))


def test_a_healthy_production_can_post_on_every_account(engine: Engine) -> None:
    healthy(World(engine))
    report = certify(engine)
    check = result(report, "I")
    assert check.status is Status.PASS
    assert check.explanation == "1 of 1 account(s) can post now"
    [row] = check.facts.as_data()["accounts"]
    assert (row["account"], row["state"], row["posts_today"], row["per_day"]) == (
        "x:acme",
        "posting",
        2,
        30,
    )


def test_kill_switch_is_the_permanent_blocker_naming_when_and_who(engine: Engine) -> None:
    healthy(World(engine))
    pause(engine)
    report = certify(engine)
    assert report.verdict is Verdict.NOT_OPERATIONAL
    assert report.blocker is not None
    assert report.blocker.key == "I"
    assert report.blocker.permanent
    assert report.blocker.explanation.startswith(
        f"kill switch on since {NOW - minutes(30):%Y-%m-%d %H:%M:%S} UTC, set by alice"
    )
    assert "`xbot resume --by NAME`" in report.next_actions[0]
    assert summary_line(report).startswith(
        "certify: NOT OPERATIONAL: blocker I) Accounts can post FAIL: kill switch on since "
    )


def test_refused_credentials_block_the_account_by_name(engine: Engine) -> None:
    world = World(engine)
    account_id = healthy(world)
    other = world.account("helper", platform="mastodon")
    world.ghost_scan(other, world.now - minutes(2))
    with engine.begin() as connection:
        faults.set_fault(
            connection, account_id, reason=BlockReason.CREDENTIALS_REFUSED,
            detail="Unauthorized. Check the account's tokens", now=NOW - minutes(9), by="w-new",
        )  # fmt: skip
    report = certify(engine)
    check = result(report, "I")
    assert check.status is Status.FAIL
    assert check.permanent
    assert check.explanation == (
        f"x:acme blocked: credentials_refused since {NOW - minutes(9):%Y-%m-%d %H:%M:%S} UTC "
        "(Unauthorized. Check the account's tokens)"
    )
    assert report.verdict is Verdict.NOT_OPERATIONAL  # the healthy helper does not hide it
    assert result(certify(engine, account="mastodon:helper"), "I").status is Status.PASS


def test_a_misconfigured_endpoint_blocks_the_account(engine: Engine) -> None:
    account_id = healthy(World(engine))
    with engine.begin() as connection:
        faults.set_fault(
            connection, account_id, reason=BlockReason.PLATFORM_MISCONFIGURED,
            detail="No service configured for app.bsky.feed.getTimeline", now=NOW, by="w-new",
        )  # fmt: skip
    check = result(certify(engine), "I")
    assert check.status is Status.FAIL
    assert "x:acme blocked: platform_misconfigured" in check.explanation


def test_llm_on_x_without_approval_is_blocked_by_policy(engine: Engine) -> None:
    healthy(World(engine))
    report = with_settings(engine, AccountSettings(platform="x", handle="acme", generator="llm"))
    check = result(report, "I")
    assert check.status is Status.FAIL
    assert check.explanation == "x:acme blocked: policy (llm_not_approved_on_x)"
    approved = with_settings(
        engine,
        AccountSettings(platform="x", handle="acme", generator="llm"),
        x={"ai_replies_approved": True},
    )
    assert result(approved, "I").status is Status.PASS


def test_a_held_account_says_until_when_and_stays_operational(engine: Engine) -> None:
    healthy(World(engine))
    quiet = f"{NOW - timedelta(hours=1):%H:%M}-{NOW + timedelta(hours=2):%H:%M}"
    account = AccountSettings(
        platform="x", handle="acme", budgets=BudgetSettings(quiet_hours=quiet)
    )
    report = with_settings(engine, account)
    check = result(report, "I")
    until = (NOW + timedelta(hours=2)).replace(second=0)
    assert check.status is Status.PASS
    assert check.explanation == (
        f"0 of 1 account(s) can post now; held: x:acme quiet_hours until "
        f"{until:%Y-%m-%d %H:%M:%S} UTC"
    )
    assert check.facts.as_data()["explains"] == ["E", "F", "J"]
    assert report.verdict is Verdict.OPERATIONAL
    markdown = render_markdown(report)
    assert "| x:acme | held | quiet_hours: until " in markdown
    data = json.loads(render_json(report))
    assert data["accounts"][0]["state"] == "held"
    assert data["accounts"][0]["until"] == until.isoformat()


def test_the_hourly_budget_holds_the_account(engine: Engine) -> None:
    healthy(World(engine))  # two replies 20 and 8 minutes ago
    account = AccountSettings(platform="x", handle="acme", budgets=BudgetSettings(per_hour=2))
    check = result(with_settings(engine, account), "I")
    assert check.status is Status.PASS
    [row] = check.facts.as_data()["accounts"]
    assert (row["state"], row["reason"], row["until"]) == (
        "held",
        "hourly_budget",
        NOW - minutes(20) + timedelta(hours=1),
    )


def test_the_report_lists_every_account_in_a_table(engine: Engine) -> None:
    world = World(engine)
    healthy(world)
    world.ghost_scan(world.account("helper", platform="mastodon"), NOW - minutes(2))
    pause(engine, by="bob")
    report = certify(engine)
    markdown = render_markdown(report)
    assert "## ACCOUNTS" in markdown
    assert "| x:acme | blocked | kill_switch: kill switch on since " in markdown
    assert "| mastodon:helper | blocked | kill_switch: " in markdown
    assert "set by bob | since " in markdown
    assert result(report, "I").status is Status.FAIL


def test_a_live_x_account_without_the_label_attested_is_blocked(engine: Engine) -> None:
    healthy(World(engine))
    account = AccountSettings(platform="x", handle="acme")
    report = with_settings(engine, account, x={"automated_label_attested": False})
    check = result(report, "I")
    assert check.status is Status.FAIL
    assert check.explanation.startswith("x:acme blocked: label_not_attested (set X's Automated")
    assert "x.automated_label_attested = true" in check.explanation
