"""Rate limits of the fake Bluesky (platform-facts §2.4), on fixed windows of the fake clock.

- every request: 3,000 per 5 min per IP;
- createSession: 30 per 5 min and 300 per day per account;
- record writes: points per DID (create 3, update 2, delete 1), 5,000 per hour and 35,000 per day.

Each answer carries the IETF-draft headers `ratelimit-limit/-remaining/-reset/-policy` of the
window nearest exhaustion.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

WRITE_POINTS = {"create": 3, "update": 2, "delete": 1}


@dataclass(frozen=True, kw_only=True, slots=True)
class Window:
    """N points per window."""

    limit: int
    seconds: int


#: the published limits, by kind; each kind may have several windows
PUBLISHED_WINDOWS: Mapping[str, tuple[Window, ...]] = {
    "ip": (Window(limit=3000, seconds=300),),
    "login": (Window(limit=30, seconds=300), Window(limit=300, seconds=86400)),
    "write": (Window(limit=5000, seconds=3600), Window(limit=35000, seconds=86400)),
}


@dataclass(frozen=True, kw_only=True, slots=True)
class Verdict:
    """The state of the tightest window after a request, and whether it may pass."""

    limit: int
    remaining: int
    reset: int
    seconds: int
    exceeded: bool

    def headers(self) -> dict[str, str]:
        """Return Bluesky's rate-limit headers for this window."""
        return {
            "ratelimit-limit": str(self.limit),
            "ratelimit-remaining": str(self.remaining),
            "ratelimit-reset": str(self.reset),
            "ratelimit-policy": f"{self.limit};w={self.seconds}",
        }


class BlueskyLimits:
    """Fixed windows per (kind, key), opened by the first request in them."""

    def __init__(self, overrides: Mapping[str, tuple[Window, ...]] | None = None) -> None:
        self._lock = threading.Lock()
        self._windows = {**PUBLISHED_WINDOWS, **(overrides or {})}
        self._used: dict[tuple[str, str, int], tuple[float, int]] = {}

    def set_windows(self, kind: str, windows: tuple[Window, ...]) -> None:
        """Override the windows of one kind (`ip`, `login`, `write`)."""
        if kind not in PUBLISHED_WINDOWS:
            raise ValueError(f"unknown limit kind {kind!r}; use one of {sorted(PUBLISHED_WINDOWS)}")
        with self._lock:
            self._windows[kind] = windows

    def reset(self) -> None:
        """Forget every window."""
        with self._lock:
            self._used.clear()

    def consume(self, kind: str, key: str, now: float, cost: int = 1) -> Verdict:
        """Count `cost` points in every window of `kind`; refuse if any would overflow."""
        with self._lock:
            states = []
            for window in self._windows[kind]:
                start, used = self._used.get((kind, key, window.seconds), (now, 0))
                if now >= start + window.seconds:
                    start, used = now, 0
                states.append((window, start, used))
            exceeded = any(used + cost > window.limit for window, _, used in states)
            verdicts = []
            for window, start, used in states:
                spent = used if exceeded else used + cost
                self._used[(kind, key, window.seconds)] = (start, spent)
                verdicts.append(
                    Verdict(
                        limit=window.limit,
                        remaining=max(window.limit - spent, 0),
                        reset=int(start + window.seconds),
                        seconds=window.seconds,
                        exceeded=used + cost > window.limit,
                    )
                )
        return min(verdicts, key=lambda v: (not v.exceeded, v.remaining / max(v.limit, 1)))
