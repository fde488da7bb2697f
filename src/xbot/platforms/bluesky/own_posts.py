"""The account's own posts read from its repository (`com.atproto.repo.listRecords`).

The PDS answers listRecords itself, so this listing works on a PDS with no AppView configured,
where getAuthorFeed cannot. Records come ordered by record key, not by time, and xbot's replies
carry keys derived from their permits (`records.rkey_for`), so the listing reads up to
`OWN_RECORDS_CAP` records and orders them by `createdAt` itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from xbot.domain.posts import Post
from xbot.platforms.bluesky.answers import Answers, cursor_param, listed, next_cursor, parsed
from xbot.platforms.bluesky.posts import Me, from_own_record
from xbot.platforms.bluesky.records import POST_COLLECTION
from xbot.platforms.http import Exchange

LIST_RECORDS = "com.atproto.repo.listRecords"
#: records read at most when own posts are listed from the repository
OWN_RECORDS_CAP = 1000
#: records per listRecords page (the lexicon's maximum)
PAGE_SIZE = 100

Read = Callable[[str, Mapping[str, str]], Exchange]


def own_posts_from_repo(
    read: Read, answers: Answers, me: Me, *, since: str | None, limit: int
) -> list[Post]:
    """Return up to `limit` own posts newer than the post `since`, newest first."""
    found: list[Post] = []
    cursor: str | None = None
    while len(found) < OWN_RECORDS_CAP:
        params = {"repo": me.did, "collection": POST_COLLECTION, "limit": str(PAGE_SIZE)}
        body = answers.json(read(LIST_RECORDS, {**params, **cursor_param(cursor)}))
        records = listed(body, "records")
        found += [parsed(from_own_record, record, me) for record in records]
        cursor = next_cursor(body)
        if cursor is None or len(records) < PAGE_SIZE:  # a short page is the last one
            break
    ordered = sorted(found, key=lambda post: post.created_at, reverse=True)
    cut = next((n for n, post in enumerate(ordered) if post.post_id == since), len(ordered))
    return ordered[: min(cut, limit)]
