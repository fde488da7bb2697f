"""The fake platform a demo runs against, per platform: how to build it, log in and break it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from xbot.sim.bluesky.fake import FakeBluesky
from xbot.sim.bluesky.settings import BlueskyFakeSettings
from xbot.sim.core.clock import SimClock
from xbot.sim.core.world import World
from xbot.sim.mastodon.fake import FakeMastodon, MastodonFakeSettings
from xbot.sim.x.fake import FakeX
from xbot.sim.x.settings import XFakeSettings

#: generated posts per minute of (real-speed) fake time; a third or so mention a bot
TRAFFIC_PER_MINUTE = 120.0


@dataclass(frozen=True, kw_only=True, slots=True)
class DemoFake:
    """One platform's fake, as the demo needs it."""

    build: Callable[[World, SimClock], Any]
    #: the endpoint a reply is published through, for the accepted-then-timed-out fault
    write_endpoint: str
    #: (fake, bot description) -> (handle xbot uses, credential name -> value)
    login: Callable[[Any, dict[str, Any]], tuple[str, dict[str, str]]]


def _x(world: World, clock: SimClock) -> Any:
    return FakeX(world, clock=clock, settings=XFakeSettings(traffic_per_minute=TRAFFIC_PER_MINUTE))


def _bluesky(world: World, clock: SimClock) -> Any:
    settings = BlueskyFakeSettings(traffic_per_minute=TRAFFIC_PER_MINUTE)
    return FakeBluesky(world, clock=clock, settings=settings)


def _mastodon(world: World, clock: SimClock) -> Any:
    fake = FakeMastodon(
        world, clock=clock, settings=MastodonFakeSettings(traffic_per_minute=TRAFFIC_PER_MINUTE)
    )
    fake.warm_up()
    return fake


def _x_login(_fake: Any, bot: dict[str, Any]) -> tuple[str, dict[str, str]]:
    names = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
    return bot["handle"], {name: bot["credentials"][name] for name in names}


def _bluesky_login(_fake: Any, bot: dict[str, Any]) -> tuple[str, dict[str, str]]:
    credentials = bot["credentials"]
    return credentials["identifier"], {"app_password": credentials["password"]}


def _mastodon_login(_fake: Any, bot: dict[str, Any]) -> tuple[str, dict[str, str]]:
    return bot["handle"], {"access_token": bot["credentials"]["access_token"]}


FAKES: dict[str, DemoFake] = {
    "x": DemoFake(build=_x, write_endpoint="POST /2/tweets", login=_x_login),
    "bluesky": DemoFake(
        build=_bluesky,
        write_endpoint="POST /xrpc/com.atproto.repo.createRecord",
        login=_bluesky_login,
    ),
    "mastodon": DemoFake(
        build=_mastodon, write_endpoint="POST /api/v1/statuses", login=_mastodon_login
    ),
}
