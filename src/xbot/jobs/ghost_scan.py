"""The ghost scan: every post on the account is explained by a USED permit, or reported (DESIGN §6).

One run, under the account's scan lease (`leases` row `ghost_scan:<account id>`, so two workers
never scan one account at once): read the account's own posts since the watermark, replies
included, and classify each (xbot.domain.ghosts): explained by a USED permit; the post of a permit
in doubt, which is reconciled; the post of a permit still being published, left to its holder; or a
ghost, recorded once in `ghost_tweets` with `ghost_tweet_detected`. Every run writes a
`ghost_scans` row and `ghost_scan_completed` with the scanned count and the watermark, so
"no ghosts" always means "looked, found none".

Posts older than the account's registration in xbot (`accounts.created_at`) are the baseline,
not ghosts. The watermark stops at the newest post older than the platform's visibility grace:
newer posts are read again next time, so a post that shows up late is still scanned. Re-reading
is harmless: ghost rows are inserted once and a reconciled permit is USED by the next pass.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

from xbot.domain.audit import NewEvent
from xbot.domain.cost import AccountCharges
from xbot.domain.ghosts import (
    Ghost,
    GhostScan,
    Known,
    NewGhost,
    PostVerdict,
    Reconcile,
    classify_post,
    newest_settled_post_id,
    normalized_text,
)
from xbot.domain.posts import Post
from xbot.events import EventType
from xbot.jobs.base import (
    Account,
    JobContext,
    log_event,
    require_account,
    require_platform,
    run_event,
)
from xbot.jobs.costs import written_charges
from xbot.jobs.reconcile import found_change, settle
from xbot.jobs.summaries import ScanSkipped, ScanSummary

COMPONENT = "ghost_scan"
#: own posts read per scan; a full page is reported as `truncated`
SCAN_LIMIT = 100
#: how far back decision texts are compared with ghosts (matches_decision_text)
DECISION_LOOKBACK = timedelta(days=7)


def run_once(context: JobContext) -> ScanSummary | ScanSkipped:
    """Scan the account's own posts since the watermark and record the scan."""
    account = require_account(context)
    owner = context.worker.worker_id
    ghosts = context.store.ghosts
    lease_until = context.now + timedelta(seconds=context.settings.lease_seconds)
    fence = ghosts.acquire_scan_lease(account.account_id, owner, context.now, lease_until)
    if fence is None:
        return ScanSkipped()
    try:
        return _scan(context, account)
    finally:
        ghosts.release_scan_lease(account.account_id, owner, fence)


def _scan(context: JobContext, account: Account) -> ScanSummary:
    platform = require_platform(context, account)
    since, managed_since = context.store.ghosts.watermark(account.account_id)
    posts = list(platform.own_recent_posts(since=since, limit=SCAN_LIMIT))
    verdicts = _classify(context, account, posts, managed_since)
    counts = Counter(_apply(context, account, post, verdict) for post, verdict in verdicts)
    settled_before = context.now - platform.visibility_grace
    watermark = newest_settled_post_id(posts, settled_before, since)
    summary = ScanSummary(
        scanned=len(posts),
        ghosts=counts["ghost"],
        reconciled=counts["reconciled"],
        watermark=watermark,
        previous_watermark=since,
        truncated=len(posts) >= SCAN_LIMIT,
    )
    _record_scan(context, account, summary)
    return summary


def _classify(
    context: JobContext, account: Account, posts: Sequence[Post], managed_since: datetime
) -> list[tuple[Post, PostVerdict]]:
    store, account_id = context.store, account.account_id
    texts = store.ghosts.decision_texts(account_id, context.now - DECISION_LOOKBACK)
    # Open replies before USED ones: a post job (in this worker or another) may record its
    # permit USED between the two reads; read in this order, its post is open or USED.
    open_replies = store.permits.open_replies(account_id)
    used = store.permits.used_post_ids(account_id, [post.post_id for post in posts])
    known = Known(
        used_post_ids=used,
        open_replies=open_replies,
        decision_texts={normalized_text(text) for text in texts},
        managed_since=managed_since,
    )
    # Oldest first, so the events read in the order the posts were made.
    ordered = sorted(posts, key=lambda post: post.created_at)
    return [(post, classify_post(post, known, context.now)) for post in ordered]


def _apply(context: JobContext, account: Account, post: Post, verdict: PostVerdict) -> str:
    if isinstance(verdict, Reconcile):
        planned = found_change(context, verdict.reply, post, COMPONENT)
        [resolution] = settle(context, account, [planned], charged=False)
        return resolution.value
    if isinstance(verdict, Ghost):
        return _record_ghost(context, account, post, verdict)
    return type(verdict).__name__.lower()


def _record_ghost(context: JobContext, account: Account, post: Post, verdict: Ghost) -> str:
    classification = verdict.classification
    ghost = NewGhost(account_id=account.account_id, post=post, classification=classification,
                     detected_at=context.now)  # fmt: skip

    def detected(ghost_id: int) -> NewEvent:
        data = {
            "ghost_id": ghost_id,
            "post_id": post.post_id,
            "in_reply_to": post.in_reply_to_post_id,
            "classification": classification.value,
            "posted_at": post.created_at.isoformat(),
        }
        return run_event(context, EventType.GHOST_TWEET_DETECTED, data, component=COMPONENT,
                         account_id=account.account_id, severity="critical")  # fmt: skip

    ghost_id = context.store.ghosts.record_ghost(ghost, detected)
    if ghost_id is None:
        return "known_ghost"
    logged = detected(ghost_id)
    log_event(context, logged.event_type, logged.data, component=COMPONENT,
              account_id=account.account_id, severity="critical")  # fmt: skip
    return "ghost"


def _record_scan(context: JobContext, account: Account, summary: ScanSummary) -> None:
    scan = GhostScan(account_id=account.account_id, scanned=summary.scanned,
                     ghosts=summary.ghosts, watermark=summary.watermark,
                     worker_id=context.worker.worker_id, at=context.now)  # fmt: skip
    done = run_event(context, EventType.GHOST_SCAN_COMPLETED, summary.as_data(),
                     component=COMPONENT, account_id=account.account_id)  # fmt: skip
    # the read-back's price goes in with the scan's record (xbot.jobs.costs)
    with written_charges(context, account) as charges:
        bill = AccountCharges(account_id=account.account_id, charges=tuple(charges),
                              at=context.now) if charges else None  # fmt: skip
        context.store.ghosts.record_scan(scan, done, bill)
    log_event(context, done.event_type, done.data, component=COMPONENT,
              account_id=account.account_id)  # fmt: skip
