"""What the console is handed: a read model and the operator actions (no driver behind them here).

The composition root (wiring.py) gives the app an object with both; each read returns JSON-able
data, which the page renders and its `/api/v1/` twin serves as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

#: one page of a list: the rows and the cursor of the next page (None on the last)
Page = dict[str, Any]


@dataclass(frozen=True, kw_only=True, slots=True)
class ReplyFilter:
    """Which replies to list: by account (`platform:handle`), permit state and text."""

    account: str | None = None
    state: str | None = None
    text: str | None = None
    #: the cursor a previous page returned
    before: str | None = None
    limit: int = 50


@dataclass(frozen=True, kw_only=True, slots=True)
class EventFilter:
    """Which events to list; `event_type` ending in `*` matches a prefix."""

    event_type: str | None = None
    severity: str | None = None
    account: str | None = None
    before: int | None = None
    limit: int = 100


class ConsoleReads(Protocol):
    """Everything the console's pages show."""

    def overview(self) -> dict[str, Any]:
        """Return the verdict and blocker, the SHAs, the kill switch and every account's state."""

    def pipeline(self, window: str) -> dict[str, Any]:
        """Return the funnel per account and the posts/skips series over `window` (1h, 24h, 7d)."""

    def replies(self, wanted: ReplyFilter) -> Page:
        """Return one page of replies, newest first."""

    def trace(self, identifier: str) -> dict[str, Any] | None:
        """Return the chain any id names, or None."""

    def ghosts(self, *, include_acknowledged: bool) -> Page:
        """Return ghosts, newest first."""

    def certify(self) -> dict[str, Any]:
        """Return the latest certification report (computed at most every few seconds)."""

    def workers(self, before: int | None) -> dict[str, Any]:
        """Return workers, job health, stalled runs and one page of job runs."""

    def events(self, wanted: EventFilter) -> Page:
        """Return one page of `system_events`, newest first."""

    def reviews(self) -> dict[str, Any]:
        """Return the replies waiting for review, oldest first, with text, hash and deadline."""


class ConsoleActions(Protocol):
    """What an operator may do from the console; each records an event naming `by`."""

    def pause(self, by: str, *, drain: bool) -> None:
        """Turn the kill switch on (with `drain`, pending permits expire)."""

    def resume(self, by: str) -> None:
        """Turn the kill switch off."""

    def acknowledge_ghost(self, identifier: str, by: str, reason: str) -> dict[str, Any] | None:
        """Acknowledge a ghost; None when there is no such ghost."""

    def certify_now(self) -> dict[str, Any]:
        """Run certification now and return the report."""

    def review_approve(self, permit_id: str, by: str, sha256: str | None) -> dict[str, Any]:
        """Approve the exact text (whose hash the reviewer saw); ReviewError when it cannot."""

    def review_reject(self, permit_id: str, by: str, reason: str) -> dict[str, Any]:
        """Reject the reply with a reason; ReviewError when it cannot."""


class Console(ConsoleReads, ConsoleActions, Protocol):
    """The read model and the actions together, as wiring hands them in."""
