"""The fake Bluesky (PDS + AppView over XRPC): the world, the clock, repositories, sessions, limits.

clock = SimClock(speed=0)                                 # frozen: only advance() moves it
fake = FakeBluesky(build_world(seed=7), clock=clock)      # bot account replybot.bsky.social
creds = fake.credentials("replybot")                      # {"identifier", "password", "did"}
mention = fake.post_as("ann", "@replybot hi")             # any user posts (no auth, no limits)
fake.ghost("posted outside xbot")                         # the bot posts without xbot
fake.inject("POST /xrpc/com.atproto.repo.createRecord", "accept_then_timeout", seconds=5)
client = httpx2.Client(transport=fake.transport(), base_url="http://bsky.sim")
with fake.server() as server: ...                         # the same app on 127.0.0.1

`<URL>/plc/<did>` answers the account's DID document, as https://plc.directory/<did> does.
`ws://<host:port>/subscribe` is the fake Jetstream (every commit; see `jetstream_route`), with
its faults on `fake.jetstream` (`drop`, `pause`, `deliver_twice`, ...) and `/_sim/jetstream`.

The admin API is the shared one under `/_sim/` (faults, posts as anyone incl. ghosts, clock,
requests, world, reset), plus `/_sim/settings`, `/_sim/limits` and `/_sim/revoke`.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

from xbot.sim.bluesky.admin import bluesky_admin_routes
from xbot.sim.bluesky.appview import appview_methods
from xbot.sim.bluesky.auth import BlueskyAuth
from xbot.sim.bluesky.ids import did_for
from xbot.sim.bluesky.jetstream import JetstreamLog
from xbot.sim.bluesky.jetstream_route import jetstream_admin_routes, jetstream_routes
from xbot.sim.bluesky.limits import BlueskyLimits, Verdict, Window
from xbot.sim.bluesky.repo import plc_routes, repo_methods
from xbot.sim.bluesky.settings import BlueskyFakeSettings
from xbot.sim.bluesky.state import (
    PROFILE_COLLECTION,
    THREADGATE_COLLECTION,
    Actor,
    BlueskyStore,
    PostRecord,
    bsky_time,
)
from xbot.sim.bluesky.xrpc import bluesky_routes, bluesky_status_response
from xbot.sim.core.admin import FakeParts, build_fake_app
from xbot.sim.core.clock import SimClock
from xbot.sim.core.scripting import ScriptedFake
from xbot.sim.core.traffic import Traffic
from xbot.sim.core.world import UnknownUserError, World, build_world


class FakeBluesky(ScriptedFake):
    """The fake Bluesky PDS/AppView and its admin surface."""

    def __init__(
        self,
        world: World | None = None,
        *,
        clock: SimClock | None = None,
        settings: BlueskyFakeSettings | None = None,
    ) -> None:
        self.world = world or build_world()
        self.clock = clock or SimClock()
        self.settings = settings or BlueskyFakeSettings()
        suffix = self.settings.handle_suffix
        actors = [
            Actor(user=user, did=did_for(self.world.seed, user.handle), handle=user.handle + suffix)
            for user in self.world.everyone
        ]
        self.store = BlueskyStore(self.world, actors)
        self.parts = FakeParts(clock=self.clock)
        self.jetstream = JetstreamLog(clock=self.clock, capacity=self.settings.jetstream_capacity)
        self.store.on_commit = self.jetstream.publish
        self._lock = threading.Lock()
        self._start = self.clock.now()
        self.auth = BlueskyAuth(
            self.world, self.clock,
            access_seconds=self.settings.access_token_seconds,
            refresh_grace_seconds=self.settings.refresh_grace_seconds,
        )  # fmt: skip
        self.limits = BlueskyLimits()
        self.reset()
        methods = {**repo_methods(), **appview_methods()}
        self.app = build_fake_app(
            [
                *bluesky_routes(self, methods),
                *plc_routes(self),
                *jetstream_routes(self.jetstream, self.catch_up),
            ],
            backend=self,
            parts=self.parts,
            responder=bluesky_status_response(self),
            extra_admin_routes=[
                *bluesky_admin_routes(self),
                *jetstream_admin_routes(self.jetstream),
            ],
        )

    # --- state ---

    def reset(self) -> None:
        """Back to the seeded state: posts, sessions, limits; faults, logs and Jetstream too."""
        with self._lock:
            self.jetstream.reset()
            self.store.clear()
            self.auth.reset()
            self.limits.reset()
            self.traffic = Traffic(
                self.world, start=self._start, posts_per_minute=self.settings.traffic_per_minute
            )
            self.traffic.seed_history(
                self.store, before=self._start, per_bot=self.settings.history_posts_per_bot
            )
        self.parts.faults.clear()
        self.parts.log.clear()

    def configure(self, **changes: Any) -> BlueskyFakeSettings:
        """Change settings while running (delays, token lifetime, duplicate-rkey answer, ...)."""
        with self._lock:
            self.settings = replace(self.settings, **changes)
            self.auth.access_seconds = self.settings.access_token_seconds
            self.auth.refresh_grace_seconds = self.settings.refresh_grace_seconds
            return self.settings

    def catch_up(self) -> None:
        """Let the traffic generator create every post due by now."""
        self.traffic.run_until(self.clock.now(), self.store)

    def create_record(self, actor: Actor, value: dict[str, Any], rkey: str | None) -> PostRecord:
        """Commit a client's record now, under its rkey or a fresh TID."""
        now = self.clock.now()
        return self.store.add(actor.did, rkey or self.store.fresh_rkey(actor.did, now), value, now)

    def consume(self, kind: str, key: str, now: float, cost: int = 1) -> Verdict:
        """Count `cost` points against the limits of `kind` (`ip`, `login`, `write`)."""
        return self.limits.consume(kind, key, now, cost)

    def set_windows(self, kind: str, windows: tuple[Window, ...]) -> None:
        """Override the limit windows of one kind."""
        self.limits.set_windows(kind, windows)

    # --- the SimBackend protocol (admin API) ---

    def create_post(
        self, *, author: str, text: str, in_reply_to: str | None, quote_of: str | None
    ) -> dict[str, Any]:
        """Post as anyone, bypassing auth, limits and validation."""
        self.catch_up()
        actor = self.store.actor(author)
        record = self.store.create_post(
            actor, text, self.clock.now(), lang=actor.user.language,
            in_reply_to=in_reply_to, quote_of=quote_of,
        )  # fmt: skip
        return self.admin_view(record)

    def list_posts(self, author: str) -> list[dict[str, Any]]:
        """Every post of one user, oldest first, deleted ones marked."""
        self.catch_up()
        actor = self.store.actor(author)
        return [self.admin_view(record) for record in self.store.by_author(actor.did)]

    def describe(self) -> dict[str, Any]:
        """Users, bot accounts and their credentials, as JSON-ready data."""
        return {
            "platform": "bluesky",
            "seed": self.world.seed,
            "now": self.clock.now().isoformat(),
            "bot_accounts": [
                {
                    "handle": self.store.actor(bot.handle).handle,
                    "world_handle": bot.handle,
                    "did": self.store.actor(bot.handle).did,
                    "credentials": self.credentials(bot.handle),
                }
                for bot in self.world.bot_accounts
            ],
            "users": [
                {"handle": actor.handle, "did": actor.did, "automated": actor.user.automated}
                for actor in self.store.actors()
                if not actor.user.is_bot_account
            ],
        }

    def admin_view(self, record: PostRecord) -> dict[str, Any]:
        """Return a post as the admin API lists it."""
        return {
            "id": record.uri,
            "author": self.store.actor(record.did).handle,
            "in_reply_to": record.parent_uri,
            "quote_of": record.quote_uri,
            "text": record.text,
            "created_at": bsky_time(record.indexed_at),
            "deleted": record.deleted,
            "cid": record.cid,
            "rkey": record.rkey,
        }

    # --- conveniences for tests, `xbot sim serve` and `xbot demo` ---

    def set_profile(self, handle: str, value: dict[str, Any]) -> None:
        """Replace a user's profile record as they would (e.g. without the `bot` label)."""
        actor = self.store.actor(handle)
        self.store.put_other(actor.did, PROFILE_COLLECTION, "self", value)

    def gate_thread(self, root_uri: str, allow: list[dict[str, Any]] | None) -> None:
        """Put a threadgate on a thread as its root's author would (None: no `allow` at all)."""
        root = self.store.live(root_uri)
        if root is None:
            raise UnknownUserError(f"no post {root_uri}")
        value: dict[str, Any] = {"$type": THREADGATE_COLLECTION, "post": root_uri,
                                 "createdAt": bsky_time(self.clock.now())}  # fmt: skip
        if allow is not None:
            value["allow"] = allow
        self.store.put_other(root.did, THREADGATE_COLLECTION, root.rkey, value)

    def bot_handle(self, bot: str | None = None) -> str:
        """Return a bot account's Bluesky handle (default: the first bot)."""
        return self.bot(bot).handle

    def bot(self, handle: str | None = None) -> Actor:
        """Return a bot account by handle, or the first one."""
        return self.store.actor(handle or self.world.bot_accounts[0].handle)

    def credentials(self, handle: str | None = None) -> dict[str, str]:
        """Return the login of a bot account (default: the first): identifier and app password."""
        actor = self.bot(handle)
        password = self.auth.app_password(actor.user.handle)
        return {"identifier": actor.handle, "password": password, "did": actor.did}
