"""The Mastodon fetch watermark: the newest notification id, plus one status id per hashtag.

Without hashtags it is the bare notification id (what `since_id` takes); with hashtags it is
a small JSON object, `{"notifications": id, "tags": {"python": id}}`. A bare id read by an
adapter that now follows hashtags is the notifications part, so adding a hashtag later keeps
the mentions watermark.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, kw_only=True, slots=True)
class Watermark:
    """Where the last fetch stopped, per stream."""

    notifications: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, raw: str | None) -> Watermark:
        """Read a stored watermark (bare id or JSON); an unreadable one starts afresh."""
        if not raw:
            return cls()
        if not raw.startswith("{"):
            return cls(notifications=raw)
        try:
            data = json.loads(raw)
        except ValueError:
            return cls()
        tags = data.get("tags") if isinstance(data, dict) else None
        notifications = data.get("notifications") if isinstance(data, dict) else None
        return cls(
            notifications=str(notifications) if notifications else None,
            tags={str(tag): str(value) for tag, value in (tags or {}).items() if value},
        )

    def dump(self) -> str | None:
        """Return the watermark to store."""
        if not self.tags:
            return self.notifications
        body = {"notifications": self.notifications, "tags": dict(sorted(self.tags.items()))}
        return json.dumps(body, separators=(",", ":"))
