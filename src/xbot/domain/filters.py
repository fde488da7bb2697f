"""Hard filters: the reasons a fetched post is never worth a reply (DESIGN §4.1)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from xbot.domain.clock import ensure_utc
from xbot.domain.posts import Post
from xbot.domain.scoring import DEFAULT_THRESHOLDS, TierThresholds
from xbot.domain.text import clean_untrusted

if TYPE_CHECKING:
    from xbot.config import AccountSettings

#: candidate bodies larger than this many UTF-8 bytes are refused unread
MAX_TEXT_BYTES = 10_000
#: languages that mean "not detected" (X sends `und`, Bluesky may send nothing)
UNDETERMINED_LANGUAGES = frozenset({"", "und", "zxx", "qme", "qht", "qam"})


class SkipReason(StrEnum):
    """Why a candidate was skipped by a hard filter (`reply_candidate_queue.skip_reason`)."""

    OWN_POST = "own_post"  #: we wrote it
    OUR_ACCOUNT = "our_account"  #: another of our accounts wrote it (no bot-to-bot loops)
    OPTED_OUT = "opted_out"  #: the author said stop, blocks us, or an operator opted them out
    KNOWN_BOT = "known_bot"  #: the author is a bot (configured or self-labelled)
    AUTHOR_NOBOT = "author_nobot"  #: the author's profile says #nobot (Mastodon convention)
    THREADGATE = "threadgate"  #: the thread's gate does not let us reply (Bluesky)
    BLOCKED_AUTHOR = "blocked_author"  #: the operator blocked the author
    ALREADY_REPLIED_IN_THREAD = "already_replied_in_thread"  #: one reply per thread
    THREAD_TOO_DEEP = "thread_too_deep"  #: deep threads are how bot loops look
    TOO_OLD = "too_old"  #: older than max_candidate_age_hours
    EMPTY_TEXT = "empty_text"  #: nothing visible after cleaning
    OVERSIZED_TEXT = "oversized_text"  #: more than MAX_TEXT_BYTES
    UNSUPPORTED_LANGUAGE = "unsupported_language"  #: not one of the account's languages
    NOT_SUMMONED = "not_summoned"  #: policy requires a mention, quote or reply to us


@dataclass(frozen=True, kw_only=True, slots=True)
class CandidateRules:
    """One account's hard filters and queue settings, from its settings and the platform policy."""

    own_user_id: str
    own_handle: str
    #: author handles or ids, casefolded, without "@"
    known_bots: frozenset[str] = frozenset()
    #: our other accounts on this platform (handles and user ids, casefolded)
    our_accounts: frozenset[str] = frozenset()
    #: answer authors flagged as bots (`reply_to_bots`)
    reply_to_bots: bool = False
    blocked_authors: frozenset[str] = frozenset()
    #: primary language tags ("en", "de"); empty means any language
    languages: frozenset[str] = frozenset()
    max_age: timedelta = timedelta(hours=24)
    max_thread_depth: int = 6
    max_text_bytes: int = MAX_TEXT_BYTES
    summoned_required: bool = True

    #: the account's topics, for relevance
    topics: tuple[str, ...] = ()
    #: how long an admitted candidate stays queued
    ttl: timedelta = timedelta(minutes=30)
    thresholds: TierThresholds = DEFAULT_THRESHOLDS

    @classmethod
    def from_settings(
        cls, account: AccountSettings, *, own_user_id: str, summoned_required: bool
    ) -> CandidateRules:
        """Build the rules of one account; `summoned_required` comes from `policy`."""
        return cls(
            own_user_id=own_user_id,
            own_handle=_handle(account.handle),
            known_bots=frozenset(_handle(name) for name in account.known_bots),
            reply_to_bots=account.reply_to_bots,
            blocked_authors=frozenset(_handle(name) for name in account.blocked_authors),
            languages=frozenset(_primary_language(tag) for tag in account.languages),
            max_age=timedelta(hours=account.max_candidate_age_hours),
            max_thread_depth=account.max_thread_depth,
            summoned_required=summoned_required,
            topics=tuple(account.topics),
            ttl=timedelta(minutes=account.candidate_ttl_minutes),
        )


def skip_reason(  # noqa: PLR0913 - the post, its rules, and what the account knows now
    post: Post,
    rules: CandidateRules,
    *,
    replied_threads: Collection[str],
    now: datetime,
    thread_depth: int | None = None,
    opted_out: Collection[str] = (),
) -> SkipReason | None:
    """Return the first hard filter `post` fails, or None when it may be scored.

    `replied_threads` holds the thread keys (see `thread_key`) the account already replied in;
    `thread_depth` is the post's depth in its thread when the caller knows it; `opted_out`
    holds the author ids that opted out on this platform.
    """
    checks = (
        *_author_checks(post, rules, opted_out),
        (thread_key(post) in replied_threads, SkipReason.ALREADY_REPLIED_IN_THREAD),
        (depth_of(post, thread_depth) > rules.max_thread_depth, SkipReason.THREAD_TOO_DEEP),
        (ensure_utc(post.created_at) < ensure_utc(now) - rules.max_age, SkipReason.TOO_OLD),
        (
            len(post.text.encode("utf-8", "replace")) > rules.max_text_bytes,
            SkipReason.OVERSIZED_TEXT,
        ),
        (not clean_untrusted(post.text), SkipReason.EMPTY_TEXT),
        (not _language_ok(post.language, rules.languages), SkipReason.UNSUPPORTED_LANGUAGE),
        (rules.summoned_required and not post.summoned, SkipReason.NOT_SUMMONED),
    )
    return next((reason for failed, reason in checks if failed), None)


def _author_checks(
    post: Post, rules: CandidateRules, opted_out: Collection[str]
) -> tuple[tuple[bool, SkipReason], ...]:
    """Who may be answered: not us, not who said stop, not bots, not who asked for no bots.

    The rules' sources: opt-outs (X developer guidelines, platform-facts §1.9, §5.2), bot
    labels (Mastodon `bot`, Bluesky `bot` self-label, §3.5, §5.4), `#nobot` (Mastodon
    convention, §3.5, §5.5), threadgates (Bluesky, §2.7, §5.4).
    """
    is_bot = _is_listed(post, rules.known_bots) or post.author_is_bot
    return (
        (_is_own(post, rules), SkipReason.OWN_POST),
        (_is_listed(post, rules.our_accounts), SkipReason.OUR_ACCOUNT),
        (
            post.author_id in opted_out or post.author_blocks_us or post.author_muted,
            SkipReason.OPTED_OUT,
        ),
        (is_bot and not rules.reply_to_bots, SkipReason.KNOWN_BOT),
        (post.author_nobot, SkipReason.AUTHOR_NOBOT),
        (post.reply_disabled, SkipReason.THREADGATE),
        (_is_listed(post, rules.blocked_authors), SkipReason.BLOCKED_AUTHOR),
    )


def thread_key(post: Post) -> str:
    """Return the id of the thread the post belongs to (its conversation, else itself)."""
    return post.conversation_id or post.post_id


def depth_of(post: Post, known: int | None = None) -> int:
    """Return the post's depth in its thread: known, else `meta["thread_depth"]`, else 0 or 1."""
    if known is not None:
        return known
    depth = post.meta.get("thread_depth")
    if isinstance(depth, int) and not isinstance(depth, bool):
        return depth
    return 1 if post.in_reply_to_post_id else 0


def _is_own(post: Post, rules: CandidateRules) -> bool:
    return post.author_id == rules.own_user_id or _handle(post.author_handle) == rules.own_handle


def _is_listed(post: Post, names: frozenset[str]) -> bool:
    return _handle(post.author_handle) in names or post.author_id.casefold() in names


def _language_ok(language: str | None, allowed: frozenset[str]) -> bool:
    if not allowed:
        return True
    primary = _primary_language(language or "")
    # an undetected language is not evidence of a wrong one
    return primary in UNDETERMINED_LANGUAGES or primary in allowed


def _handle(name: str) -> str:
    return name.strip().lstrip("@").casefold()


def _primary_language(tag: str) -> str:
    return tag.strip().replace("_", "-").split("-", 1)[0].casefold()
