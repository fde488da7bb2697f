"""The X adapter's contract, in process through the ASGI bridge transport (no sockets)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from x_contract import EndpointFor, XContract

from xbot.sim.x.fake import FakeX


@contextlib.contextmanager
def _in_process(fake: FakeX) -> Iterator[tuple[str, Any]]:
    transport = fake.transport()
    try:
        yield "http://x.sim", transport
    finally:
        transport.close()


class TestInProcess(XContract):
    @pytest.fixture
    def endpoint_for(self) -> EndpointFor:
        return _in_process
