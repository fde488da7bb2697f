"""What the stream benches share: when each mention was first seen, the poll, and the report.

`bench/mastodon_stream.py`, `bench/x_activity_stream.py` and `bench/bluesky_jetstream.py` import
it (a bench runs as a script, so its folder is on the path).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from xbot.domain.intake import StreamDisconnected


@dataclass
class Seen:
    """When each post was first seen, and how."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    first: dict[str, float] = field(default_factory=dict)
    by_stream: set[str] = field(default_factory=set)
    by_poll: set[str] = field(default_factory=set)
    yielded: dict[str, int] = field(default_factory=dict)

    def note(self, post_id: str, *, stream: bool) -> None:
        with self.lock:
            if post_id not in self.first:
                self.first[post_id] = time.monotonic()
                (self.by_stream if stream else self.by_poll).add(post_id)
            if stream:
                self.yielded[post_id] = self.yielded.get(post_id, 0) + 1


@dataclass
class Poller:
    """The platform's poll with its watermark, shared by the backfill and the gap filler."""

    platform: Any
    seen: Seen
    watermark: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def poll(self) -> None:
        with self.lock:
            batch = self.platform.fetch_candidates(self.watermark)
            for post in batch.posts:
                self.seen.note(post.post_id, stream=False)
            self.watermark = batch.watermark


def consume(platform: Any, poller: Poller, stop: threading.Event) -> None:
    stream = platform.mention_stream()
    while not stop.is_set():
        try:
            for number, item in enumerate(stream.listen(None, stop)):
                if number == 0:  # connected: what was published while down comes back now
                    poller.poll()
                if item.post is not None:
                    poller.seen.note(item.post.post_id, stream=True)
        except StreamDisconnected:
            stop.wait(0.05)


def gap_filler(poller: Poller, stop: threading.Event, every: float) -> None:
    while not stop.wait(every):
        poller.poll()


def settle(seen: Seen, created: dict[str, float], limit: float) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        with seen.lock:
            if all(post_id in seen.first for post_id in created):
                return
        time.sleep(0.05)


def latencies(seen: Seen, created: dict[str, float]) -> list[float]:
    return sorted(seen.first[p] - at for p, at in created.items() if p in seen.first)


def quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def report(name: str, seen: Seen, created: dict[str, float]) -> list[float]:
    values = latencies(seen, created)
    lost = sum(1 for post_id in created if post_id not in seen.first)
    again = sum(1 for count in seen.yielded.values() if count > 1)
    ms = [quantile(values, 0.5) * 1000, quantile(values, 0.95) * 1000]
    ms.append(max(values, default=float("nan")) * 1000)
    by_stream, by_poll = len(seen.by_stream & set(created)), len(seen.by_poll & set(created))
    print(
        f"{name:<8} p50 {ms[0]:8.1f} ms  p95 {ms[1]:8.1f} ms  max {ms[2]:8.1f} ms"
        f"  by stream {by_stream:4d}  by poll {by_poll:4d}  lost {lost}  yielded again {again}"
    )
    carried = sorted(seen.first[p] - created[p] for p in seen.by_stream if p in created)
    if carried:
        print(
            f"{'':8} the {len(carried)} the stream carried: p50 {quantile(carried, 0.5) * 1000:.1f}"
            f" ms  p95 {quantile(carried, 0.95) * 1000:.1f} ms  max {carried[-1] * 1000:.1f} ms"
        )
    return values
