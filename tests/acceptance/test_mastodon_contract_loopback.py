"""The Mastodon adapter's contract over a real socket: mastodon-mock (PyPI) under uvicorn.

The third-party fake serves the API; our wrapper adds fault injection, ISO rate-limit headers
and the request log (see `unit.platforms.mastodon.mastodon_contract` for which test needs which).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from unit.platforms.mastodon.mastodon_contract import EndpointFor, MastodonContract
from xbot.sim.mastodon.fake import FakeMastodon


class TestLoopback(MastodonContract):
    @pytest.fixture
    def endpoint_for(self) -> EndpointFor:
        @contextlib.contextmanager
        def loopback(fake: FakeMastodon) -> Iterator[tuple[str, Any]]:
            with fake.server() as server:
                yield server.base_url, None

        return loopback
