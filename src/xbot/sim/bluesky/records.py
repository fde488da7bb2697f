"""Validation of app.bsky.feed.post records, as the PDS does with `validate` (LX post.json).

Failures answer 400 `InvalidRequest` with `Invalid app.bsky.feed.post record: <why>`; the text's
limits are worded as the PDS's lexicon validator words them, bytes first:
`string too big (maximum 3000, got N) at $.record.text`,
`grapheme too big (maximum 300, got N) at $.record.text`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from xbot.sim.bluesky.ids import graphemes, parse_at_uri
from xbot.sim.bluesky.state import MENTION_FEATURE, POST_COLLECTION, BlueskyStore
from xbot.sim.bluesky.xrpc import XrpcError, invalid_request

MAX_GRAPHEMES = 300
MAX_BYTES = 3000
MAX_LANGS = 3
_PREFIX = f"Invalid {POST_COLLECTION} record: "


def _invalid(why: str) -> XrpcError:
    return invalid_request(_PREFIX + why)


def validate_post(record: Any, store: BlueskyStore, *, check_reply_refs: bool) -> None:
    """Raise XrpcError 400 unless `record` is a valid post record."""
    if not isinstance(record, dict):
        raise _invalid("Record must be an object")
    if record.get("$type", POST_COLLECTION) != POST_COLLECTION:
        raise _invalid(f"Record/$type must be {POST_COLLECTION}")
    _check_text(record.get("text"))
    _check_created_at(record.get("createdAt"))
    _check_langs(record.get("langs"))
    _check_facets(record.get("facets"), str(record["text"]))
    if "reply" in record:
        _check_reply(record["reply"], store, check_reply_refs=check_reply_refs)


def _check_text(text: Any) -> None:
    if not isinstance(text, str):
        raise _invalid('Record must have the property "text"')
    size, count = len(text.encode()), graphemes(text)
    if size > MAX_BYTES:
        raise invalid_request(f"string too big (maximum {MAX_BYTES}, got {size}) at $.record.text")
    if count > MAX_GRAPHEMES:
        raise invalid_request(
            f"grapheme too big (maximum {MAX_GRAPHEMES}, got {count}) at $.record.text"
        )


def _check_created_at(value: Any) -> None:
    if not isinstance(value, str):
        raise _invalid('Record must have the property "createdAt"')
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _invalid("Record/createdAt must be an valid atproto datetime") from None
    if moment.tzinfo is None:
        raise _invalid("Record/createdAt must be an valid atproto datetime")


def _check_langs(langs: Any) -> None:
    if langs is None:
        return
    if not isinstance(langs, list) or not all(isinstance(lang, str) for lang in langs):
        raise _invalid("Record/langs must be an array of strings")
    if len(langs) > MAX_LANGS:
        raise _invalid(f"Record/langs must not have more than {MAX_LANGS} elements")


def _check_facets(facets: Any, text: str) -> None:
    if facets is None:
        return
    if not isinstance(facets, list):
        raise _invalid("Record/facets must be an array")
    size = len(text.encode())
    for number, facet in enumerate(facets):
        index = facet.get("index") if isinstance(facet, dict) else None
        if not isinstance(index, dict):
            raise _invalid(f'Record/facets/{number} must have the property "index"')
        start, end = index.get("byteStart"), index.get("byteEnd")
        if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start <= end <= size:
            raise _invalid(f"Record/facets/{number}/index must lie within the text's bytes")
        for feature in facet.get("features") or []:
            mention = feature.get("$type") == MENTION_FEATURE
            if mention and not str(feature.get("did", "")).startswith("did:"):
                raise _invalid(f"Record/facets/{number}/features must carry a valid did")


def _check_reply(reply: Any, store: BlueskyStore, *, check_reply_refs: bool) -> None:
    if not isinstance(reply, dict):
        raise _invalid("Record/reply must be an object")
    for part in ("root", "parent"):
        ref = reply.get(part)
        if not isinstance(ref, dict) or not isinstance(ref.get("cid"), str):
            raise _invalid(f'Record/reply/{part} must have the property "cid"')
        uri = ref.get("uri")
        if not isinstance(uri, str) or parse_at_uri(uri) is None:
            raise _invalid(f"Record/reply/{part}/uri must be a valid at-uri")
        if check_reply_refs and store.live(uri) is None:
            # ⚠ the reference PDS does not resolve strong refs; a setting of the fake
            raise invalid_request(f"Could not locate record: {uri}")
