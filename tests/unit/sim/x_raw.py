"""Raw HTTP access to the fake X, signed with oauthlib directly (independent of the adapter)."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx2
from oauthlib.oauth1 import Client as OAuth1Client

from xbot.sim.core.clock import SimClock
from xbot.sim.core.world import build_world
from xbot.sim.x.fake import FakeX
from xbot.sim.x.settings import XFakeSettings

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class OAuth1(httpx2.Auth):
    def __init__(self, credentials: dict[str, str]) -> None:
        self.client = OAuth1Client(
            credentials["consumer_key"],
            client_secret=credentials["consumer_secret"],
            resource_owner_key=credentials["access_token"],
            resource_owner_secret=credentials["access_token_secret"],
        )

    def auth_flow(
        self, request: httpx2.Request
    ) -> Generator[httpx2.Request, httpx2.Response, None]:
        _, headers, _ = self.client.sign(str(request.url), request.method)
        request.headers["Authorization"] = headers["Authorization"]
        yield request


@dataclass
class RawX:
    fake: FakeX
    clock: SimClock

    @classmethod
    def make(cls, **settings: object) -> RawX:
        clock = SimClock(start=START, speed=0)
        options = {"search_delay_seconds": 0.0, **settings}
        return cls(
            fake=FakeX(build_world(11), clock=clock, settings=XFakeSettings(**options)), clock=clock
        )  # type: ignore[arg-type]

    @property
    def creds(self) -> dict[str, str]:
        return self.fake.credentials()

    @property
    def bot_id(self) -> str:
        return self.fake.bot().user_id

    def client(self, auth: str | None = "oauth1") -> httpx2.Client:
        headers = {}
        signer: httpx2.Auth | None = None
        if auth == "oauth1":
            signer = OAuth1(self.creds)
        elif auth == "oauth2":
            headers["Authorization"] = "Bearer " + self.creds["oauth2_access_token"]
        elif auth == "bearer":
            headers["Authorization"] = "Bearer " + self.creds["bearer_token"]
        return httpx2.Client(
            transport=self.fake.transport(), base_url="http://x.sim", auth=signer, headers=headers
        )

    def user(self, index: int = 0) -> str:
        return [u.handle for u in self.fake.world.users if not u.automated][index]
