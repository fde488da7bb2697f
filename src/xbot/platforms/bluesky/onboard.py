"""What `xbot config check` reads from Bluesky beyond the port: the profile's `bot` self-label."""

from __future__ import annotations

import httpx2

PROFILE_COLLECTION = "app.bsky.actor.profile"


def has_bot_label(http: httpx2.Client, did: str) -> bool | None:
    """Whether the profile record carries the `bot` self-label (None: no answer)."""
    params = {"repo": did, "collection": PROFILE_COLLECTION, "rkey": "self"}
    response = http.get("/xrpc/com.atproto.repo.getRecord", params=params)
    if response.status_code == 400:
        return False  # RecordNotFound: no profile record, so no label
    if response.status_code != 200:
        return None
    try:
        labels = response.json().get("value", {}).get("labels") or {}
        values = labels.get("values") or []
    except (ValueError, AttributeError):
        return None
    return any(isinstance(item, dict) and item.get("val") == "bot" for item in values)
