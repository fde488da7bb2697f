"""The one way a post becomes a candidate: evaluate it and insert it once (issue 16).

Fetch (the poll, and the backfill a stream runs on every (re)connect) and the streams admit
posts here. `admit` drops posts the queue has already (and repeats within the batch), records
the opt-outs the new ones say, evaluates each against the account's rules and hands the
candidates to one store write, whose insert is keyed by (account, platform post id): a duplicate
or a replay is a no-op. The caller's write also moves its own position (the fetch watermark, or
a stream's cursor) in the same transaction, so a position never runs ahead of its posts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from xbot.domain.budgets import BudgetRules, quiet_until
from xbot.domain.candidates import (
    CONFIRMATION_FLAG,
    Admit,
    CandidateStatus,
    NewCandidate,
    evaluate,
    stored_text,
)
from xbot.domain.filters import CandidateRules, thread_key
from xbot.domain.policy import PlatformName, XTier, summoned_required
from xbot.domain.ports import Platform
from xbot.domain.posts import Post
from xbot.jobs.base import Account, JobContext
from xbot.jobs.opt_outs import HeardOptOuts, record_opt_outs

#: the store write that inserts the candidates (and moves the caller's position); returns trimmed
Write = Callable[[Sequence[NewCandidate]], int]


@dataclass(frozen=True, kw_only=True, slots=True)
class Admission:
    """What admitting needs to know about the account: its rules, answered threads, quiet hours."""

    rules: CandidateRules
    replied: set[str]
    held_until: datetime | None


@dataclass(frozen=True, kw_only=True, slots=True)
class Admitted:
    """What one admit did: posts new to the queue, queued, skipped by reason, trimmed."""

    new: int = 0
    queued: int = 0
    skipped: Mapping[str, int] = field(default_factory=dict)
    trimmed: int = 0
    #: the platform post ids of the candidates written
    post_ids: tuple[str, ...] = ()


def admission(context: JobContext, account: Account, platform: Platform) -> Admission:
    """Read what the account's rules need now: its own id, other accounts, answered threads."""
    own_user_id = own_platform_user_id(context, account, platform)
    ours = context.store.accounts.our_accounts(account.platform, account.account_id)
    rules = replace(candidate_rules(context, account, own_user_id), our_accounts=_names(ours))
    budgets = BudgetRules.from_settings(account.settings.budgets)
    return Admission(
        rules=rules,
        replied=context.store.candidates.replied_conversations(account.account_id),
        held_until=quiet_until(budgets, now=context.now),
    )


def admit(
    context: JobContext,
    account: Account,
    admission: Admission,
    posts: Sequence[Post],
    write: Write,
) -> Admitted:
    """Evaluate the posts the queue does not have yet and write them with `write`, once each."""
    known = context.store.candidates.known_post_ids(
        account.account_id, [post.post_id for post in posts]
    )
    fresh = list({post.post_id: post for post in posts if post.post_id not in known}.values())
    heard = record_opt_outs(context, account, fresh)
    found = [candidate(context, account, admission, post, heard=heard) for post in fresh]
    trimmed = write(found)
    outcomes = Counter(
        "queued" if item.status is CandidateStatus.QUEUED else str(item.skip_reason)
        for item in found
    )
    queued = outcomes.pop("queued", 0)
    return Admitted(
        new=len(fresh),
        queued=queued,
        skipped=dict(outcomes),
        trimmed=trimmed,
        post_ids=tuple(item.candidate_post_id for item in found),
    )


def candidate(
    context: JobContext,
    account: Account,
    admission: Admission,
    post: Post,
    *,
    heard: HeardOptOuts,
) -> NewCandidate:
    """Return the post as the queue keeps it: queued with a score and expiry, or skipped.

    A stop message to confirm (it just opted its author out, xbot.domain.confirmations) is
    judged by every rule but the opt-out itself and the thread's (already replied, depth).
    """
    confirmation = post.post_id in heard.confirm
    verdict = evaluate(
        post,
        admission.rules,
        replied_threads=() if confirmation else admission.replied,
        now=context.now,
        thread_depth=0 if confirmation else None,
        held_until=admission.held_until,
        opted_out=() if confirmation else heard.opted_out,
    )
    common = NewCandidate(
        account_id=account.account_id,
        candidate_post_id=post.post_id,
        author_id=post.author_id,
        author_handle=post.author_handle,
        text=stored_text(post),
        posted_at=post.created_at,
        conversation_id=thread_key(post),
        in_reply_to_post_id=post.in_reply_to_post_id,
        summoned=post.summoned,
        target_meta={**post.meta, **compliance_flags(post)},
        created_at=context.now,
        status=CandidateStatus.SKIPPED,
    )
    if isinstance(verdict, Admit):
        flag = {CONFIRMATION_FLAG: True} if confirmation else {}
        return replace(
            common,
            target_meta={**common.target_meta, **flag},
            text=verdict.text,
            score=verdict.score.value,
            score_parts=dict(verdict.score.parts),
            tier=verdict.tier.value,
            status=CandidateStatus.QUEUED,
            expires_at=verdict.expires_at,
        )
    return replace(common, skip_reason=verdict.reason.value)


def candidate_rules(context: JobContext, account: Account, own_user_id: str) -> CandidateRules:
    """Return the account's hard filters under its platform's policy."""
    required = summoned_required(
        PlatformName(account.platform), x_tier=XTier(context.settings.x.tier)
    )
    return CandidateRules.from_settings(
        account.settings, own_user_id=own_user_id, summoned_required=required
    )


def compliance_flags(post: Post) -> dict[str, bool]:
    """Return what the rules saw about the author and thread, kept for certify's check J."""
    flags = {
        "author_is_bot": post.author_is_bot,
        "author_nobot": post.author_nobot,
        "reply_disabled": post.reply_disabled,
    }
    return {name: True for name, value in flags.items() if value}


def own_platform_user_id(context: JobContext, account: Account, platform: Platform) -> str:
    """Return the account's platform id: stored, or asked of the platform once and stored."""
    known = context.store.accounts.platform_user_id(account.account_id)
    if known:
        return known
    user_id, _handle = platform.whoami()
    context.store.accounts.set_platform_user_id(account.account_id, str(user_id))
    return str(user_id)


def _names(names: set[str]) -> frozenset[str]:
    return frozenset(name.strip().lstrip("@").casefold() for name in names)
