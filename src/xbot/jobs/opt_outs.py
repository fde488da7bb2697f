"""Opt-outs heard at intake: stop messages and blocks, recorded before anything is queued.

A stop message is itself never answered: its author is opted out before the candidate is
written, so the candidate is skipped `opted_out` (xbot.domain.opt_outs). With
`opt_outs.confirmation` on, the stop message that newly records the opt-out is the exception:
it is queued flagged as a confirmation (xbot.domain.confirmations), once per opt-out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from xbot.domain.confirmations import confirms
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


@dataclass(frozen=True, kw_only=True, slots=True)
class HeardOptOuts:
    """The opted-out authors among some posts, and the stop messages to confirm."""

    opted_out: set[str] = field(default_factory=set)
    #: post ids of the stop messages that newly opted their authors out and get a confirmation
    confirm: set[str] = field(default_factory=set)


def record_opt_outs(context: JobContext, account: Account, posts: Sequence[Post]) -> HeardOptOuts:
    """Record the opt-outs these posts say; return the opted-out authors and what to confirm."""
    if not posts:
        return HeardOptOuts()
    stop_words = stop_words_for(context, account)
    confirm: set[str] = set()
    for post in posts:
        heard = heard_opt_out(post, stop_words)
        if (
            heard is not None
            and _record(context, account, post, heard)
            and _confirms(context, account, post, heard[0])
        ):
            confirm.add(post.post_id)
    opted_out = context.store.opt_outs.opted_out_authors(
        account.platform, [post.author_id for post in posts]
    )
    return HeardOptOuts(opted_out=opted_out, confirm=confirm)


def _confirms(context: JobContext, account: Account, post: Post, how: OptOutHow) -> bool:
    settings = context.settings.opt_outs
    return confirms(
        account.platform, how, summoned=post.summoned, enabled=settings.confirmation,
        platforms=settings.confirmation_platforms,
    )  # fmt: skip


def _record(
    context: JobContext, account: Account, post: Post, heard: tuple[OptOutHow, str]
) -> bool:
    """Record the opt-out; True when it is new (an author opts out once)."""
    how, detail = heard
    opt_out = NewOptOut(
        platform=account.platform, author_id=post.author_id, author_handle=post.author_handle,
        how=how.value, detail=detail, account_id=account.account_id, created_by=account.key,
        post_id=post.post_id,
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
    if not context.store.opt_outs.add(opt_out, context.now, event):
        return False
    log_event(context, EventType.OPT_OUT_RECORDED, data, component=COMPONENT,
              account_id=account.account_id)  # fmt: skip
    return True
