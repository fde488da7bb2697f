"""What the fake Bluesky's routes need from the fake: state, settings and limits, no more."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from xbot.sim.bluesky.auth import BlueskyAuth
    from xbot.sim.bluesky.limits import Verdict, Window
    from xbot.sim.bluesky.settings import BlueskyFakeSettings
    from xbot.sim.bluesky.state import Actor, BlueskyStore, PostRecord
    from xbot.sim.core.clock import SimClock


class BlueskyBackend(Protocol):
    """The fake Bluesky as its XRPC, PLC and admin routes see it."""

    @property
    def clock(self) -> SimClock:
        """The fake's clock."""

    @property
    def settings(self) -> BlueskyFakeSettings:
        """The current settings."""

    @property
    def store(self) -> BlueskyStore:
        """Actors, repositories and records."""

    @property
    def auth(self) -> BlueskyAuth:
        """App passwords and sessions."""

    def catch_up(self) -> None:
        """Let the traffic generator create every post due by now."""

    def configure(self, **changes: Any) -> BlueskyFakeSettings:
        """Change settings while running."""

    def create_record(self, actor: Actor, value: dict[str, Any], rkey: str | None) -> PostRecord:
        """Commit a client's record now, under its rkey or a fresh TID."""

    def consume(self, kind: str, key: str, now: float, cost: int = 1) -> Verdict:
        """Count `cost` points against the limits of `kind` (`ip`, `login`, `write`)."""

    def set_windows(self, kind: str, windows: tuple[Window, ...]) -> None:
        """Override the limit windows of one kind."""
