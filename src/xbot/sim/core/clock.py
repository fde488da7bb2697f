"""A controllable clock for the fakes: real time, accelerated, frozen, or moved by hand.

Every fake reads time only through a `SimClock`, so token expiry, rate-limit windows,
visibility delays and the traffic generator all follow it. `speed=1` tracks real time,
`speed=60` makes a minute pass every second, `speed=0` freezes time so that only
`advance()` moves it (deterministic tests).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta


class SimClock:
    """Fake time: `start + (real seconds elapsed) * speed + manual advances`."""

    def __init__(self, *, start: datetime | None = None, speed: float = 1.0) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self._lock = threading.Lock()
        self._anchor = (start or datetime.now(UTC)).astimezone(UTC)
        self._anchor_monotonic = time.monotonic()
        self._speed = speed

    @property
    def speed(self) -> float:
        """How many fake seconds pass per real second."""
        return self._speed

    def now(self) -> datetime:
        """Return the current fake time, aware UTC."""
        with self._lock:
            return self._now_locked()

    def timestamp(self) -> float:
        """Return the current fake time as Unix epoch seconds."""
        return self.now().timestamp()

    def advance(self, seconds: float) -> datetime:
        """Move fake time forward by `seconds` and return the new time."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._anchor = self._now_locked() + timedelta(seconds=seconds)
            self._anchor_monotonic = time.monotonic()
            return self._anchor

    def set_speed(self, speed: float) -> None:
        """Change the speed from now on; time already passed is kept."""
        if speed < 0:
            raise ValueError("speed must be >= 0")
        with self._lock:
            self._anchor = self._now_locked()
            self._anchor_monotonic = time.monotonic()
            self._speed = speed

    def _now_locked(self) -> datetime:
        elapsed = (time.monotonic() - self._anchor_monotonic) * self._speed
        return self._anchor + timedelta(seconds=elapsed)
