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

from pydantic import SecretStr

from stream_watch import Poller, Seen, consume, gap_filler, report, settle
from xbot.config import AccountSettings
from xbot.platforms.x import HttpOptions, OAuth1Credentials, build_x_platform
from xbot.sim.core.server import SimServer
from xbot.sim.core.world import build_world
from xbot.sim.x.fake import FakeX
from xbot.sim.x.settings import XFakeSettings

CREDENTIALS = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")


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
