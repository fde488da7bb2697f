"""A candidate's score in [0, 1], as the sum of explained parts, and its tier (DESIGN §4.1)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from xbot.domain.clock import ensure_utc
from xbot.domain.posts import Post
from xbot.domain.text import word_stems

#: how much each part can add; the weights sum to 1, so the score is in [0, 1]
WEIGHTS: Mapping[str, float] = MappingProxyType(
    {"relevance": 0.4, "freshness": 0.25, "reach": 0.15, "summoned": 0.2}
)
#: relevance when the account has no topics: neither a reward nor a penalty
NEUTRAL_RELEVANCE = 0.5
#: matched topics that make relevance 1
FULL_RELEVANCE_TOPICS = 2
#: followers at which reach is 1 (log-scaled below that)
FULL_REACH_FOLLOWERS = 1_000_000
FRESHNESS_HALF_LIFE = timedelta(hours=2)


class Tier(StrEnum):
    """How good a candidate is (`reply_candidate_queue.tier`)."""

    HIGH = "high"  #: answer first
    MEDIUM = "medium"  #: answer when nothing better waits
    LOW = "low"  #: answer only on a quiet day


@dataclass(frozen=True, kw_only=True, slots=True)
class TierThresholds:
    """The lowest score of each tier above LOW."""

    high: float = 0.6
    medium: float = 0.35


@dataclass(frozen=True, kw_only=True, slots=True)
class Score:
    """A score and the weighted parts it is the sum of (`score`, `score_parts`)."""

    value: float
    parts: Mapping[str, float] = field(default_factory=dict)


def score_post(post: Post, topics: Sequence[str], *, now: datetime) -> Score:
    """Return the post's score: relevance, freshness, reach and the summoned bonus, weighted."""
    raw = {
        "relevance": relevance(post.text, topics),
        "freshness": freshness(post.created_at, now=now),
        "reach": reach(post.author_followers),
        "summoned": 1.0 if post.summoned else 0.0,
    }
    parts = {name: round(WEIGHTS[name] * _unit(value), 4) for name, value in raw.items()}
    return Score(value=_unit(round(sum(parts.values()), 4)), parts=parts)


def relevance(text: str, topics: Sequence[str]) -> float:
    """Return how many of the account's topics the text touches, in [0, 1]."""
    wanted = [word_stems(topic) for topic in topics]
    wanted = [stems for stems in wanted if stems]
    if not wanted:
        return NEUTRAL_RELEVANCE
    present = set(word_stems(text))
    hits = sum(len(present.intersection(stems)) / len(set(stems)) for stems in wanted)
    return min(1.0, hits / min(FULL_RELEVANCE_TOPICS, len(wanted)))


def freshness(posted_at: datetime, *, now: datetime) -> float:
    """Return 1 for a post made now, halving every FRESHNESS_HALF_LIFE."""
    age = max(timedelta(0), ensure_utc(now) - ensure_utc(posted_at))
    return float(0.5 ** (age / FRESHNESS_HALF_LIFE))


def reach(followers: int | None) -> float:
    """Return the author's reach in [0, 1]: log-scaled followers, 0 when unknown."""
    if not followers or followers < 0:
        return 0.0
    return min(1.0, math.log10(1 + followers) / math.log10(1 + FULL_REACH_FOLLOWERS))


DEFAULT_THRESHOLDS = TierThresholds()


def tier_for(score: float, thresholds: TierThresholds = DEFAULT_THRESHOLDS) -> Tier:
    """Return the tier a score falls in."""
    if score >= thresholds.high:
        return Tier.HIGH
    if score >= thresholds.medium:
        return Tier.MEDIUM
    return Tier.LOW


def _unit(value: float) -> float:
    if math.isnan(value):
        return 0.0
    return min(1.0, max(0.0, value))
