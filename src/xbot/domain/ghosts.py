"""Which of the account's own posts xbot can explain, and what the others are (DESIGN §6).

A post is explained by a USED permit whose actual_tweet_id is the post's id. A post that answers a
permit's target with the permit's text (or, when the read-back omits what the post replies to, has
the permit's exact text and was made within the permit's claim window), while that permit is
POSTING, UNKNOWN or PENDING after an attempt, is that permit's post: the permit is reconciled
(unless its holder is still publishing, when the holder records it), never a ghost. A post older
than the account's registration in xbot is the baseline.
Anything else is a ghost, classified:

- `matches_decision_text`: its text is one of the account's reply decisions: xbot-made words with
  no permit to show for them (a duplicate, or another process posting our decisions);
- `outside_xbot`: not a reply; xbot only ever replies, so a person or another tool posted it;
- `unexplained`: a reply xbot has no permit or decision text for.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from xbot.domain.permits import PermitReply, PermitStatus
from xbot.domain.posts import Post

#: how far the platform's clock may be behind ours when a post is matched to a permit by its
#: text and time alone (issue 10 tests budgets under offsets of up to 3 h)
CLOCK_TOLERANCE = timedelta(hours=3)
_LEADING_MENTIONS = re.compile(r"^(?:@\w+\s+)+")
_URL = re.compile(r"https?://\S+")
_SPACE = re.compile(r"\s+")


class GhostClassification(StrEnum):
    """`ghost_tweets.classification`."""

    UNEXPLAINED = "unexplained"  #: a reply xbot has no permit or decision text for
    MATCHES_DECISION_TEXT = "matches_decision_text"  #: our decision's words, no USED permit
    OUTSIDE_XBOT = "outside_xbot"  #: not a reply, so not xbot's


@dataclass(frozen=True, kw_only=True, slots=True)
class Explained:
    """A USED permit explains the post."""

    post_id: str


@dataclass(frozen=True, kw_only=True, slots=True)
class BeforeXbot:
    """The post predates the account's registration in xbot: the baseline, not a ghost."""

    post_id: str


@dataclass(frozen=True, kw_only=True, slots=True)
class InFlight:
    """The post belongs to a permit whose holder is still publishing; the holder records it."""

    permit_id: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Reconcile:
    """The post is this permit's: record the permit as USED (reconciled)."""

    reply: PermitReply


@dataclass(frozen=True, kw_only=True, slots=True)
class Ghost:
    """No permit explains the post."""

    classification: GhostClassification


PostVerdict = Explained | BeforeXbot | InFlight | Reconcile | Ghost


def normalized_text(text: str) -> str:
    """Return text as compared across platforms: unescaped, NFC, no leading @mentions or URLs."""
    plain = unicodedata.normalize("NFC", html.unescape(text)).strip()
    plain = _LEADING_MENTIONS.sub("", plain)
    plain = _URL.sub("<url>", plain)
    return _SPACE.sub(" ", plain).strip()


def answers(post: Post, reply: PermitReply) -> bool:
    """Return True when `post` is the permit's reply: the permit's exact (normalized) text.

    With reply metadata, the post must answer the permit's target. Without it (a read-back that
    omits what posts reply to), the text must match a post that is not a thread's root, made
    within the permit's claim window: not before the permit existed, give or take
    CLOCK_TOLERANCE for the platform's clock.
    """
    if normalized_text(post.text) != normalized_text(reply.reply_text):
        return False
    if post.in_reply_to_post_id is not None:
        return post.in_reply_to_post_id == reply.target_post_id
    if post.conversation_id == post.post_id:
        return False  # it starts its own thread: whatever the read-back omits, not a reply
    return post.created_at >= reply.permit.created_at - CLOCK_TOLERANCE


def find_own_post(
    reply: PermitReply, posts: Sequence[Post], taken: Collection[str] = ()
) -> Post | None:
    """Return the oldest post that answers the permit, skipping ids other permits already hold."""
    matches = [post for post in posts if post.post_id not in taken and answers(post, reply)]
    return min(matches, key=lambda post: post.created_at) if matches else None


def read_back_covers(posts: Sequence[Post], limit: int, since: datetime) -> bool:
    """Return True when a read-back of at most `limit` posts reaches back to `since`."""
    return len(posts) < limit or min(post.created_at for post in posts) <= since


@dataclass(frozen=True, kw_only=True, slots=True)
class Known:
    """What the store knows about the account's posts, for classifying them."""

    #: post ids held by the account's USED permits
    used_post_ids: Collection[str]
    #: POSTING, UNKNOWN and retried PENDING permits with their text and target
    open_replies: Sequence[PermitReply]
    #: the account's recent decision texts, already normalized (normalized_text)
    decision_texts: Collection[str]
    #: when xbot started managing the account; older posts are the baseline
    managed_since: datetime | None = None


def classify_post(post: Post, known: Known, now: datetime) -> PostVerdict:
    """Say whether a USED permit explains the post, a permit is to be reconciled, or a ghost."""
    if post.post_id in known.used_post_ids:
        return Explained(post_id=post.post_id)
    if known.managed_since is not None and post.created_at < known.managed_since:
        return BeforeXbot(post_id=post.post_id)
    for reply in known.open_replies:
        if answers(post, reply):
            return _open_verdict(reply, now)
    if normalized_text(post.text) in known.decision_texts:
        return Ghost(classification=GhostClassification.MATCHES_DECISION_TEXT)
    if post.in_reply_to_post_id is None:
        return Ghost(classification=GhostClassification.OUTSIDE_XBOT)
    return Ghost(classification=GhostClassification.UNEXPLAINED)


def _open_verdict(reply: PermitReply, now: datetime) -> InFlight | Reconcile:
    permit = reply.permit
    live = permit.lease_until is not None and permit.lease_until > now
    if permit.status is PermitStatus.POSTING and live:
        return InFlight(permit_id=permit.permit_id)
    return Reconcile(reply=reply)


def newest_settled_post_id(
    posts: Sequence[Post], settled_before: datetime, previous: str | None
) -> str | None:
    """Return the scan watermark: the newest post older than the visibility grace.

    Posts newer than that are read again next time, so a post that becomes visible late, with an
    id below a newer one's, is still scanned. `posts` come newest first.
    """
    for post in posts:
        if post.created_at <= settled_before:
            return post.post_id
    return previous


@dataclass(frozen=True, kw_only=True, slots=True)
class GhostRecord:
    """One recorded ghost (`ghost_tweets`), with its account's handle and platform."""

    ghost_id: int
    account_id: int
    post_id: str
    text: str | None
    in_reply_to: str | None
    posted_at: datetime | None
    detected_at: datetime
    classification: str
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    handle: str
    platform: str

    def as_row(self) -> dict[str, object]:
        """Return the ghost under its table's column names, as `xbot ghosts list --json` shows."""
        return {
            "id": self.ghost_id, "account_id": self.account_id, "tweet_id": self.post_id,
            "text": self.text, "in_reply_to": self.in_reply_to, "posted_at": self.posted_at,
            "detected_at": self.detected_at, "classification": self.classification,
            "acknowledged_at": self.acknowledged_at, "acknowledged_by": self.acknowledged_by,
            "handle": self.handle, "platform": self.platform,
        }  # fmt: skip


@dataclass(frozen=True, kw_only=True, slots=True)
class NewGhost:
    """A post no USED permit explains, about to be recorded."""

    account_id: int
    post: Post
    classification: GhostClassification
    detected_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class GhostScan:
    """One finished scan: how many posts it read, the ghosts it found, where it stopped."""

    account_id: int
    scanned: int
    ghosts: int
    watermark: str | None
    worker_id: str
    at: datetime
