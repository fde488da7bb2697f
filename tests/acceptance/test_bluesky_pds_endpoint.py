"""An account hosted on its own PDS: the login at base_url, every other call at the PDS its DID
document names. Two loopback ports: an entryway that hosts no repository, and the PDS."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from xbot.config import AccountSettings
from xbot.domain.errors import ForbiddenByPolicy
from xbot.domain.posts import ReplyTarget
from xbot.platforms.bluesky import BlueskyPlatform, MemorySessionStore, build_bluesky_platform
from xbot.platforms.http import HttpOptions
from xbot.sim.bluesky.fake import FakeBluesky
from xbot.sim.bluesky.settings import BlueskyFakeSettings
from xbot.sim.core.clock import SimClock
from xbot.sim.core.server import SimServer
from xbot.sim.core.world import build_world

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LOGIN = "/xrpc/com.atproto.server.createSession"
REFRESH = "/xrpc/com.atproto.server.refreshSession"


@dataclass
class Host:
    """One loopback host in front of the fake: records the paths it is asked for.

    With `logins_only` it is an entryway that hosts no repository: anything but createSession
    is refused, so a call sent there instead of the PDS fails the test.
    """

    app: ASGIApp
    logins_only: bool = False
    paths: list[str] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.paths.append(scope["path"])
            if self.logins_only and scope["path"] != LOGIN:
                refusal = {"error": "InvalidRequest", "message": "Could not find repo"}
                await JSONResponse(refusal, status_code=400)(scope, receive, send)
                return
        await self.app(scope, receive, send)


@dataclass
class TwoHosts:
    fake: FakeBluesky
    clock: SimClock
    entryway: Host
    pds: Host
    entryway_url: str
    pds_url: str
    store: MemorySessionStore = field(default_factory=MemorySessionStore)
    opened: list[BlueskyPlatform] = field(default_factory=list)

    def platform(self, plc_directory: str | None = None) -> BlueskyPlatform:
        """The bot's adapter; its PLC directory is the PDS host's `/plc` unless told otherwise."""
        creds = self.fake.credentials()
        account = AccountSettings(
            platform="bluesky", handle=creds["identifier"], base_url=self.entryway_url
        )
        platform = build_bluesky_platform(
            account, SecretStr(creds["password"]), self.store,
            http=HttpOptions(read_timeout=1.5), now=self.clock.now,
            plc_directory=plc_directory or self.pds_url + "/plc",
        )  # fmt: skip
        self.opened.append(platform)
        return platform


@pytest.fixture
def hosts() -> Iterator[TwoHosts]:
    clock = SimClock(start=START, speed=0)
    settings = BlueskyFakeSettings(notification_delay_seconds=0, view_delay_seconds=0)
    fake = FakeBluesky(build_world(11), clock=clock, settings=settings)
    entryway, pds = Host(fake.app, logins_only=True), Host(fake.app)
    with SimServer(entryway) as entry_server, SimServer(pds) as pds_server:
        assert entry_server.port != pds_server.port
        fake.configure(pds_endpoint=pds_server.base_url + "/")
        two = TwoHosts(
            fake=fake, clock=clock, entryway=entryway, pds=pds,
            entryway_url=entry_server.base_url, pds_url=pds_server.base_url,
        )  # fmt: skip
        yield two
        for platform in two.opened:
            platform.close()


def test_reads_and_writes_go_to_the_pds_of_the_did_document(hosts: TwoHosts) -> None:
    platform = hosts.platform()
    user = next(u.handle for u in hosts.fake.world.users if not u.is_bot_account)
    mention = hosts.fake.post_as(user, "@replybot where do I start?")
    candidate = next(p for p in platform.fetch_candidates(None).posts if p.post_id == mention["id"])
    target = ReplyTarget(
        post_id=candidate.post_id, author_handle=candidate.author_handle, meta=candidate.meta
    )
    reply = platform.publish_reply(target, "With the tutorial.", "pmt_pds")
    assert platform.own_recent_posts(limit=1)[0].post_id == reply.post_id
    assert platform.lookup_post(reply.post_id) is not None

    assert hosts.entryway.paths == [LOGIN]
    assert {
        "/xrpc/app.bsky.notification.listNotifications",
        "/xrpc/com.atproto.repo.getRecord",
        "/xrpc/com.atproto.repo.createRecord",
        "/xrpc/app.bsky.feed.getAuthorFeed",
    } <= set(hosts.pds.paths)
    assert LOGIN not in hosts.pds.paths
    mine = hosts.fake.posts_of("replybot")[-1]
    assert (mine["id"], mine["in_reply_to"]) == (reply.post_id, mention["id"])
    saved = hosts.store.saved or {}
    assert (saved["service"], saved["pds"]) == (hosts.entryway_url, hosts.pds_url)


def test_a_restart_and_a_refresh_keep_to_the_pds(hosts: TwoHosts) -> None:
    hosts.fake.configure(access_token_seconds=60)
    hosts.platform().whoami()
    again = hosts.platform()  # a restart: the stored session names the PDS
    assert again.own_recent_posts() is not None
    hosts.fake.configure(did_doc=False)  # a refresh answer without a didDoc keeps the PDS
    hosts.clock.advance(61)
    assert again.own_recent_posts() is not None
    assert hosts.entryway.paths == [LOGIN]
    assert hosts.pds.paths.count(REFRESH) == 1
    assert (hosts.store.saved or {})["pds"] == hosts.pds_url


def test_without_a_did_document_the_plc_directory_names_the_pds(hosts: TwoHosts) -> None:
    hosts.fake.configure(did_doc=False)
    platform = hosts.platform()
    assert platform.own_recent_posts() is not None
    assert hosts.entryway.paths == [LOGIN]
    assert hosts.pds.paths[:2] == [
        f"/plc/{hosts.fake.bot().did}",
        "/xrpc/app.bsky.feed.getAuthorFeed",
    ]
    assert (hosts.store.saved or {})["pds"] == hosts.pds_url


def test_an_unresolvable_did_keeps_every_call_at_base_url(hosts: TwoHosts) -> None:
    hosts.fake.configure(did_doc=False)
    platform = hosts.platform(plc_directory=hosts.entryway_url + "/plc")  # refuses: no document
    with pytest.raises(ForbiddenByPolicy, match="Could not find repo"):
        platform.own_recent_posts()
    did = hosts.fake.bot().did
    assert hosts.entryway.paths == [LOGIN, f"/plc/{did}", "/xrpc/app.bsky.feed.getAuthorFeed"]
    assert hosts.pds.paths == []
    assert "pds" not in (hosts.store.saved or {})
