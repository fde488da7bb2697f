"""Check I (accounts can post): can and does each account post now, and if not, why.

Each enabled account gets its state from `domain.account_state`, the same function /ready and
the watchdog use: posting; held until a known time (quiet hours, budget window, every waiting
author in cooldown); or blocked (kill switch, the deploy fence, credentials refused, endpoint
misconfigured, platform policy). A blocked account fails I and cannot clear by itself
(`permanent`). Held accounts pass I with the time the hold ends; when every account is held,
the hold explains why nothing was scheduled or posted, so E and F do not block the verdict.

A shadow account (`mode`, or its `xbot mode` switch) runs everything but the platform write: it
is listed as `shadow` in the table and I's facts, the verdict says SHADOW instead of OPERATIONAL
(xbot.certify.verdict), and when every account in scope is shadow, F (a posted reply) is
explained by it.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from xbot.certify.context import Context, is_unknown_sha
from xbot.certify.evidence import QueryRunner
from xbot.certify.facts_accounts import AccountRow, AccountsFacts
from xbot.certify.facts_deploy import RunningShaFacts
from xbot.certify.model import CheckResult, Status, facts_of
from xbot.certify.rows import count
from xbot.certify.spend import spend_line, spend_parameters, with_cost
from xbot.config import AccountSettings
from xbot.domain.account_mode import AccountMode, effective_mode
from xbot.domain.account_state import (
    AccountFacts,
    AccountState,
    BlockReason,
    PlatformFault,
    PostingState,
    Switch,
    account_state,
)
from xbot.domain.budgets import BudgetRules, ReplyIntent, ReplyRecord
from xbot.domain.labels import is_live
from xbot.domain.policy import GeneratorKind, PlatformName, PolicyBlock, account_block
from xbot.domain.readiness import posting_blockers

Prior = Mapping[str, CheckResult]
DAY = timedelta(days=1)
#: the checks that need a post to pass: a hold over every account explains their silence
SILENT_WHEN_HELD = ("E", "F", "J")
#: blocks that check A reports (the running code against the declared deployment)
FENCE_REASONS = frozenset({BlockReason.STALE_CODE, BlockReason.DEPLOY_UNMARKED})


def check_accounts(run: QueryRunner, context: Context, prior: Prior) -> CheckResult:
    """Check I: every account in scope can post now, or is held until a known time."""
    switch_rows = run("kill_switch")
    accounts = run("account_states", day_start=context.now - DAY, account=context.account)
    history = run("account_budget_history", day_start=context.now - DAY, account=context.account)
    waiting = run("account_waiting", now=context.now, account=context.account)
    spend = run("account_spend", **spend_parameters(context))
    spent = {row["account_id"]: row for row in spend.rows}
    switch = _switch(switch_rows.first)
    fence = _fence(prior.get("A"), switch)
    rows = []
    for row in accounts.rows:
        facts = _facts(row, context, fence=fence, switch=switch, prior=prior)
        facts = _with_budget(facts, row, history.rows, waiting.rows)
        facts = with_cost(
            facts, spent.get(row["account_id"]), context, _account_settings(context, row)
        )
        state = account_state(facts, now=context.now)
        rows.append(_table_row(state, row, facts.rules, _mode(context, row)))
    status, explanation = judge_accounts(rows)
    shadow = [row.account for row in rows if row.mode == AccountMode.SHADOW]
    if shadow:
        explanation += f"; shadow (no platform write): {', '.join(shadow)}"
    line = spend_line(spend.rows, context, lambda item: _account_settings(context, item))
    return CheckResult(
        key="I",
        title="Accounts can post",
        status=status,
        explanation=f"{explanation}; {line}" if line else explanation,
        evidence=(accounts, switch_rows, history, waiting, spend),
        facts=AccountsFacts(
            accounts=tuple(rows), explains=_explains(rows, status), shadow_accounts=tuple(shadow)
        ),
        permanent=status is Status.FAIL and _beyond_the_fence(rows),
    )


def _beyond_the_fence(rows: Sequence[AccountRow]) -> bool:
    # The fence's own reasons are A's to judge and name first; the others are I's alone.
    return any(
        row.state == PostingState.BLOCKED and row.reason not in FENCE_REASONS for row in rows
    )


def judge_accounts(rows: Sequence[AccountRow]) -> tuple[Status, str]:
    """Decide I: any blocked account fails it; held ones pass, named with their end."""
    if not rows:
        return Status.INCONCLUSIVE, "no enabled account to judge"
    blocked = [row for row in rows if row.state == PostingState.BLOCKED]
    held = [row for row in rows if row.state == PostingState.HELD]
    if blocked:
        return Status.FAIL, "; ".join(_blocked_text(row) for row in blocked)
    posting = len(rows) - len(held)
    text = f"{posting} of {len(rows)} account(s) can post now"
    if held:
        text += "; held: " + ", ".join(_held_text(row) for row in held)
    return Status.PASS, text


def _blocked_text(row: AccountRow) -> str:
    if row.reason == BlockReason.KILL_SWITCH:
        return f"{row.detail}: no account posts ({row.account} blocked)"
    since = f" since {row.since:%Y-%m-%d %H:%M:%S} UTC" if row.since else ""
    detail = f" ({row.detail})" if row.detail else ""
    return f"{row.account} blocked: {row.reason}{since}{detail}"


def _held_text(row: AccountRow) -> str:
    until = f"until {row.until:%Y-%m-%d %H:%M:%S} UTC" if row.until else "until changed"
    return f"{row.account} {row.reason} {until}"


def _explains(rows: Sequence[AccountRow], status: Status) -> tuple[str, ...]:
    every_held = bool(rows) and all(row.state == PostingState.HELD for row in rows)
    if status is Status.PASS and every_held:
        return SILENT_WHEN_HELD
    every_shadow = bool(rows) and all(row.mode == AccountMode.SHADOW for row in rows)
    return ("F",) if status is Status.PASS and every_shadow else ()


def _mode(context: Context, row: Mapping[str, Any]) -> AccountMode:
    settings = _account_settings(context, row)
    configured = settings.mode if settings is not None else AccountMode.LIVE.value
    switched = _json(row["mode_switch"]) if row.get("mode_switch") is not None else None
    return effective_mode(configured, switched)


def _switch(row: Mapping[str, Any]) -> Switch:
    if not row:
        return Switch()
    value = _json(row.get("value"))
    return Switch(on=bool(value.get("on")), since=row.get("updated_at"), by=row.get("updated_by"))


def _fence(running: CheckResult | None, switch: Switch) -> list[str]:
    # The fence as a posting worker on the running SHA would apply it; A judges the SHA itself.
    facts = facts_of(running, RunningShaFacts) if running else RunningShaFacts()
    sha = facts.running_sha
    if is_unknown_sha(sha):
        return []
    reasons = posting_blockers(
        role="worker",
        running_sha=str(sha),
        declared_sha=facts.declared_sha,
        kill_switch_on=switch.on,
    )
    return [reason for reason in reasons if reason != BlockReason.KILL_SWITCH]


def _facts(
    row: Mapping[str, Any], context: Context, *, fence: list[str], switch: Switch, prior: Prior
) -> AccountFacts:
    settings = _account_settings(context, row)
    declared_at = facts_of(prior["A"], RunningShaFacts).declared_at if "A" in prior else None
    return AccountFacts(
        account=f"{row['platform']}:{row['handle']}",
        fence=fence,
        fence_since=declared_at,
        kill_switch=switch,
        fault=_fault(row),
        policy=_policy(row, settings, context),
        rules=BudgetRules.from_settings(settings.budgets) if settings else BudgetRules(),
    )


def _with_budget(
    facts: AccountFacts,
    row: Mapping[str, Any],
    history: Sequence[Mapping[str, Any]],
    waiting: Sequence[Mapping[str, Any]],
) -> AccountFacts:
    mine = row["account_id"]
    records = [
        ReplyRecord(
            at=item["posted_at"],
            author_id=str(item["author_id"]),
            thread_id=str(item["thread_id"]),
            target_post_id=str(item["target_post_id"]),
        )
        for item in history
        if item["account_id"] == mine
    ]
    intents = [
        ReplyIntent(
            author_id=str(item["author_id"]),
            thread_id=str(item["thread_id"]),
            target_post_id=str(item["target_post_id"]),
        )
        for item in waiting
        if item["account_id"] == mine
    ]
    return dataclasses.replace(facts, history=records, waiting=intents)


def _fault(row: Mapping[str, Any]) -> PlatformFault | None:
    if row.get("fault") is None:
        return None
    return PlatformFault.from_value(_json(row["fault"]), row.get("fault_at"))


def _policy(
    row: Mapping[str, Any], settings: AccountSettings | None, context: Context
) -> PolicyBlock | None:
    if settings is None or context.settings is None:
        return None
    return account_block(
        PlatformName(row["platform"]),
        GeneratorKind(settings.generator),
        ai_replies_approved=context.settings.x.ai_replies_approved,
        label_attested=context.settings.x.automated_label_attested,
        live=is_live(settings.base_url),
    )


def _account_settings(context: Context, row: Mapping[str, Any]) -> AccountSettings | None:
    configured = context.settings.accounts if context.settings else []
    key = (row["platform"], str(row["handle"]).lower())
    return next((item for item in configured if (item.platform, item.handle.lower()) == key), None)


def _table_row(
    state: AccountState, row: Mapping[str, Any], rules: BudgetRules, mode: AccountMode
) -> AccountRow:
    return AccountRow(
        account=state.account,
        state=state.state,
        reason=state.reason,
        detail=state.detail,
        since=state.since,
        until=state.until,
        posts_today=count(row, "posts_today"),
        per_day=rules.per_day,
        mode=mode,
    )


def _json(value: Any) -> dict[str, Any]:
    # PostgreSQL's driver returns JSON decoded; SQLite returns its text
    if isinstance(value, str):
        value = json.loads(value)
    return dict(value) if isinstance(value, Mapping) else {}


#: what the operator does about each blocking reason
REMEDY = {
    BlockReason.KILL_SWITCH: (
        "The kill switch is on: `xbot resume --by NAME` when posting may resume."
    ),
    BlockReason.STALE_CODE: "The workers do not run the declared deployment: see check A.",
    BlockReason.DEPLOY_UNMARKED: "Declare the deployment: `xbot deploy mark --sha SHA`.",
    BlockReason.CREDENTIALS_REFUSED: (
        "The platform refused the account's credentials: renew the tokens in the variables the "
        "account's [credentials] names; the next fetch that succeeds unblocks it."
    ),
    BlockReason.PLATFORM_MISCONFIGURED: (
        "Fix the account's base_url or its credential variables (`xbot config show`); the next "
        "fetch that succeeds unblocks it."
    ),
    BlockReason.POLICY: (
        "Platform policy forbids the set-up: LLM replies on X need `x.ai_replies_approved = "
        'true` after X approved them, or `generator = "bank"`.'
    ),
}


def accounts_advice(check: CheckResult) -> list[str]:
    """Return the next actions for a failing or inconclusive check I."""
    if check.status is Status.INCONCLUSIVE:
        return ["Enable an account in xbot.toml ([[accounts]]) and start a worker."]
    rows = facts_of(check, AccountsFacts).accounts
    reasons = [row.reason for row in rows if row.state == PostingState.BLOCKED]
    known = [BlockReason(reason) for reason in reasons if reason is not None and reason in REMEDY]
    return [REMEDY[reason] for reason in dict.fromkeys(known)] or [
        "Read each blocked account's reason in I's table and remove it."
    ]
