"""Mastodon for tests and the demo: the third-party `mastodon-mock`, plus the little it lacks.

mastodon-mock (PyPI, a stateful Mastodon API written by others) serves the REST API itself:
verify_credentials, statuses with `Idempotency-Key`, mention notifications, account statuses,
`Link` paging, instance configuration. Around it this module adds only what xbot needs and it
lacks (each is ours, and named so in the tests):

- the sim core's fault injection, so "accepted, then the client timed out" commits the status
  and then holds or drops the answer (mastodon-mock's own `timeout` fault delays *before*
  the handler runs, so nothing is committed);
- Mastodon's rate-limit headers with an ISO 8601 reset on aligned windows (`limits`);
- the request log and the shared `/_sim/` admin API (faults, posts as anyone incl. ghosts,
  requests, world, reset), and a seeded world: every world user is an account with a token;
- the streaming API over websocket and server-sent events (`streaming`): every event
  mastodon-mock streams, e.g. a mention's notification, reaches open `user:notification`
  streams, through stream faults (`fake.stream.add_fault(StreamFault(kind="gap"))`, or
  `POST /_sim/stream/faults`).

    fake = FakeMastodon(build_world(seed=7))     # bot account "replybot" (bot: true)
    token = fake.credentials()["access_token"]
    fake.post_as("ann", "@replybot hi")          # a mention, notified at once
    fake.ghost("posted outside xbot")            # the bot posts without xbot
    fake.inject("POST /api/v1/statuses", "accept_then_timeout", seconds=5)
    with fake.server() as server: ...            # 127.0.0.1; or fake.transport() in process

Needs the dev dependency `mastodon-mock` (imported when a FakeMastodon is built).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx2
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from xbot.sim.core.admin import ADMIN_PREFIX, FakeParts, admin_routes
from xbot.sim.core.clock import SimClock
from xbot.sim.core.faults import FaultMiddleware
from xbot.sim.core.request_log import RequestLogMiddleware
from xbot.sim.core.scripting import ScriptedFake
from xbot.sim.core.streams import StreamHub, stream_admin_routes
from xbot.sim.core.traffic import Traffic
from xbot.sim.core.transport import ASGIBridgeTransport
from xbot.sim.core.unicode import WellFormedJsonBodies
from xbot.sim.core.world import World, build_world
from xbot.sim.mastodon.board import MastodonBoard
from xbot.sim.mastodon.limits import MastodonLimit, MastodonRateLimits, mastodon_error
from xbot.sim.mastodon.oauth import MastodonOAuth
from xbot.sim.mastodon.streaming import SSE_STREAMS, EventTap, MastodonStreaming


@dataclass(kw_only=True, slots=True)
class MastodonFakeSettings:
    """Limits and traffic of the fake Mastodon (published defaults, platform-facts §3.4)."""

    requests: MastodonLimit = field(default_factory=lambda: MastodonLimit(count=300, seconds=300))
    statuses: MastodonLimit = field(
        default_factory=lambda: MastodonLimit(count=300, seconds=3 * 3600)
    )
    #: generated posts per minute of fake time (0: a quiet world)
    traffic_per_minute: float = 0.0
    history_posts_per_bot: int = 3


class FakeMastodon(ScriptedFake):
    """mastodon-mock seeded from the world, wrapped with faults, limits, a log and `/_sim/`."""

    def __init__(
        self,
        world: World | None = None,
        *,
        clock: SimClock | None = None,
        settings: MastodonFakeSettings | None = None,
    ) -> None:
        self.world = world or build_world()
        self.clock = clock or SimClock()
        self.settings = settings or MastodonFakeSettings()
        self.parts = FakeParts(clock=self.clock)
        self.mock_app = _mock_app(self.world, self.token)
        self.stream = StreamHub()
        tap = EventTap(self.mock_app, self.stream)
        tap.detach()  # until a stream opens
        self._inner = ASGIBridgeTransport(self.mock_app)
        self.board = MastodonBoard(
            httpx2.Client(transport=self._inner, base_url="http://mastodon.sim"),
            self.world,
            self.token,
        )
        self.limits = MastodonRateLimits(
            WellFormedJsonBodies(self.mock_app), clock=self.clock,
            requests=lambda: self.settings.requests, statuses=lambda: self.settings.statuses,
        )  # fmt: skip
        # apps and OAuth (ours, in front of the REST fake): `xbot accounts add mastodon`
        self.oauth = MastodonOAuth(self.limits, self.world, self.token)
        self.streaming = MastodonStreaming(self.stream, self._account_of, tap, self._tick)
        self._start = self.clock.now()
        self.traffic = self._traffic()
        admin_api = [*admin_routes(self, self.parts), *stream_admin_routes(self.stream)]
        admin = Starlette(routes=[Mount(ADMIN_PREFIX, routes=admin_api)])
        faulty = FaultMiddleware(
            self._dispatch(admin), book=self.parts.faults, skip_prefix=ADMIN_PREFIX,
            responder=self._error_response,
        )  # fmt: skip
        self.app: ASGIApp = RequestLogMiddleware(
            faulty, log=self.parts.log, clock=self.clock, skip_prefix=ADMIN_PREFIX
        )

    def token(self, handle: str) -> str:
        """Return the access token of a world user (the same for the same seed)."""
        return self.world.secret(f"mastodon-token:{handle.lower()}")

    # --- the SimBackend protocol (admin API) ---

    def create_post(
        self, *, author: str, text: str, in_reply_to: str | None, quote_of: str | None
    ) -> dict[str, Any]:
        """Post as anyone through mastodon-mock itself (no faults, no limits)."""
        return self.board.create(author, text, in_reply_to=in_reply_to, quote_of=quote_of)

    def list_posts(self, author: str) -> list[dict[str, Any]]:
        """Every live status of one user, oldest first (deleted ones are gone on Mastodon)."""
        return self.board.statuses_of(author)

    def reset(self) -> None:
        """Back to the seeded state; faults, limits and the log cleared."""
        self.board.reset()
        self.limits.reset()
        self.oauth.reset()
        self.traffic = self._traffic()
        self.parts.faults.clear()
        self.parts.log.clear()
        self.stream.clear()

    def describe(self) -> dict[str, Any]:
        """Users, bot accounts and their tokens, as JSON-ready data."""
        return {
            "platform": "mastodon",
            "seed": self.world.seed,
            "bot_accounts": [
                {
                    "handle": bot.handle,
                    "account_id": self.board.account_id(bot.handle),
                    "credentials": self.credentials(bot.handle),
                }
                for bot in self.world.bot_accounts
            ],
            "users": [
                {"handle": user.handle, "automated": user.automated} for user in self.world.users
            ],
        }

    # --- conveniences for tests and `xbot demo` ---

    def credentials(self, handle: str | None = None) -> dict[str, str]:
        """Return a bot account's access token (default: the first bot)."""
        return {"access_token": self.token(handle or self.world.bot_accounts[0].handle)}

    def update_profile(self, handle: str, **fields: str) -> dict[str, Any]:
        """Change a user's profile as they would (`note="#nobot"`, `bot="false"`, ...)."""
        return self.board.update_profile(handle, **fields)

    def catch_up(self) -> None:
        """Let the traffic generator post everything due by now (mentions of the bot, ...)."""
        self.traffic.run_until(self.clock.now(), self.board)

    def warm_up(self) -> None:
        """Make the first call of each endpoint xbot uses (mastodon-mock's first ones are slow)."""
        self.board.warm_up(self.world.bot_accounts[0].handle)

    def close(self) -> None:
        """Stop the private transport to mastodon-mock."""
        self.board.close()
        self._inner.close()

    # --- helpers ---

    def _traffic(self) -> Traffic:
        traffic = Traffic(
            self.world, start=self._start, posts_per_minute=self.settings.traffic_per_minute
        )
        traffic.seed_history(
            self.board, before=self._start, per_bot=self.settings.history_posts_per_bot
        )
        return traffic

    def _error_response(self, status: int, scope: Scope) -> Response:
        del scope
        return mastodon_error(status, self.clock)

    def _tick(self) -> None:
        if self.settings.traffic_per_minute > 0:
            self.catch_up()

    async def _account_of(self, token: str) -> str | None:
        """Return the mastodon-mock account id a token acts for (seeded or issued by OAuth)."""
        handle = self.oauth.handle_of(token) or next(
            (user.handle for user in self.world.everyone if self.token(user.handle) == token), None
        )
        return None if handle is None else await asyncio.to_thread(self.board.account_id, handle)

    def _dispatch(self, admin: ASGIApp) -> ASGIApp:
        async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "websocket":
                await self.streaming(scope, receive, send)
                return
            if scope["type"] == "http" and scope["path"].rstrip("/") in SSE_STREAMS:
                await self.streaming.sse(scope, receive, send)
                return
            if scope["type"] == "http" and scope["path"].startswith(ADMIN_PREFIX):
                await admin(scope, receive, send)
                return
            if scope["type"] == "http" and self.settings.traffic_per_minute > 0:
                await asyncio.to_thread(self.catch_up)
            await self.oauth(scope, receive, send)

        return dispatch


def _mock_app(world: World, token: Any) -> ASGIApp:
    from mastodon_mock.app import create_app  # noqa: PLC0415 - heavy (FastAPI), loaded on use
    from mastodon_mock.config import (  # noqa: PLC0415
        DatabaseConfig,
        MastodonMockConfig,
        SeedAccount,
        SeedConfig,
        StreamingConfig,
    )

    accounts = [
        SeedAccount(
            username=user.handle,
            display_name=user.name,
            note=user.description,
            bot=user.automated,
            access_token=token(user.handle),
        )
        for user in world.everyone
    ]
    config = MastodonMockConfig(
        database=DatabaseConfig(path=":memory:"),
        seed=SeedConfig(accounts=accounts),
        streaming=StreamingConfig(enabled=True),
    )
    app: ASGIApp = create_app(config)
    return app
