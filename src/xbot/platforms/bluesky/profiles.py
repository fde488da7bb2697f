"""Authors' profiles by DID, read once and kept a while: Jetstream names an author by DID only.

A notification carries its author's profile view (handle, labels, `viewer.blockedBy`); a post
that comes over Jetstream carries only the DID, so the stream reads `app.bsky.actor.getProfile`
for it. Profiles are kept for `ttl` (labels and blocks change rarely), at most `size` of them.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

#: seconds a profile is reused
DEFAULT_TTL_SECONDS = 600.0
#: profiles kept at most (least recently used go first)
DEFAULT_SIZE = 10_000


class AuthorProfiles:
    """A bounded, expiring cache in front of `read(did) -> profile view`; thread-safe."""

    def __init__(
        self,
        read: Callable[[str], Mapping[str, Any]],
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        size: int = DEFAULT_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read = read
        self._ttl = ttl_seconds
        self._size = size
        self._clock = clock
        self._lock = threading.Lock()
        self._kept: OrderedDict[str, tuple[float, Mapping[str, Any]]] = OrderedDict()

    def get(self, did: str) -> Mapping[str, Any]:
        """Return the profile view of `did`, reading it when not kept or too old."""
        now = self._clock()
        with self._lock:
            kept = self._kept.get(did)
            if kept is not None and now - kept[0] < self._ttl:
                self._kept.move_to_end(did)
                return kept[1]
        profile = self._read(did)  # outside the lock: a slow read does not hold up others
        with self._lock:
            self._kept[did] = (now, profile)
            self._kept.move_to_end(did)
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)
        return profile
