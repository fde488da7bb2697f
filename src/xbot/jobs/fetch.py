"""The fetch job: read posts that summon the account, filter, score and queue them (DESIGN §4.1).

Posts are admitted through xbot.jobs.admit, the path the intake streams share: a post the queue
has already is a no-op. The watermark moves in the same transaction as the candidates. With a
stream active (xbot.intake), this poll is the gap filler, and the stream's supervisor runs it on
every (re)connect as its backfill.

A post that arrives while the account is in its quiet hours is queued until they end plus its
TTL (xbot.domain.candidates.expiry), so quiet hours never lose a mention.

The runner writes `reply_v2_fetch_job_started` / `_completed` (with this summary) / `_failed`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import structlog

from xbot.domain.candidates import NewCandidate
from xbot.domain.intake import StreamState, stream_live
from xbot.jobs.admit import admission, admit
from xbot.jobs.base import Account, JobContext, require_account, require_platform
from xbot.jobs.costs import read_stop, written_charges
from xbot.jobs.summaries import FetchSummary

log = structlog.get_logger("xbot.fetch")


def run_once(
    context: JobContext, *, resume: Callable[[str | None], str | None] | None = None
) -> FetchSummary:
    """Fetch since the watermark, queue what passes the filters, and move the watermark.

    `resume` (a stream's backfill) maps the stored watermark to a newer position to read from
    (None: the watermark). A fetch from such a position queues what it finds but leaves the
    watermark where it was: what lies between the two was not read by this fetch.
    """
    account = require_account(context)
    stop = read_stop(context, account)
    if stop is not None:  # reads stop before a cap: what is left pays for replies, not reads
        log.info("fetch_stopped_by_cost_cap", account=account.key, detail=stop.detail)
        return FetchSummary(fetched=0, new=0, evaluated=0, queued=0, skipped={}, trimmed=0,
                            watermark=None, cost_cap=stop.detail)  # fmt: skip
    streaming = gap_filler_rest(context, account)
    if streaming is not None:  # the stream delivers; this poll only fills gaps, less often
        return FetchSummary(fetched=0, new=0, evaluated=0, queued=0, skipped={}, trimmed=0,
                            watermark=None, streaming=streaming)  # fmt: skip
    platform = require_platform(context, account)
    store = context.store
    known = admission(context, account, platform)
    watermark = store.candidates.fetch_watermark(account.account_id)
    since = resume(watermark) if resume is not None else None
    batch = platform.fetch_candidates(since or watermark)
    moved = None if since else batch.watermark

    def write(found: Sequence[NewCandidate]) -> int:
        with written_charges(context, account) as charges:
            return store.candidates.add(
                account.account_id, found, account.settings.max_queue, moved,
                charges=charges, now=context.now,
            )  # fmt: skip

    admitted = admit(context, account, known, batch.posts, write)
    return FetchSummary(
        fetched=len(batch.posts),
        new=admitted.new,
        evaluated=admitted.new,
        queued=admitted.queued,
        skipped=dict(admitted.skipped),
        trimmed=admitted.trimmed,
        watermark=moved or watermark,
    )


def gap_filler_rest(context: JobContext, account: Account) -> str | None:
    """Return which stream delivers when this scheduled run is not a gap-filling one, or None.

    While a stream of the account is connected (its lease live), the runner's fetch runs poll
    only every `intake.gap_fill_factor` slots. A backfill (no slot) always polls.
    """
    factor = context.settings.intake.gap_fill_factor
    if context.slot is None or factor <= 1 or context.slot % factor == 0:
        return None
    if account.settings.intake == "poll":  # no stream to ask about: no read of every stream
        return None
    for health in context.store.intake.health():
        if (health.account_id == account.account_id and health.state is StreamState.CONNECTED
                and stream_live(health, context.now)):  # fmt: skip
            return f"{health.stream} connected; polls every {factor} fetch intervals"
    return None
