"""Bluesky intake through Jetstream vs the notification poll, against the fake over loopback.

    python bench/bluesky_jetstream.py --mentions 300 --rate 20 --disconnects 5

Phase 1 (stream): a consumer thread does what the intake supervisor does for one account:
on every (re)connect it backfills with the poll (`fetch_candidates`), then reads
`mention_stream().listen(cursor)` until the connection drops; the poll also runs every
`--gap-poll-seconds` as the gap filler (the backfill cannot see posts younger than the AppView's
notification lag). Mentions are injected at a steady
rate; K times the fake drops every connection and loses the events published until the consumer
is back (only the backfill can recover them). Phase 2 (baseline, same run): the poll alone, every
`--poll-seconds`. Prints mention-created -> first seen p50/p95/max for both, how many came by
stream and by backfill, lost (never seen) and posts the stream yielded more than once (the
resume margin; the intake's insert makes them no-ops).
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

from pydantic import SecretStr

from stream_watch import Seen, report, settle
from xbot.config import AccountSettings
from xbot.domain.intake import StreamDisconnected
from xbot.platforms.bluesky import BlueskyPlatform, MemorySessionStore, build_bluesky_platform
from xbot.platforms.bluesky.stream import JetstreamOptions
from xbot.sim.bluesky.fake import FakeBluesky
from xbot.sim.bluesky.settings import BlueskyFakeSettings
from xbot.sim.core.clock import SimClock
from xbot.sim.core.server import SimServer


def consume(platform: BlueskyPlatform, seen: Seen, stop: threading.Event) -> None:
    watermark: str | None = None
    cursor: str | None = None
    stream = platform.mention_stream()
    while not stop.is_set():
        batch = platform.fetch_candidates(watermark)
        for post in batch.posts:
            seen.note(post.post_id, stream=False)
        watermark = batch.watermark
        try:
            for item in stream.listen(cursor, stop):
                if item.post is not None:
                    seen.note(item.post.post_id, stream=True)
                if item.cursor is not None:
                    cursor = item.cursor
        except StreamDisconnected:
            time.sleep(0.05)


def poll(platform: BlueskyPlatform, seen: Seen, stop: threading.Event, every: float) -> None:
    watermark: str | None = None
    while not stop.wait(every):
        batch = platform.fetch_candidates(watermark)
        for post in batch.posts:
            seen.note(post.post_id, stream=False)
        watermark = batch.watermark


def inject(fake: FakeBluesky, count: int, rate: float, disconnects: int) -> dict[str, float]:
    users = [user.handle for user in fake.world.users if not user.automated]
    drops = {count * (n + 1) // (disconnects + 1) for n in range(disconnects)}
    created: dict[str, float] = {}
    started = time.monotonic()
    for n in range(count):
        time.sleep(max(0.0, started + n / rate - time.monotonic()))
        if n in drops:
            fake.jetstream.drop(lose=True, refuse_seconds=0.3)
        at = time.monotonic()
        post = fake.post_as(users[n % len(users)], f"@replybot question {n}")
        created[post["id"]] = at
    return created


def run(args: argparse.Namespace, *, streaming: bool) -> tuple[Seen, dict[str, float]]:
    settings = BlueskyFakeSettings(notification_delay_seconds=args.notification_delay)
    fake = FakeBluesky(clock=SimClock(), settings=settings)
    with SimServer(fake.app) as server:
        creds = fake.credentials()
        account = AccountSettings(
            platform="bluesky", handle=creds["identifier"], base_url=server.base_url
        )
        jetstream = JetstreamOptions(url="ws" + server.base_url.removeprefix("http"))
        platform = build_bluesky_platform(
            account, SecretStr(creds["password"]), MemorySessionStore(), jetstream=jetstream
        )
        seen, stop = Seen(), threading.Event()
        every = args.gap_poll_seconds if streaming else args.poll_seconds
        workers = [threading.Thread(target=poll, args=(platform, seen, stop, every), daemon=True)]
        if streaming:
            workers.append(
                threading.Thread(target=consume, args=(platform, seen, stop), daemon=True)
            )
        for worker in workers:
            worker.start()
        time.sleep(0.5)
        disconnects = args.disconnects if streaming else 0
        created = inject(fake, args.mentions, args.rate, disconnects)
        settle(seen, created, args.notification_delay + every + 10)
        stop.set()
        for worker in workers:
            worker.join(timeout=10)
        platform.close()
    return seen, created


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=300)
    parser.add_argument("--rate", type=float, default=20.0, help="mentions per second")
    parser.add_argument("--disconnects", type=int, default=5)
    parser.add_argument("--poll-seconds", type=float, default=1.0, help="the baseline's poll")
    parser.add_argument(
        "--gap-poll-seconds", type=float, default=5.0, help="the gap filler beside the stream"
    )
    parser.add_argument(
        "--notification-delay", type=float, default=2.0, help="the fake AppView's lag, seconds"
    )
    args = parser.parse_args()
    print(
        f"{args.mentions} mentions at {args.rate}/s, {args.disconnects} disconnects losing their "
        f"events; fake notification lag {args.notification_delay} s"
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
