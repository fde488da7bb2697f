"""Opt-outs heard at intake: stop messages and blocks, recorded before anything is queued.

A stop message is itself never answered: its author is opted out before the candidate is
written, so the candidate is skipped `opted_out` (xbot.domain.opt_outs).
"""

from __future__ import annotations

from collections.abc import Sequence

from xbot.domain.opt_outs import NewOptOut, OptOutHow, StopWords, stop_word_in
from xbot.domain.posts import Post
from xbot.events import EventType
from xbot.jobs.base import Account, JobContext, log_event, run_event

COMPONENT = "fetch"


def stop_words_for(context: JobContext, account: Account) -> StopWords:
    """Return the stop words the account listens for ("*" and its languages)."""
    settings = context.settings.opt_outs
    return StopWords.for_languages(
        settings.stop_words, account.settings.languages, max_words=settings.max_words
    )


def heard_opt_out(post: Post, stop_words: StopWords) -> tuple[OptOutHow, str] | None:
    """Return how the post opts its author out (and the detail), or None."""
    if post.author_blocks_us:
        return OptOutHow.BLOCK, f"the platform says the author blocks us ({post.post_id})"
    if post.author_muted:
        return OptOutHow.MUTE, f"the account mutes or blocks the author ({post.post_id})"
    word = stop_word_in(post.text, stop_words) if post.summoned else None
    if word is not None:
        return OptOutHow.STOP_WORD, f"{word!r} in {post.post_id}"
    return None


def record_opt_outs(context: JobContext, account: Account, posts: Sequence[Post]) -> set[str]:
    """Record the opt-outs these posts say; return every opted-out author id among them."""
    if not posts:
        return set()
    stop_words = stop_words_for(context, account)
    for post in posts:
        heard = heard_opt_out(post, stop_words)
        if heard is not None:
            _record(context, account, post, heard)
    return context.store.opt_outs.opted_out_authors(
        account.platform, [post.author_id for post in posts]
    )


def _record(
    context: JobContext, account: Account, post: Post, heard: tuple[OptOutHow, str]
) -> None:
    how, detail = heard
    opt_out = NewOptOut(
        platform=account.platform, author_id=post.author_id, author_handle=post.author_handle,
        how=how.value, detail=detail, account_id=account.account_id, created_by=account.key,
    )  # fmt: skip
    data = {
        "platform": account.platform,
        "author_id": post.author_id,
        "author_handle": post.author_handle,
        "how": how.value,
        "post_id": post.post_id,
    }
    event = run_event(context, EventType.OPT_OUT_RECORDED, data, component=COMPONENT,
                      account_id=account.account_id)  # fmt: skip
    if context.store.opt_outs.add(opt_out, context.now, event):
        log_event(context, EventType.OPT_OUT_RECORDED, data, component=COMPONENT,
                  account_id=account.account_id)  # fmt: skip
