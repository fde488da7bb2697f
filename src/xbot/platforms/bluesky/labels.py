"""The account's `bot` self-label on its profile record (platform facts §2.7, §5.4).

Reading is `com.atproto.repo.getRecord` of `app.bsky.actor.profile/self`; applying is a
`putRecord` of the same record with the label added and every other field kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from xbot.domain.errors import NotFound
from xbot.platforms.bluesky.answers import Answers
from xbot.platforms.bluesky.posts import Me
from xbot.platforms.http import Exchange

GET_RECORD = "com.atproto.repo.getRecord"
PUT_RECORD = "com.atproto.repo.putRecord"
PROFILE_COLLECTION = "app.bsky.actor.profile"
SELF_LABELS = "com.atproto.label.defs#selfLabels"
#: the self-label that marks an automated account
BOT_LABEL = "bot"

Read = Callable[[str, Mapping[str, Any]], Exchange]
Write = Callable[[str, Mapping[str, Any]], Exchange]


def has_bot_label(read: Read, answers: Answers, me: Me) -> bool:
    """Return whether the profile record carries the `bot` self-label."""
    value, _cid = profile(read, answers, me)
    return BOT_LABEL in self_labels(value)


def apply_bot_label(read: Read, write: Write, answers: Answers, me: Me) -> None:
    """Add the `bot` self-label to the profile record, keeping every other field.

    `putRecord` with `swapRecord` = the read record's CID: a profile edited in between makes
    the write fail (`InvalidSwap`) instead of losing that edit.
    """
    value, cid = profile(read, answers, me)
    if BOT_LABEL in self_labels(value):
        return
    found = value.get("labels")
    labels: dict[str, Any] = found if isinstance(found, dict) else {}
    values = [*(labels.get("values") or []), {"val": BOT_LABEL}]
    record = {**value, "$type": PROFILE_COLLECTION,
              "labels": {**labels, "$type": SELF_LABELS, "values": values}}  # fmt: skip
    body = {"repo": me.did, "collection": PROFILE_COLLECTION, "rkey": "self", "record": record}
    if cid is not None:
        body["swapRecord"] = cid
    write(PUT_RECORD, body)


def profile(read: Read, answers: Answers, me: Me) -> tuple[dict[str, Any], str | None]:
    """Return the profile record's value and CID ({} and None when there is no record)."""
    params = {"repo": me.did, "collection": PROFILE_COLLECTION, "rkey": "self"}
    try:
        body = answers.json(read(GET_RECORD, params))
    except NotFound:
        return {}, None
    value, cid = body.get("value"), body.get("cid")
    return (value if isinstance(value, dict) else {}), (cid if isinstance(cid, str) else None)


def self_labels(value: dict[str, Any]) -> list[str]:
    """Return the self-label values of a profile record."""
    labels = value.get("labels")
    values = labels.get("values") if isinstance(labels, dict) else None
    return [str(item.get("val")) for item in values or [] if isinstance(item, dict)]
