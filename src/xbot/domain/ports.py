"""The small Protocols that jobs need from the edges."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Protocol, runtime_checkable

from xbot.domain.posts import CandidateBatch, Post, Published, RateLimitState, ReplyTarget


class Platform(Protocol):
    """One account on one platform, through its official API (DESIGN §9)."""

    #: `x`, `bluesky`, `mastodon`
    name: str
    #: how long a new post may take to show up in our own reads
    visibility_grace: timedelta

    def whoami(self) -> tuple[str, str]:
        """Return (platform user id, handle) of the account."""
        ...

    def fetch_candidates(self, since: str | None) -> CandidateBatch:
        """Return posts that mention, quote or reply to the account, newer than `since`."""
        ...

    def publish_reply(self, target: ReplyTarget, text: str, idempotency_key: str) -> Published:
        """Publish one reply. Never retries a write by itself."""
        ...

    def own_recent_posts(self, since: str | None = None, limit: int = 100) -> Sequence[Post]:
        """Return the account's own recent posts, replies included, newest first."""
        ...

    def lookup_post(self, post_id: str) -> Post | None:
        """Return one post, or None when the platform has no such post."""
        ...

    def rate_limits(self) -> Mapping[str, RateLimitState]:
        """Return the last rate-limit state seen per endpoint."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


@runtime_checkable
class BotLabels(Protocol):
    """An adapter that can read and write its account's automated-account label."""

    def bot_label(self) -> bool:
        """Return whether the platform shows the account as a bot."""
        ...

    def apply_bot_label(self) -> None:
        """Mark the account as a bot, keeping the rest of its profile."""
        ...


class ReplyGenerator(Protocol):
    """Writes the text of one reply (DESIGN §10)."""

    name: str

    def generate(
        self,
        candidate_text: str,
        author_handle: str,
        topics: Sequence[str],
        *,
        avoid: Sequence[str] = (),
    ) -> str:
        """Return reply text unlike the `avoid` texts, or raise GeneratorFailed with a reason."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
