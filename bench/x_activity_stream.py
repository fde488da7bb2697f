"""X intake through the Activity API stream vs the mentions poll, the fake X on loopback.

    python bench/x_activity_stream.py --mentions 200 --rate 5 --disconnects 5

Phase 1 (stream): a consumer thread does what the intake supervisor does for one account: on
every (re)connect it backfills with the poll (`fetch_candidates` since its watermark), then reads
`mention_stream().listen()` until the connection drops; the poll also runs every
`--gap-poll-seconds` as the gap filler. Mentions are injected at a steady rate; K times the fake
`lose`s (every stream dropped, events discarded until the next connect): what is published
meanwhile never reaches the stream (X keeps no position for a stream), only the backfill finds it.
Phase 2 (baseline, same run): the poll alone, every `--poll-seconds`. Prints mention-created ->
first seen p50/p95/max for both, how many came by stream and by poll, lost (never seen) and
posts yielded more than once.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from dataclasses import dataclass, field

from pydantic import SecretStr

from xbot.config import AccountSettings
from xbot.domain.intake import StreamDisconnected
from xbot.platforms.x import HttpOptions, OAuth1Credentials, XPlatform, build_x_platform
from xbot.sim.core.server import SimServer
from xbot.sim.core.world import build_world
from xbot.sim.x.fake import FakeX
from xbot.sim.x.settings import XFakeSettings

CREDENTIALS = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")


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
    """The mentions poll with its watermark, shared by the backfill and the gap filler."""

    platform: XPlatform
    seen: Seen
    watermark: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def poll(self) -> None:
        with self.lock:
            batch = self.platform.fetch_candidates(self.watermark)
            for post in batch.posts:
                self.seen.note(post.post_id, stream=False)
            self.watermark = batch.watermark


def consume(platform: XPlatform, poller: Poller, stop: threading.Event) -> None:
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


def inject(fake: FakeX, args: argparse.Namespace, disconnects: int) -> dict[str, float]:
    users = [user.handle for user in fake.world.users if not user.automated]
    count = args.mentions
    gaps = {count * (n + 1) // (disconnects + 1) for n in range(disconnects)}
    created: dict[str, float] = {}
    started = time.monotonic()
    for n in range(count):
        time.sleep(max(0.0, started + n / args.rate - time.monotonic()))
        if n in gaps:
            fake.stream.apply("lose")
        at = time.monotonic()
        post = fake.post_as(users[n % len(users)], f"@replybot question {n}")
        created[post["id"]] = at
    return created


def settle(seen: Seen, created: dict[str, float], limit: float) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        with seen.lock:
            if all(post_id in seen.first for post_id in created):
                return
        time.sleep(0.05)


def quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def run(args: argparse.Namespace, *, streaming: bool) -> tuple[Seen, dict[str, float]]:
    settings = XFakeSettings(stream_keepalive_seconds=1.0, search_delay_seconds=0.0)
    fake = FakeX(build_world(args.seed, user_count=8), settings=settings)
    with SimServer(fake.app) as server:
        account = AccountSettings(platform="x", handle="replybot", base_url=server.base_url)
        raw = fake.credentials()
        credentials = OAuth1Credentials(**{name: SecretStr(raw[name]) for name in CREDENTIALS})
        platform = build_x_platform(account, credentials, http=HttpOptions(read_timeout=20.0))
        poller, stop = Poller(platform, Seen()), threading.Event()
        poller.poll()  # the mentions the world holds already are not part of the run
        poller.seen.first.clear()
        every = args.gap_poll_seconds if streaming else args.poll_seconds
        workers = [threading.Thread(target=gap_filler, args=(poller, stop, every), daemon=True)]
        if streaming:
            workers.append(threading.Thread(target=consume, args=(platform, poller, stop),
                                            daemon=True))  # fmt: skip
        for worker in workers:
            worker.start()
        deadline = time.monotonic() + 10
        while streaming and fake.stream.connected() == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        created = inject(fake, args, args.disconnects if streaming else 0)
        settle(poller.seen, created, every + args.gap_seconds + 20)
        stop.set()
        for worker in workers:
            worker.join(timeout=10)
        fake.stream.drop()
        platform.close()
    return poller.seen, created


def report(name: str, seen: Seen, created: dict[str, float]) -> list[float]:
    values = sorted(seen.first[p] - at for p, at in created.items() if p in seen.first)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=200)
    parser.add_argument("--rate", type=float, default=5.0, help="mentions per second")
    parser.add_argument("--disconnects", type=int, default=5)
    parser.add_argument(
        "--gap-seconds", type=float, default=0.5, help="extra settling time after the run"
    )
    parser.add_argument("--poll-seconds", type=float, default=1.0, help="the baseline's poll")
    parser.add_argument(
        "--gap-poll-seconds", type=float, default=5.0, help="the gap filler beside the stream"
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(
        f"{args.mentions} mentions at {args.rate}/s, {args.disconnects} disconnects losing "
        "their events to the stream"
    )
    stream_seen, stream_created = run(args, streaming=True)
    streamed = report("stream", stream_seen, stream_created)
    poll_seen, poll_created = run(args, streaming=False)
    polled = report(f"poll {args.poll_seconds:g}s", poll_seen, poll_created)
    if streamed and polled:
        ratio = statistics.median(polled) / statistics.median(streamed)
        print(f"median mention -> seen: the poll takes {ratio:.0f}x as long as the stream")


if __name__ == "__main__":
    main()
