"""The fake Jetstream's log: every commit of the fake Bluesky as a Jetstream event, and its faults.

Jetstream (platform-facts §5.4) turns the firehose into JSON, one message per commit:

    {"did": "did:plc:…", "time_us": 1725911162329308, "kind": "commit",
     "commit": {"rev": "…", "operation": "create", "collection": "app.bsky.feed.post",
                "rkey": "3l3qo2vuowo2b", "record": {…}, "cid": "bafyrei…"}}

`time_us` is when Jetstream saw the commit (here: the fake clock, strictly increasing) and is
the cursor a consumer resumes from. The log keeps the last `capacity` events in memory (the real
service keeps about three days); a cursor older than the log replays from its oldest event.

Faults (see `JetstreamFaults`, the admin API `/_sim/jetstream` and `FakeBluesky.jetstream`):
drop every connection, pause delivery, deliver the next events twice or in reverse order, lose
the events published while the consumer is away (only a backfill can recover them), and slow
delivery down (a slow consumer: past `max_backlog` waiting events the fake drops it, as the
real service drops consumers that fall behind).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from xbot.sim.core.clock import SimClock

#: events the fake keeps for replay
DEFAULT_CAPACITY = 10_000
#: events held for an out-of-order delivery go out anyway after this many real seconds
REORDER_FLUSH_SECONDS = 1.0


@dataclass(frozen=True, kw_only=True, slots=True)
class Commit:
    """One write to a repository, as the store reports it."""

    did: str
    collection: str
    rkey: str
    operation: str
    rev: str
    cid: str | None = None
    record: dict[str, Any] | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class JetEvent:
    """One event of the log: its order in the log, its cursor and its JSON text."""

    seq: int
    time_us: int
    did: str
    collection: str
    text: str


@dataclass(kw_only=True, slots=True)
class JetstreamFaults:
    """What currently goes wrong with the fake Jetstream (admin API and tests)."""

    #: the next N events are delivered twice
    duplicate: int = 0
    #: the next N events are held and delivered in reverse order
    reorder: int = 0
    #: events published now are never logged (until a consumer connects again)
    losing: bool = False
    #: connections are refused until this monotonic time
    refuse_until: float = 0.0
    #: delivery is paused until this monotonic time (inf: until resumed)
    paused_until: float = 0.0
    #: real seconds between two delivered events (a congested consumer)
    slow_seconds: float = 0.0
    #: with slow delivery: drop a consumer that has more events than this waiting (0: never)
    max_backlog: int = 0
    #: events lost so far by `losing`
    lost: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Return the faults as JSON-ready data (times as seconds from now)."""
        now = time.monotonic()
        data = asdict(self)
        data["refuse_seconds"] = max(0.0, self.refuse_until - now)
        data["paused_seconds"] = max(0.0, self.paused_until - now)
        del data["refuse_until"], data["paused_until"]
        return data


@dataclass(kw_only=True, slots=True)
class Subscriber:
    """One open consumer connection, woken when the log grows or a fault changes."""

    loop: asyncio.AbstractEventLoop
    wake: asyncio.Event
    generation: int
    closed: bool = False

    def notify(self) -> None:
        """Wake the connection's task from any thread."""
        with contextlib.suppress(RuntimeError):  # its loop has stopped
            self.loop.call_soon_threadsafe(self.wake.set)


@dataclass(kw_only=True)
class JetstreamLog:
    """The fake Jetstream's bounded event log, its consumers and its faults; thread-safe."""

    clock: SimClock
    capacity: int = DEFAULT_CAPACITY
    faults: JetstreamFaults = field(default_factory=JetstreamFaults)
    _events: deque[JetEvent] = field(init=False)
    _held: list[JetEvent] = field(default_factory=list, init=False)
    _held_since: float = field(default=0.0, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _subscribers: list[Subscriber] = field(default_factory=list, init=False)
    _last_us: int = field(default=0, init=False)
    _seq: int = field(default=0, init=False)
    _generation: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self._events = deque(maxlen=self.capacity)

    # --- publishing ---

    def publish(self, commit: Commit) -> None:
        """Log one commit as an event now (unless events are being lost) and wake consumers."""
        with self._lock:
            time_us = max(self._last_us + 1, int(self.clock.timestamp() * 1_000_000))
            self._last_us = time_us
            if self.faults.losing:
                self.faults.lost += 1
                return
            text = json.dumps(_event_body(commit, time_us), separators=(",", ":"))
            copies = 2 if self.faults.duplicate > 0 else 1
            self.faults.duplicate = max(0, self.faults.duplicate - 1)
            for _ in range(copies):
                self._seq += 1
                event = JetEvent(
                    seq=self._seq, time_us=time_us, did=commit.did,
                    collection=commit.collection, text=text,
                )  # fmt: skip
                self._place(event)
            waiting = list(self._subscribers)
        for subscriber in waiting:
            subscriber.notify()

    def _place(self, event: JetEvent) -> None:
        if self.faults.reorder <= 0:
            self._events.append(event)
            return
        if not self._held:
            self._held_since = time.monotonic()
        self._held.append(event)
        self.faults.reorder -= 1
        if self.faults.reorder == 0:
            self._release_held()

    def _release_held(self) -> None:
        """Log the held events newest first, renumbered so consumers take them in that order."""
        for event in reversed(self._held):
            self._seq += 1
            self._events.append(JetEvent(
                seq=self._seq, time_us=event.time_us, did=event.did,
                collection=event.collection, text=event.text,
            ))  # fmt: skip
        self._held.clear()
        self.faults.reorder = 0

    # --- consuming ---

    def connect(self, cursor: int | None) -> tuple[Subscriber, list[JetEvent], int] | None:
        """Register a consumer; return it, the replay from `cursor` and its log position.

        None when connections are refused. A connection ends a `losing` spell.
        """
        loop = asyncio.get_running_loop()
        with self._lock:
            if time.monotonic() < self.faults.refuse_until:
                return None
            self.faults.losing = False
            subscriber = Subscriber(loop=loop, wake=asyncio.Event(), generation=self._generation)
            self._subscribers.append(subscriber)
            replay = [] if cursor is None else [e for e in self._events if e.time_us >= cursor]
            return subscriber, replay, self._seq

    def disconnect(self, subscriber: Subscriber) -> None:
        """Forget a consumer."""
        with self._lock:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

    def since(self, seq: int) -> list[JetEvent]:
        """Return the logged events after log position `seq`, in log order."""
        with self._lock:
            if self._held and time.monotonic() - self._held_since > REORDER_FLUSH_SECONDS:
                self._release_held()
            found: list[JetEvent] = []
            for event in reversed(self._events):
                if event.seq <= seq:
                    break
                found.append(event)
        found.reverse()
        return found

    def dropped(self, subscriber: Subscriber) -> bool:
        """Whether the consumer's connection was dropped by a fault since it connected."""
        return subscriber.generation != self._generation

    def paused(self) -> bool:
        """Whether delivery is paused now."""
        return time.monotonic() < self.faults.paused_until

    # --- faults ---

    def drop(self, *, lose: bool = False, refuse_seconds: float = 0.0) -> int:
        """Close every connection; return how many were open.

        With `lose`, events published until the next connection are never logged;
        `refuse_seconds` refuses new connections that long.
        """
        with self._lock:
            self._generation += 1
            self.faults.losing = self.faults.losing or lose
            self.faults.refuse_until = time.monotonic() + max(0.0, refuse_seconds)
            waiting = list(self._subscribers)
        for subscriber in waiting:
            subscriber.notify()
        return len(waiting)

    def pause(self, seconds: float | None = None) -> None:
        """Hold delivery for `seconds` (None: until `resume`); events keep being logged."""
        with self._lock:
            length = float("inf") if seconds is None else max(0.0, seconds)
            self.faults.paused_until = time.monotonic() + length

    def resume(self) -> None:
        """Deliver again."""
        with self._lock:
            self.faults.paused_until = 0.0
            waiting = list(self._subscribers)
        for subscriber in waiting:
            subscriber.notify()

    def deliver_twice(self, count: int) -> None:
        """Log the next `count` events twice."""
        with self._lock:
            self.faults.duplicate = max(0, count)

    def deliver_out_of_order(self, count: int) -> None:
        """Hold the next `count` events and deliver them in reverse order."""
        with self._lock:
            self.faults.reorder = max(0, count)

    def slow(self, seconds: float, max_backlog: int = 0) -> None:
        """Deliver one event every `seconds`; drop a consumer with over `max_backlog` waiting."""
        with self._lock:
            self.faults.slow_seconds = max(0.0, seconds)
            self.faults.max_backlog = max(0, max_backlog)

    def clear_faults(self) -> None:
        """No fault any more (held out-of-order events are delivered)."""
        with self._lock:
            if self._held:
                self._release_held()
            self.faults = JetstreamFaults(lost=self.faults.lost)
            waiting = list(self._subscribers)
        for subscriber in waiting:
            subscriber.notify()

    def reset(self) -> None:
        """Forget every event and fault (the fake's reset); open connections are dropped."""
        with self._lock:
            self._events.clear()
            self._held.clear()
            self.faults = JetstreamFaults()
        self.drop()

    def describe(self) -> dict[str, Any]:
        """Return the log's state as JSON-ready data."""
        with self._lock:
            return {
                "events": len(self._events),
                "capacity": self.capacity,
                "oldest_time_us": self._events[0].time_us if self._events else None,
                "latest_time_us": self._last_us or None,
                "connections": len(self._subscribers),
                "faults": self.faults.as_dict(),
            }


def _event_body(commit: Commit, time_us: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "rev": commit.rev,
        "operation": commit.operation,
        "collection": commit.collection,
        "rkey": commit.rkey,
    }
    if commit.operation != "delete":
        body["record"] = commit.record or {}
        body["cid"] = commit.cid
    return {"did": commit.did, "time_us": time_us, "kind": "commit", "commit": body}


def wanted(event: JetEvent, collections: Iterable[str], dids: Iterable[str]) -> bool:
    """Whether a consumer's `wantedCollections` and `wantedDids` let the event through.

    A collection ending in `.*` is a prefix (`app.bsky.feed.*`); empty lists let everything through.
    """
    collections, dids = list(collections), list(dids)
    if dids and event.did not in dids:
        return False
    if not collections:
        return True
    return any(
        event.collection == name or (name.endswith(".*") and event.collection.startswith(name[:-1]))
        for name in collections
    )
