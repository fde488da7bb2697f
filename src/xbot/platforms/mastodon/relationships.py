"""Who blocks the account, and whom it mutes: `GET /api/v1/accounts/relationships`.

Mastodon tells an account, for each other account it asks about, whether that account blocks it
(`blocked_by`) and whether it mutes or blocks that account itself (`muting`, `blocking`;
platform facts §3.5: interact only with those who want it). Nobody is told who mutes *them*, so
"muted" here is the bot account's own mute or block, which an operator sets from any Mastodon
app to say "never answer this person". The fetch asks once per fetch for the authors it found,
40 ids a request; the fetch job records both as opt-outs (`block`, `mute`). The stream asks for
a mention's author before handing the mention on, and remembers the answer for a minute
(`RelationshipCache`), so an author who writes often costs one lookup, not one per mention.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from xbot.domain.posts import Post

ENDPOINT = "GET /api/v1/accounts/relationships"
PATH = "/api/v1/accounts/relationships"
#: account ids asked per request (Mastodon reads `id[]`; 40 keeps every server's limit)
IDS_PER_LOOKUP = 40

#: one relationships request for these account ids -> its JSON list
Lookup = Callable[[Sequence[str]], list[Any]]


def with_relationships(posts: Sequence[Post], lookup: Lookup) -> list[Post]:
    """Return the posts marked with what the relationships say about their authors."""
    blocks_us, muted = relationships_of(sorted({post.author_id for post in posts}), lookup)
    return marked(posts, blocks_us, muted)


def relationships_of(authors: Sequence[str], lookup: Lookup) -> tuple[set[str], set[str]]:
    """Return which of these authors block the account, and which it mutes or blocks."""
    blocks_us: set[str] = set()
    muted: set[str] = set()
    for start in range(0, len(authors), IDS_PER_LOOKUP):
        for item in lookup(authors[start : start + IDS_PER_LOOKUP]):
            if not isinstance(item, dict):
                continue
            account_id = str(item.get("id"))
            if item.get("blocked_by") is True:
                blocks_us.add(account_id)
            if item.get("muting") is True or item.get("blocking") is True:
                muted.add(account_id)
    return blocks_us, muted


def marked(posts: Sequence[Post], blocks_us: set[str], muted: set[str]) -> list[Post]:
    """Return the posts with their authors' relationships marked."""
    return [
        replace(
            post,
            author_blocks_us=post.author_blocks_us or post.author_id in blocks_us,
            author_muted=post.author_muted or post.author_id in muted,
        )
        for post in posts
    ]


class RelationshipCache:
    """Relationships asked for recently, per author: the stream's lookup before each mention.

    An answer is kept `ttl` (a block or mute set since is seen after at most that long, as the
    poll sees it at its next fetch) and at most `size` authors (the oldest answer goes first).
    """

    def __init__(self, *, ttl: timedelta = timedelta(minutes=1), size: int = 1000) -> None:
        self.ttl = ttl
        self.size = size
        self._known: dict[str, tuple[datetime, bool, bool]] = {}
        self._lock = threading.Lock()

    def mark(self, posts: Sequence[Post], lookup: Lookup, now: datetime) -> list[Post]:
        """Return the posts marked, asking (in one batch) only about authors not known now."""
        with self._lock:
            fresh = {a: k for a, k in self._known.items() if now - k[0] < self.ttl}
        unknown = sorted({post.author_id for post in posts} - set(fresh))
        if unknown:
            blocks_us, muted = relationships_of(unknown, lookup)
            answers = {a: (now, a in blocks_us, a in muted) for a in unknown}
            fresh |= answers
            self._remember(answers)
        blocking = {author for author, (_, blocks, _) in fresh.items() if blocks}
        muting = {author for author, (_, _, mutes) in fresh.items() if mutes}
        return marked(posts, blocking, muting)

    def _remember(self, answers: dict[str, tuple[datetime, bool, bool]]) -> None:
        with self._lock:
            self._known |= answers
            for author in sorted(self._known, key=lambda a: self._known[a][0]):
                if len(self._known) <= self.size:
                    break
                del self._known[author]


def relationship_params(account_ids: Sequence[str]) -> dict[str, list[str]]:
    """Return the query of one lookup (`id[]` repeated)."""
    return {"id[]": list(account_ids)}
