"""The posting protocol against the fake X over a real socket (uvicorn on 127.0.0.1).

A reset here is a real TCP reset and "accepted then timeout" a real client read timeout.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from posting_x import EndpointFor, PostingAgainstFakeX
from xbot.sim.core.server import SimServer
from xbot.sim.x.fake import FakeX


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


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Any]:
    from xbot.store.engine import make_engine

    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


class TestPostingLoopback(PostingAgainstFakeX):
    @pytest.fixture
    def endpoint_for(self, served: tuple[_Switch, SimServer]) -> EndpointFor:
        switch, server = served

        @contextlib.contextmanager
        def loopback(fake: FakeX) -> Iterator[tuple[str, Any]]:
            switch.target = fake.app
            yield server.base_url, None

        return loopback
