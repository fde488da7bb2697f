"""Posting as anyone on mastodon-mock through its own API (each world user has a token).

Also the traffic generator's PostBoard for the fake Mastodon. Calls go straight to
mastodon-mock (no faults, no limits, no request log): this is the world acting, not xbot.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable, Sequence
from typing import Any

import httpx2

from xbot.domain.errors import XbotError
from xbot.sim.core.traffic import Draft, PostRef
from xbot.sim.core.unicode import well_formed
from xbot.sim.core.world import World

_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_PARAGRAPH = re.compile(r"</p>\s*<p>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def plain_text(content: str) -> str:
    """Strip a status's HTML the simple way (the adapter has its own parser; the two must agree)."""
    text = _PARAGRAPH.sub("\n\n", _BREAK.sub("\n", content))
    return html.unescape(_TAG.sub("", text)).strip()


class MastodonBoardError(XbotError):
    """mastodon-mock refused an admin action."""


class MastodonBoard:
    """Statuses by any world user, through a private client to mastodon-mock."""

    def __init__(self, http: httpx2.Client, world: World, token: Callable[[str], str]) -> None:
        self.http = http
        self.world = world
        self.token = token
        self._lock = threading.Lock()
        self._ids: dict[str, str] = {}

    def create(
        self, author: str, text: str, *, in_reply_to: str | None = None, quote_of: str | None = None
    ) -> dict[str, Any]:
        """Post as `author`; return the post as the admin API lists it."""
        handle = self.world.user(author).handle
        body: dict[str, Any] = {"status": well_formed(text)}
        if in_reply_to:
            body["in_reply_to_id"] = in_reply_to
        if quote_of:
            body["quoted_status_id"] = quote_of
        status = self._call("POST", "/api/v1/statuses", handle, json=body)
        return admin_view(status)

    def update_profile(self, handle: str, **fields: str) -> dict[str, Any]:
        """Change a user's profile through `update_credentials` (note, bot, fields_attributes)."""
        name = self.world.user(handle).handle
        path = "/api/v1/accounts/update_credentials"
        account: dict[str, Any] = self._call("PATCH", path, name, data=fields)
        return account

    def relate(self, handle: str, other: str, action: str) -> dict[str, Any]:
        """`handle` blocks, mutes, unblocks or unmutes `other` (mastodon-mock's relationships)."""
        name = self.world.user(handle).handle
        path = f"/api/v1/accounts/{self.account_id(self.world.user(other).handle)}/{action}"
        relationship: dict[str, Any] = self._call("POST", path, name)
        return relationship

    def statuses_of(self, author: str) -> list[dict[str, Any]]:
        """Every status of one user, oldest first."""
        handle = self.world.user(author).handle
        path = f"/api/v1/accounts/{self.account_id(handle)}/statuses"
        found: list[dict[str, Any]] = []
        params: dict[str, str] = {"limit": "40"}
        while True:
            page = self._call("GET", path, handle, params=params)
            found += page
            if len(page) < 40:
                break
            params = {"limit": "40", "max_id": page[-1]["id"]}
        return [admin_view(status) for status in reversed(found)]

    def account_id(self, handle: str) -> str:
        """Return the mastodon-mock account id of a world user."""
        with self._lock:
            known = self._ids.get(handle.lower())
        if known is None:
            account = self._call("GET", "/api/v1/accounts/verify_credentials", handle)
            known = str(account["id"])
            with self._lock:
                self._ids[handle.lower()] = known
        return known

    def reset(self) -> None:
        """Drop every status and re-seed the accounts."""
        answer = self.http.post("/api/v1/_mock/reset")
        if answer.status_code != 200:
            raise MastodonBoardError(f"mastodon-mock refused the reset: {answer.status_code}")
        with self._lock:
            self._ids.clear()

    def warm_up(self, handle: str) -> None:
        """Call each endpoint xbot reads once, as `handle`."""
        self._call("GET", "/api/v1/notifications", handle, params={"types[]": "mention"})
        self._call("GET", f"/api/v1/accounts/{self.account_id(handle)}/statuses", handle)
        self._call("GET", "/api/v2/instance", handle)

    def close(self) -> None:
        """Close the private client."""
        self.http.close()

    # --- PostBoard ---

    def recent_posts(self, *, by_bot_accounts: bool, limit: int) -> Sequence[PostRef]:
        """Recent public statuses by bot accounts or by everyone else."""
        bots = {bot.handle.lower() for bot in self.world.bot_accounts}
        viewer = self.world.bot_accounts[0].handle
        page = self._call("GET", "/api/v1/timelines/public", viewer, params={"limit": "40"})
        refs = [
            PostRef(post_id=status["id"], author_handle=status["account"]["acct"])
            for status in page
            if (status["account"]["acct"].lower() in bots) == by_bot_accounts
        ]
        return refs[:limit]

    def add_post(self, draft: Draft) -> str:
        """Create a generated status (mastodon-mock stamps it with the real time)."""
        created = self.create(
            draft.author, draft.text, in_reply_to=draft.in_reply_to, quote_of=draft.quote_of
        )
        return str(created["id"])

    def _call(self, method: str, path: str, handle: str, **options: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token(handle)}"}
        answer = self.http.request(method, path, headers=headers, **options)
        if not answer.is_success:
            said = f"mastodon-mock answered {answer.status_code} to {method} {path}"
            raise MastodonBoardError(f"{said}: {answer.text[:200]}")
        return answer.json()


def admin_view(status: dict[str, Any]) -> dict[str, Any]:
    """Return a status as the admin API lists it."""
    quote = status.get("quote") or {}
    quoted = (quote.get("quoted_status") or {}).get("id") if isinstance(quote, dict) else None
    return {
        "id": status["id"],
        "author": status["account"]["acct"],
        "in_reply_to": status.get("in_reply_to_id"),
        "quote_of": quoted,
        "text": plain_text(str(status.get("content") or "")),
        "created_at": status.get("created_at"),
        "deleted": False,
        "visibility": status.get("visibility"),
    }
