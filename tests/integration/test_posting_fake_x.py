"""The posting protocol against the fake X in process (ASGI bridge), on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from posting_x import EndpointFor, PostingAgainstFakeX
from xbot.sim.x.fake import FakeX


@contextlib.contextmanager
def _in_process(fake: FakeX) -> Iterator[tuple[str, Any]]:
    transport = fake.transport()
    try:
        yield "http://x.sim", transport
    finally:
        transport.close()


class TestPostingInProcess(PostingAgainstFakeX):
    @pytest.fixture
    def endpoint_for(self) -> EndpointFor:
        return _in_process
