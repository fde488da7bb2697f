"""Run every fake platform on loopback with one world and one clock (`xbot sim serve`, the demo).

    with SimStack(ServeOptions(seed=3, speed=60)) as stack:
        stack.describe()          # base URLs, bot accounts, credentials, an xbot account config
        stack.fakes["x"].fake     # the FakeX, for ghosts and faults from Python

The description's `accounts` are `AccountSettings`-shaped (credentials name environment
variables) and `env` holds those variables' values, so a script can export `env` and write
`accounts` into xbot.toml.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, Self

from starlette.types import ASGIApp

from xbot.sim.clock import SimClock
from xbot.sim.server import SimServer
from xbot.sim.world import World, build_world

#: the OAuth 1.0a credential names the X adapter reads (xbot.platforms.x.credentials)
X_CREDENTIALS = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")


class ServedFake(Protocol):
    """What a fake offers the stack."""

    app: ASGIApp

    def describe(self) -> dict[str, Any]:
        """Users, bot accounts and credentials as JSON-ready data."""
        ...


@dataclass(frozen=True, kw_only=True, slots=True)
class ServeOptions:
    """Where and how the fakes run."""

    host: str = "127.0.0.1"
    #: the X fake's port; the next fakes take the following ports; 0 picks free ports
    port: int = 0
    seed: int = 0
    #: fake seconds per real second
    speed: float = 1.0
    bots: tuple[str, ...] = ("replybot",)
    #: generated posts per fake minute on each platform
    traffic_per_minute: float = 1.0


@dataclass(kw_only=True, slots=True)
class Running:
    """One fake and the server that serves it."""

    name: str
    fake: Any
    server: SimServer


@dataclass(kw_only=True)
class SimStack:
    """Every fake, sharing one world and one clock, each on its own loopback port."""

    options: ServeOptions
    world: World = field(init=False)
    clock: SimClock = field(init=False)
    fakes: dict[str, Running] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.world = build_world(self.options.seed, bot_handles=self.options.bots)
        self.clock = SimClock(speed=self.options.speed)

    def start(self) -> Self:
        """Build and start every fake; stop those already started if one fails."""
        try:
            for index, (name, factory) in enumerate(FACTORIES.items()):
                port = self.options.port + index if self.options.port else 0
                fake = factory(self.world, self.clock, self.options.traffic_per_minute)
                server = SimServer(fake.app, host=self.options.host, port=port).start()
                self.fakes[name] = Running(name=name, fake=fake, server=server)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every server."""
        for running in self.fakes.values():
            running.server.stop()
        self.fakes.clear()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def describe(self) -> dict[str, Any]:
        """Return base URLs, bot accounts, credentials and a ready xbot account config."""
        fakes: dict[str, Any] = {}
        accounts: list[dict[str, Any]] = []
        env: dict[str, str] = {}
        for name, running in self.fakes.items():
            base_url = running.server.base_url
            description = running.fake.describe()
            fakes[name] = {"base_url": base_url, "admin_url": base_url + "/_sim", **description}
            for bot in description.get("bot_accounts", []):
                account, values = account_config(name, base_url, bot)
                if account:
                    accounts.append(account)
                    env.update(values)
        return {
            "seed": self.options.seed,
            "speed": self.options.speed,
            "now": self.clock.now().isoformat(),
            "fakes": fakes,
            "accounts": accounts,
            "env": env,
        }


def account_config(
    platform: str, base_url: str, bot: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return an AccountSettings-shaped entry for one bot account and its variables."""
    credentials = bot.get("credentials", {})
    if platform == "x":
        handle = bot["handle"]
        names = {key: f"SIM_X_{handle.upper()}_{key.upper()}" for key in X_CREDENTIALS}
        values = {names[key]: credentials[key] for key in X_CREDENTIALS}
    elif platform == "bluesky":
        handle = credentials["identifier"]
        variable = f"SIM_BLUESKY_{bot['world_handle'].upper()}_APP_PASSWORD"
        names, values = {"app_password": variable}, {variable: credentials["password"]}
    else:
        return {}, {}
    account = {"platform": platform, "handle": handle, "base_url": base_url, "credentials": names}
    return account, values


def _fake_x(world: World, clock: SimClock, traffic: float) -> ServedFake:
    from xbot.sim.x_fake import FakeX, XFakeSettings  # noqa: PLC0415 - loaded only when served

    return FakeX(world, clock=clock, settings=XFakeSettings(traffic_per_minute=traffic))


def _fake_bluesky(world: World, clock: SimClock, traffic: float) -> ServedFake:
    from xbot.sim.bluesky_fake import BlueskyFakeSettings, FakeBluesky  # noqa: PLC0415

    return FakeBluesky(world, clock=clock, settings=BlueskyFakeSettings(traffic_per_minute=traffic))


#: the fakes `xbot sim serve` runs, in port order
FACTORIES: dict[str, Callable[[World, SimClock, float], ServedFake]] = {
    "x": _fake_x,
    "bluesky": _fake_bluesky,
}


def wait_for_signal() -> None:
    """Block until SIGINT or SIGTERM (the main thread's way to run until stopped)."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass


def describe_text(description: dict[str, Any]) -> str:
    """Return the description for a person: one block per fake, credentials included."""
    seed, speed = description["seed"], description["speed"]
    lines = [
        f"xbot sim: fake platforms on loopback (seed {seed}, speed {speed}x). Ctrl-C stops them."
    ]
    for name, fake in description["fakes"].items():
        lines.append(f"{name:<8} {fake['base_url']}   admin {fake['admin_url']}")
        for bot in fake.get("bot_accounts", []):
            lines.append(f"  @{bot['handle']}")
            credentials = bot.get("credentials", {})
            lines.extend(f"    {key} = {value}" for key, value in credentials.items())
    lines.append("environment for the accounts above:")
    lines.extend(f"  export {key}={value}" for key, value in description["env"].items())
    return "\n".join(lines) + "\n"
