"""The fetch job: read posts that summon the account, filter, score and queue them (DESIGN §4.1).

A post that arrives while the account is in its quiet hours is queued until they end plus its
TTL (xbot.domain.candidates.expiry), so quiet hours never lose a mention.

The runner writes `reply_v2_fetch_job_started` / `_completed` (with this summary) / `_failed`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import structlog

from xbot.domain.budgets import BudgetRules, quiet_until
from xbot.domain.candidates import Admit, CandidateStatus, evaluate, stored_text
from xbot.domain.filters import CandidateRules, thread_key
from xbot.domain.policy import PlatformName, XTier, summoned_required
from xbot.domain.posts import Post
from xbot.jobs.base import Account, JobContext, require_account, require_platform
from xbot.jobs.costs import read_stop, written_charges
from xbot.jobs.opt_outs import record_opt_outs
from xbot.jobs.summaries import FetchSummary
from xbot.store.engine import translated_errors
from xbot.store.queries import accounts as account_queries
from xbot.store.queries import candidates, usage

log = structlog.get_logger("xbot.fetch")


def run_once(context: JobContext) -> FetchSummary:
    """Fetch since the watermark, queue what passes the filters, and move the watermark."""
    account = require_account(context)
    stop = read_stop(context, account)
    if stop is not None:  # reads stop before a cap: what is left pays for replies, not reads
        log.info("fetch_stopped_by_cost_cap", account=account.key, detail=stop.detail)
        return FetchSummary(fetched=0, new=0, evaluated=0, queued=0, skipped={}, trimmed=0,
                            watermark=None, cost_cap=stop.detail)  # fmt: skip
    platform = require_platform(context, account)
    own_user_id = _own_user_id(context, account, platform.whoami)
    with translated_errors(), context.engine.connect() as connection:
        watermark = candidates.fetch_watermark(connection, account.account_id)
        replied = candidates.replied_conversations(connection, account.account_id)
        ours = account_queries.our_accounts(connection, account.platform, account.account_id)
    batch = platform.fetch_candidates(watermark)
    rules = replace(candidate_rules(context, account, own_user_id), our_accounts=_names(ours))
    budgets = BudgetRules.from_settings(account.settings.budgets)
    held_until = quiet_until(budgets, now=context.now)
    with (
        written_charges(context, account) as charges,
        translated_errors(),
        context.engine.begin() as connection,
    ):
        usage.add_charges(connection, account.account_id, charges, context.now)
        known = candidates.known_post_ids(
            connection, account.account_id, [post.post_id for post in batch.posts]
        )
        fresh = [post for post in batch.posts if post.post_id not in known]
        opted_out = record_opt_outs(connection, context, account, fresh)
        outcomes = Counter(
            _store(
                context,
                account=account,
                rules=rules,
                seen=_Seen(replied=replied, opted_out=opted_out),
                post=post,
                connection=connection,
                held_until=held_until,
            )
            for post in fresh
        )
        trimmed = candidates.trim_queue(connection, account.account_id, account.settings.max_queue)
        candidates.store_watermark(connection, account.account_id, batch.watermark)
    queued = outcomes.pop("queued", 0)
    return FetchSummary(
        fetched=len(batch.posts),
        new=len(fresh),
        evaluated=len(fresh),
        queued=queued,
        skipped=dict(outcomes),
        trimmed=trimmed,
        watermark=batch.watermark or watermark,
    )


def candidate_rules(context: JobContext, account: Account, own_user_id: str) -> CandidateRules:
    """Return the account's hard filters under its platform's policy."""
    required = summoned_required(
        PlatformName(account.platform), x_tier=XTier(context.settings.x.tier)
    )
    return CandidateRules.from_settings(
        account.settings, own_user_id=own_user_id, summoned_required=required
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class _Seen:
    """What the account knows about a batch's threads and authors."""

    replied: set[str]
    opted_out: set[str]


def _store(  # noqa: PLR0913 - one candidate with everything its row needs
    context: JobContext,
    *,
    account: Account,
    rules: CandidateRules,
    seen: _Seen,
    post: Post,
    connection: Any,
    held_until: datetime | None,
) -> str:
    verdict = evaluate(
        post,
        rules,
        replied_threads=seen.replied,
        now=context.now,
        held_until=held_until,
        opted_out=seen.opted_out,
    )
    row: dict[str, Any] = {
        "account_id": account.account_id,
        "candidate_post_id": post.post_id,
        "author_id": post.author_id,
        "author_handle": post.author_handle,
        "posted_at": post.created_at,
        "conversation_id": thread_key(post),
        "in_reply_to_post_id": post.in_reply_to_post_id,
        "summoned": post.summoned,
        "target_meta": {**post.meta, **compliance_flags(post)},
        "created_at": context.now,
    }
    if isinstance(verdict, Admit):
        row.update(
            text=verdict.text,
            score=verdict.score.value,
            score_parts=dict(verdict.score.parts),
            tier=verdict.tier.value,
            status=CandidateStatus.QUEUED.value,
            expires_at=verdict.expires_at,
        )
        outcome = "queued"
    else:
        row.update(
            text=stored_text(post),
            status=CandidateStatus.SKIPPED.value,
            skip_reason=verdict.reason.value,
        )
        outcome = verdict.reason.value
    candidates.insert_candidate(connection, row)
    return outcome


def compliance_flags(post: Post) -> dict[str, bool]:
    """Return what the rules saw about the author and thread, kept for certify's check J."""
    flags = {
        "author_is_bot": post.author_is_bot,
        "author_nobot": post.author_nobot,
        "reply_disabled": post.reply_disabled,
    }
    return {name: True for name, value in flags.items() if value}


def _names(names: set[str]) -> frozenset[str]:
    return frozenset(name.strip().lstrip("@").casefold() for name in names)


def _own_user_id(context: JobContext, account: Account, whoami: Any) -> str:
    with translated_errors(), context.engine.connect() as connection:
        known = account_queries.platform_user_id(connection, account.account_id)
    if known:
        return known
    user_id, _handle = whoami()
    with translated_errors(), context.engine.begin() as connection:
        account_queries.set_platform_user_id(connection, account.account_id, user_id)
    return str(user_id)
