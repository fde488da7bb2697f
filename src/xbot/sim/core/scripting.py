"""What every fake offers a test or the demo from Python: post as anyone, ghosts, faults, serving.

A fake subclasses `ScriptedFake` and provides `app`, `parts`, `clock`, `world`, `create_post`
and `list_posts` (the admin API's `SimBackend` half).
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp

from xbot.sim.core.admin import FakeParts
from xbot.sim.core.clock import SimClock
from xbot.sim.core.faults import Fault, FaultKind
from xbot.sim.core.request_log import LoggedRequest
from xbot.sim.core.server import SimServer
from xbot.sim.core.transport import ASGIBridgeTransport
from xbot.sim.core.world import World


class ScriptedFake:
    """Conveniences shared by the fake X, Bluesky and Mastodon."""

    app: ASGIApp
    parts: FakeParts
    clock: SimClock
    world: World

    def create_post(
        self, *, author: str, text: str, in_reply_to: str | None, quote_of: str | None
    ) -> dict[str, Any]:
        """Create a post as `author` (the fake's own implementation)."""
        raise NotImplementedError

    def list_posts(self, author: str) -> list[dict[str, Any]]:
        """Every post of `author` (the fake's own implementation)."""
        raise NotImplementedError

    def bot_handle(self, bot: str | None = None) -> str:
        """Return the handle a bot account posts under (default: the first bot)."""
        return bot or self.world.bot_accounts[0].handle

    def post_as(
        self, author: str, text: str, *, in_reply_to: str | None = None, quote_of: str | None = None
    ) -> dict[str, Any]:
        """Create a post as any user (a mention of the bot, a reply, a quote)."""
        return self.create_post(
            author=author, text=text, in_reply_to=in_reply_to, quote_of=quote_of
        )

    def ghost(
        self, text: str, *, bot: str | None = None, in_reply_to: str | None = None
    ) -> dict[str, Any]:
        """Post as a bot account outside xbot (a ghost)."""
        return self.post_as(self.bot_handle(bot), text, in_reply_to=in_reply_to)

    def posts_of(self, handle: str) -> list[dict[str, Any]]:
        """Every post of one user, as `GET /_sim/posts?author=` lists them."""
        return self.list_posts(handle)

    def inject(self, endpoint: str, kind: FaultKind, **options: Any) -> Fault:
        """Arm a fault on one endpoint, e.g. `POST /2/tweets` (see `xbot.sim.core.faults`)."""
        return self.parts.faults.add(Fault(endpoint=endpoint, kind=kind, **options))

    def clear_faults(self) -> None:
        """Disarm every fault."""
        self.parts.faults.clear()

    def requests(self, method: str | None = None, path: str | None = None) -> list[LoggedRequest]:
        """Return the request log, optionally filtered."""
        return self.parts.log.entries(method=method, path=path)

    def advance(self, seconds: float) -> None:
        """Move the fake clock forward."""
        self.clock.advance(seconds)

    def transport(self) -> ASGIBridgeTransport:
        """Return an in-process httpx2 transport to this fake."""
        return ASGIBridgeTransport(self.app)

    def server(self, host: str = "127.0.0.1", port: int = 0) -> SimServer:
        """Return a loopback server for this fake (start it, or use it as a context manager)."""
        return SimServer(self.app, host=host, port=port)
