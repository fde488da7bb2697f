"""The content guard: the last check on a reply's text before a permit exists (DESIGN §10).

A pure function of the text, the target's author, the account's recent replies and the policy.
It fails closed: anything it cannot vouch for is Rejected with a reason, and the candidate is
skipped with `guard_<reason>`.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache, partial
from typing import TYPE_CHECKING

import regex

from xbot.domain.instructions import REPLY_RULES, echoed_text, find_instruction
from xbot.domain.leaks import find_leak
from xbot.domain.lengths import MAX_CODE_POINTS, measure
from xbot.domain.links import (
    find_cashtags,
    find_disguised_links,
    find_links,
    find_mentions,
    same_handle,
    scan_form,
)
from xbot.domain.policy import PlatformName
from xbot.domain.text import forbidden_character, normalize_text, words

if TYPE_CHECKING:
    from xbot.config import AccountSettings

#: X self-serve posts may carry at most one cashtag (platform-facts §1.7)
X_MAX_CASHTAGS = 1
#: text longer than this (invisible characters included) is refused before any detector reads it
UNREAD_CODE_POINTS = 4 * MAX_CODE_POINTS


class GuardReason(StrEnum):
    """Why the guard refused a reply."""

    EMPTY = "empty"  #: nothing visible is left
    FORBIDDEN_CHARACTER = "forbidden_character"  #: control, bidi override, tag or surrogate
    #: a configured secret, a key format or a random-looking token
    SECRET = "secret"  # noqa: S105 - the name of a refusal, not a password
    LINK = "link"  #: a link, in any spelling, to a domain the account does not allow
    MENTION = "mention"  #: a mention of someone other than the target's author
    CASHTAGS = "cashtags"  #: more cashtags than X allows
    BANNED_TERM = "banned_term"  #: a term the operator banned
    INSTRUCTION = "instruction"  #: an instruction aimed at readers or at the bot (the lexicon)
    INSTRUCTION_ECHO = "instruction_echo"  #: quotes the model's rules or the persona
    TOO_LONG = "too_long"  #: over the platform's length limit
    NEAR_DUPLICATE = "near_duplicate"  #: too similar to one of the account's recent replies


@dataclass(frozen=True, kw_only=True, slots=True)
class GuardPolicy:
    """What one account allows in its replies."""

    platform: PlatformName
    allow_links: bool = False
    banned_terms: tuple[str, ...] = ()
    #: texts a reply must never quote (the persona); the model's rules are always included
    protected_texts: tuple[str, ...] = ()
    #: the platform's length limit when it differs from the default (a Mastodon instance's)
    max_length: int | None = None
    #: similarity in [0, 1] to a recent reply at which a reply counts as a duplicate
    duplicate_threshold: float = 0.8
    #: domains (and their subdomains) a reply may link to even when links are not allowed
    allowed_domains: tuple[str, ...] = ()
    #: X only: a reply may carry a URL X links, billed `post_create_url` (platform-facts §5.1);
    #: the account's `cost.allow_url_posts`
    url_posts: bool = False
    #: every configured secret value (Settings.secret_values); never shown in a repr
    secret_values: tuple[str, ...] = field(default=(), repr=False)

    @classmethod
    def from_settings(
        cls, account: AccountSettings, *, secret_values: tuple[str, ...] = ()
    ) -> GuardPolicy:
        """Build the policy of one account; its persona is protected from being echoed."""
        return cls(
            allowed_domains=tuple(account.allowed_domains),
            secret_values=secret_values,
            platform=PlatformName(account.platform),
            allow_links=account.allow_links,
            banned_terms=tuple(account.banned_terms),
            protected_texts=(account.persona,) if account.persona.strip() else (),
            max_length=account.max_reply_characters or None,
            duplicate_threshold=account.duplicate_threshold,
            url_posts=account.cost.allow_url_posts,
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class Accepted:
    """The reply may be posted, exactly as `text` (normalized)."""

    text: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Rejected:
    """The reply may not be posted."""

    reason: GuardReason
    detail: str

    @property
    def skip_reason(self) -> str:
        """Return the candidate's skip reason, e.g. `guard_link`."""
        return f"guard_{self.reason.value}"


def check_reply(
    text: str, *, target_author: str, recent_replies: Sequence[str], policy: GuardPolicy
) -> Accepted | Rejected:
    """Return Accepted(normalized text) when the reply passes every check, else Rejected."""
    if len(text) > UNREAD_CODE_POINTS:  # refused unread: no detector scans megabytes
        detail = f"{len(text)} code points, limit {MAX_CODE_POINTS}"
        return Rejected(reason=GuardReason.TOO_LONG, detail=detail)
    forbidden = forbidden_character(text)
    if forbidden:
        return Rejected(reason=GuardReason.FORBIDDEN_CHARACTER, detail=forbidden)
    leak = find_leak(text, policy.secret_values)
    if leak:
        return Rejected(reason=GuardReason.SECRET, detail=leak.describe())
    normalized = normalize_text(text)
    instruction = partial(_instruction, raw=text)
    checks = (_empty, _links, _mentions, _cashtags, _banned, instruction, _echo, _length)
    for check in checks:
        rejected = check(normalized, target_author, policy)
        if rejected:
            return rejected
    return _duplicate(normalized, recent_replies, policy.duplicate_threshold) or Accepted(
        text=normalized
    )


def _empty(text: str, _author: str, _policy: GuardPolicy) -> Rejected | None:
    if text:
        return None
    return Rejected(reason=GuardReason.EMPTY, detail="no visible text")


def _links(text: str, _author: str, policy: GuardPolicy) -> Rejected | None:
    if policy.platform is PlatformName.X and not policy.url_posts:
        # X bills a post with a URL $0.20 against $0.015 (platform-facts §5.1)
        paid = find_links(text)
        if paid:
            detail = f"X bills a URL $0.20, cost.allow_url_posts is off: link {paid[0]!r}"
            return Rejected(reason=GuardReason.LINK, detail=_clip(detail))
    if policy.allow_links:
        return None
    links = find_disguised_links(text, allowed_domains=policy.allowed_domains)
    if not links:
        return None
    return Rejected(reason=GuardReason.LINK, detail=_clip(f"link {links[0]!r}"))


def _mentions(text: str, author: str, _policy: GuardPolicy) -> Rejected | None:
    others = [mention for mention in find_mentions(text) if not same_handle(mention, author)]
    if not others:
        return None
    return Rejected(reason=GuardReason.MENTION, detail=_clip(f"mentions @{others[0]}"))


def _cashtags(text: str, _author: str, policy: GuardPolicy) -> Rejected | None:
    count = len(find_cashtags(text))
    if policy.platform is not PlatformName.X or count <= X_MAX_CASHTAGS:
        return None
    return Rejected(reason=GuardReason.CASHTAGS, detail=f"{count} cashtags, X allows 1")


def _banned(text: str, _author: str, policy: GuardPolicy) -> Rejected | None:
    match = _banned_pattern(policy.banned_terms).search(scan_form(text))
    if not match:
        return None
    return Rejected(reason=GuardReason.BANNED_TERM, detail=_clip(f"banned term {match.group()!r}"))


def _instruction(text: str, _author: str, _policy: GuardPolicy, *, raw: str) -> Rejected | None:
    # the raw text too: normalising whitespace joins "d o n a t e  t o" into one letter run
    found = find_instruction(text) or find_instruction(raw)
    if not found:
        return None
    detail = _clip(f"{found.kind}: {found.phrase!r}")
    return Rejected(reason=GuardReason.INSTRUCTION, detail=detail)


def _echo(text: str, _author: str, policy: GuardPolicy) -> Rejected | None:
    if echoed_text(text, (REPLY_RULES, *policy.protected_texts)):
        return Rejected(reason=GuardReason.INSTRUCTION_ECHO, detail="quotes the instructions")
    return None


def _length(text: str, _author: str, policy: GuardPolicy) -> Rejected | None:
    length = measure(text, policy.platform, limit=policy.max_length)
    if length.fits:
        return None
    detail = f"{length.length} {length.unit}, limit {length.limit}"
    return Rejected(reason=GuardReason.TOO_LONG, detail=detail)


def _duplicate(text: str, recent: Sequence[str], threshold: float) -> Rejected | None:
    for previous in recent:
        score = similarity(text, previous)
        if score >= threshold:
            detail = f"similarity {score:.2f} to a recent reply"
            return Rejected(reason=GuardReason.NEAR_DUPLICATE, detail=detail)
    return None


def similarity(first: str, second: str) -> float:
    """Return how alike two replies are, in [0, 1]: the higher of word overlap and edit ratio."""
    one, two = scan_form(normalize_text(first)), scan_form(normalize_text(second))
    words_one, words_two = set(words(one)), set(words(two))
    union = words_one | words_two
    overlap = len(words_one & words_two) / len(union) if union else 0.0
    matcher = difflib.SequenceMatcher(None, one, two, autojunk=False)
    if matcher.real_quick_ratio() <= overlap:
        return overlap
    return max(overlap, matcher.ratio())


@cache
def _banned_pattern(terms: tuple[str, ...]) -> regex.Pattern[str]:
    parts = [_term_pattern(scan_form(" ".join(term.split()))) for term in terms if term.strip()]
    return regex.compile("|".join(parts) or r"(?!)")


def _term_pattern(term: str) -> str:
    body = r"\s+".join(regex.escape(part) for part in term.split(" "))
    start = r"(?<!\w)" if regex.match(r"\w", term) else ""
    end = r"(?!\w)" if regex.search(r"\w$", term) else ""
    return f"{start}{body}{end}"


def _clip(detail: str) -> str:
    return detail if len(detail) <= 80 else detail[:79] + "\u2026"
