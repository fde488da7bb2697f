"""What xbot writes to Bluesky: the record key derived from the permit, facets, the post record.

The record key of a reply is a TID computed from the idempotency key (the permit id) alone, so
every attempt for one permit addresses the same record `at://<did>/app.bsky.feed.post/<rkey>`:
a retry after an ambiguous outcome reads that record first, and a second create of it fails
instead of posting twice. A TID is 13 characters of base32-sortable, a 64-bit value with the top
bit 0: 53 bits of microseconds, 10 bits of clock id (platform-facts §2.5). Its time part is put
inside a past two-year span so it reads as a plausible, never future, TID.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

POST_COLLECTION = "app.bsky.feed.post"
MENTION_FEATURE = "app.bsky.richtext.facet#mention"
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
TID_PATTERN = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
#: the time part of derived TIDs lies in [2023-01-01, 2025-01-01)
_SPAN_START_MICROS = int(datetime(2023, 1, 1, tzinfo=UTC).timestamp() * 1_000_000)
_SPAN_MICROS = int((datetime(2025, 1, 1, tzinfo=UTC).timestamp()) * 1_000_000) - _SPAN_START_MICROS
#: a mention is `@` + a domain handle; the negative lookbehind skips e-mail addresses
MENTION_PATTERN = re.compile(
    r"(?<![\w@.])@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?)"
)


def tid_from_int(value: int) -> str:
    """Encode a 64-bit value (top bit 0) as 13 characters of base32-sortable."""
    chars = []
    for _ in range(13):
        chars.append(TID_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def rkey_for(idempotency_key: str) -> str:
    """Return the TID record key of the post made under `idempotency_key` (the permit id)."""
    digest = hashlib.sha256(b"xbot-bluesky-rkey:" + idempotency_key.encode()).digest()
    micros = _SPAN_START_MICROS + int.from_bytes(digest[:8], "big") % _SPAN_MICROS
    clock_id = int.from_bytes(digest[8:10], "big") & 1023
    return tid_from_int((micros << 10) | clock_id)


def is_tid(value: str) -> bool:
    """Whether `value` is a syntactically valid TID."""
    return TID_PATTERN.fullmatch(value) is not None


def post_uri(did: str, rkey: str) -> str:
    """Return the at:// URI of one of the account's posts."""
    return f"at://{did}/{POST_COLLECTION}/{rkey}"


def mention_facets(text: str, resolve: Callable[[str], str | None]) -> list[dict[str, Any]]:
    """Return a mention facet for every @handle that resolves to a DID, with UTF-8 byte offsets."""
    facets = []
    for match in MENTION_PATTERN.finditer(text):
        did = resolve(match.group(1).lower())
        if did is None:
            continue
        start = len(text[: match.start()].encode())
        end = start + len(match.group(0).encode())
        facets.append(
            {
                "index": {"byteStart": start, "byteEnd": end},
                "features": [{"$type": MENTION_FEATURE, "did": did}],
            }
        )
    return facets


def bluesky_time(moment: datetime) -> str:
    """Return a timestamp as Bluesky writes them: `2026-09-01T12:00:00.000Z`."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def reply_record(
    text: str,
    *,
    created_at: datetime,
    root: Mapping[str, str],
    parent: Mapping[str, str],
    facets: list[dict[str, Any]],
) -> dict[str, Any]:
    """Return the app.bsky.feed.post record of a reply (root and parent are strong refs)."""
    record: dict[str, Any] = {
        "$type": POST_COLLECTION,
        "text": text,
        "createdAt": bluesky_time(created_at),
        "reply": {"root": dict(root), "parent": dict(parent)},
    }
    if facets:
        record["facets"] = facets
    return record
