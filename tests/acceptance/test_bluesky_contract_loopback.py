"""The Bluesky adapter's contract over a real socket: the fake under uvicorn on 127.0.0.1."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from unit.platforms.bluesky.bluesky_contract import BlueskyContract, EndpointFor
from xbot.sim.bluesky.fake import FakeBluesky
from xbot.sim.core.server import SimServer


class _Switch:
    """One server for the module; each test points it at its own fresh fake."""

    def __init__(self) -> None:
        self.target: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.target is not None
        await self.target(scope, receive, send)


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[_Switch, SimServer]]:
    switch = _Switch()
    with SimServer(switch) as server:
        yield switch, server


class TestLoopback(BlueskyContract):
    @pytest.fixture
    def endpoint_for(self, served: tuple[_Switch, SimServer]) -> EndpointFor:
        switch, server = served

        @contextlib.contextmanager
        def loopback(fake: FakeBluesky) -> Iterator[tuple[str, Any]]:
            switch.target = fake.app
            yield server.base_url, None

        return loopback
