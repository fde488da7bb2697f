"""Who blocks the account, and whom it mutes: `GET /api/v1/accounts/relationships`.

Mastodon tells an account, for each other account it asks about, whether that account blocks it
(`blocked_by`) and whether it mutes or blocks that account itself (`muting`, `blocking`;
platform facts §3.5: interact only with those who want it). Nobody is told who mutes *them*, so
"muted" here is the bot account's own mute or block, which an operator sets from any Mastodon
app to say "never answer this person". The fetch asks once per fetch for the authors it found,
40 ids a request; the fetch job records both as opt-outs (`block`, `mute`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
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
    authors = sorted({post.author_id for post in posts})
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
    return [
        replace(
            post,
            author_blocks_us=post.author_blocks_us or post.author_id in blocks_us,
            author_muted=post.author_muted or post.author_id in muted,
        )
        for post in posts
    ]


def relationship_params(account_ids: Sequence[str]) -> dict[str, list[str]]:
    """Return the query of one lookup (`id[]` repeated)."""
    return {"id[]": list(account_ids)}
