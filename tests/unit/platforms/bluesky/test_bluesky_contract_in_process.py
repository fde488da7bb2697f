"""The Bluesky adapter's contract, in process through the ASGI bridge transport (no sockets)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from bluesky_contract import BlueskyContract, EndpointFor

from xbot.sim.bluesky.fake import FakeBluesky


@contextlib.contextmanager
def _in_process(fake: FakeBluesky) -> Iterator[tuple[str, Any]]:
    transport = fake.transport()
    try:
        yield "http://bsky.sim", transport
    finally:
        transport.close()


class TestInProcess(BlueskyContract):
    @pytest.fixture
    def endpoint_for(self) -> EndpointFor:
        return _in_process
