"""A demo fake served from a process of its own, so the worker under test does not share its GIL.

A fake in the bench's process (mastodon-mock's FastAPI and database, the fake X's and Bluesky's
handlers, their streams' event loops) competes with the worker for one interpreter lock, and the
bench then measures the fake as much as xbot: a real platform runs elsewhere. The child builds
the platform's demo fake (xbot.demo_fakes), serves it on loopback and posts the mentions the
parent asks for, answering each with the post's id and the time it was made. The fake has no
background traffic: the bench's mentions are all it carries.

    with FakeProcess("mastodon", users=12) as fake:   # a world of 12 users
        fake.base_url, fake.handle, fake.credentials, fake.users, fake.bot_handle
        post_id, created = fake.post_as(fake.users[0], "@replybot hi")
"""

from __future__ import annotations

import contextlib
import multiprocessing
import time
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any, Self

#: seconds the child gets to build its world and start serving
START_SECONDS = 120.0


def _quiet_fake(platform: str, users: int) -> Any:
    """Return the platform's fake without the demo's background traffic (the bench's mentions
    are all it carries: the demo's generated posts read the public timeline on every request,
    which costs mastodon-mock seconds once it holds a few hundred posts)."""
    from xbot.sim.bluesky.fake import FakeBluesky  # noqa: PLC0415 - imported in the child only
    from xbot.sim.bluesky.settings import BlueskyFakeSettings  # noqa: PLC0415
    from xbot.sim.core.clock import SimClock  # noqa: PLC0415
    from xbot.sim.core.world import build_world  # noqa: PLC0415
    from xbot.sim.mastodon.fake import FakeMastodon, MastodonFakeSettings  # noqa: PLC0415
    from xbot.sim.x.fake import FakeX  # noqa: PLC0415
    from xbot.sim.x.settings import XFakeSettings  # noqa: PLC0415

    world, clock = build_world(7, user_count=users), SimClock()
    if platform == "x":
        return FakeX(world, clock=clock, settings=XFakeSettings(traffic_per_minute=0))
    if platform == "bluesky":
        return FakeBluesky(world, clock=clock,
                           settings=BlueskyFakeSettings(traffic_per_minute=0))  # fmt: skip
    fake = FakeMastodon(world, clock=clock, settings=MastodonFakeSettings(traffic_per_minute=0))
    fake.warm_up()
    return fake


def _serve(platform: str, users: int, connection: Connection) -> None:
    from xbot.demo_fakes import FAKES  # noqa: PLC0415 - imported in the child only

    spec = FAKES[platform]
    fake = _quiet_fake(platform, users)
    with fake.server() as server:
        bot = fake.describe()["bot_accounts"][0]
        handle, credentials = spec.login(fake, bot)
        people = [user.handle for user in fake.world.users if not user.automated]
        connection.send({"base_url": server.base_url, "handle": handle,
                         "credentials": credentials, "users": people,
                         "bot_handle": fake.bot_handle()})  # fmt: skip
        while (message := connection.recv()) is not None:
            user, text = message
            post = fake.post_as(user, text)
            connection.send((str(post["id"]), time.time()))


class FakeProcess:
    """The platform's demo fake in a child process, until the `with` block ends."""

    def __init__(self, platform: str, *, users: int = 12) -> None:
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(platform, users, child), daemon=True)
        self._process.start()
        if not self._connection.poll(START_SECONDS):
            self._process.kill()
            raise RuntimeError(f"the fake {platform} did not start within {START_SECONDS:.0f} s")
        started: dict[str, Any] = self._connection.recv()
        self.base_url: str = started["base_url"]
        self.handle: str = started["handle"]
        self.credentials: dict[str, Any] = started["credentials"]
        self.users: list[str] = started["users"]
        self.bot_handle: str = started["bot_handle"]

    def post_as(self, user: str, text: str) -> tuple[str, float]:
        """Post `text` as `user`; return the post's id and when it was made (epoch seconds)."""
        self._connection.send((user, text))
        post_id, created = self._connection.recv()
        return post_id, created

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        with contextlib.suppress(OSError):
            self._connection.send(None)
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()
