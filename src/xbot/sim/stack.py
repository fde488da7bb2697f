"""Run every fake platform on loopback with one world and one clock (`xbot sim serve`, the demo).

    with SimStack(ServeOptions(seed=3, speed=60)) as stack:
        stack.describe()          # base URLs, bot accounts, credentials, an xbot account config
        stack.fakes["x"].fake     # the FakeX, for ghosts and faults from Python

Fakes: X, Bluesky, Mastodon (mastodon-mock) and the OpenAI-compatible endpoint, on consecutive
ports from `port` (or on free ports). The description's `accounts` are `AccountSettings`-shaped
(credentials name environment variables) and `env` holds those variables' values, so a script
can export `env` and write `accounts` into xbot.toml; `llm` is the `[llm]` section for the
fake model, `bluesky` the `[bluesky]` section naming the fake Jetstream.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, Self

from starlette.types import ASGIApp

from xbot.sim.core.clock import SimClock
from xbot.sim.core.server import SimServer
from xbot.sim.core.world import World, build_world

#: where each fake's admin API lives, when not under the shared /_sim
ADMIN_PATHS = {"openai": "/_sim/openai"}
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
            admin_url = base_url + ADMIN_PATHS.get(name, "/_sim")
            fakes[name] = {"base_url": base_url, "admin_url": admin_url, **description}
            for bot in description.get("bot_accounts", []):
                account, values = account_config(name, base_url, bot)
                if account:
                    accounts.append(account)
                    env.update(values)
        description = {
            "seed": self.options.seed,
            "speed": self.options.speed,
            "now": self.clock.now().isoformat(),
            "fakes": fakes,
            "accounts": accounts,
            "env": env,
        }
        if "bluesky" in fakes:  # the fake Jetstream, on the fake Bluesky's port ([bluesky])
            jetstream = "ws" + fakes["bluesky"]["base_url"].removeprefix("http")
            fakes["bluesky"]["jetstream_url"] = jetstream
            description["bluesky"] = {"jetstream_url": jetstream}
        if "openai" in fakes:  # settings for the `llm` generator (LlmSettings)
            env["SIM_OPENAI_API_KEY"] = fakes["openai"]["api_key"]
            llm_url = fakes["openai"]["base_url"] + "/v1"
            description["llm"] = {"base_url": llm_url, "api_key_env": "SIM_OPENAI_API_KEY"}
        return description


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
    elif platform == "mastodon":
        handle = bot["handle"]
        variable = f"SIM_MASTODON_{handle.upper()}_ACCESS_TOKEN"
        names, values = {"access_token": variable}, {variable: credentials["access_token"]}
    else:
        return {}, {}
    account = {"platform": platform, "handle": handle, "base_url": base_url, "credentials": names}
    return account, values


def _fake_x(world: World, clock: SimClock, traffic: float) -> ServedFake:
    from xbot.sim.x.fake import FakeX  # noqa: PLC0415 - loaded only when served
    from xbot.sim.x.settings import XFakeSettings  # noqa: PLC0415 - loaded only when served

    return FakeX(world, clock=clock, settings=XFakeSettings(traffic_per_minute=traffic))


def _fake_bluesky(world: World, clock: SimClock, traffic: float) -> ServedFake:
    from xbot.sim.bluesky.fake import FakeBluesky  # noqa: PLC0415
    from xbot.sim.bluesky.settings import BlueskyFakeSettings  # noqa: PLC0415

    return FakeBluesky(world, clock=clock, settings=BlueskyFakeSettings(traffic_per_minute=traffic))


def _fake_mastodon(world: World, clock: SimClock, traffic: float) -> ServedFake:
    from xbot.sim.mastodon.fake import FakeMastodon, MastodonFakeSettings  # noqa: PLC0415

    settings = MastodonFakeSettings(traffic_per_minute=traffic)
    fake = FakeMastodon(world, clock=clock, settings=settings)
    fake.warm_up()
    return fake


class _FakeOpenAI:
    """The OpenAI-compatible endpoint (xbot.sim.openai.api) with a key from the world."""

    def __init__(self, world: World) -> None:
        from xbot.sim.openai.api import MODELS, create_app  # noqa: PLC0415

        self.api_key = "sk-sim-" + world.secret("openai:api_key", 32)
        self.models = list(MODELS)
        self.app: ASGIApp = create_app(seed=world.seed, api_key=self.api_key)

    def describe(self) -> dict[str, Any]:
        return {"platform": "openai", "api_key": self.api_key, "models": self.models}


def _fake_openai(world: World, clock: SimClock, traffic: float) -> ServedFake:
    del clock, traffic  # the model's answers depend on the prompt and the seed only
    return _FakeOpenAI(world)


#: the fakes `xbot sim serve` runs, in port order
FACTORIES: dict[str, Callable[[World, SimClock, float], ServedFake]] = {
    "x": _fake_x,
    "bluesky": _fake_bluesky,
    "mastodon": _fake_mastodon,
    "openai": _fake_openai,
}


class StopSignals:
    """Catches SIGINT and SIGTERM from construction on, so no signal is lost before wait()."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: self._stop.set())

    def wait(self) -> None:
        """Block the main thread until a signal arrives."""
        while not self._stop.wait(0.5):
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
        if "jetstream_url" in fake:
            lines.append(f"  jetstream_url = {fake['jetstream_url']}   ([bluesky])")
        if "api_key" in fake:
            lines.append(
                f"  api_key = {fake['api_key']}   ([llm] base_url = {fake['base_url']}/v1)"
            )
    lines.append("environment for the accounts above:")
    lines.extend(f"  export {key}={value}" for key, value in description["env"].items())
    return "\n".join(lines) + "\n"
