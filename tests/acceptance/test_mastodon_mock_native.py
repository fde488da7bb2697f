"""The Mastodon adapter against mastodon-mock exactly as its authors ship it (no wrapper of ours).

This proves the adapter speaks to a Mastodon API written by others: its own seed, its own
`MockServer` on loopback, its own fault control plane (`/api/v1/_mock/faults`) and its own
opt-in rate limiter, which sends an epoch `X-RateLimit-Reset` (real Mastodon: ISO 8601; the
adapter reads both).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx2
import pytest
from mastodon_mock.config import (
    DatabaseConfig,
    MastodonMockConfig,
    RateLimitConfig,
    SeedAccount,
    SeedConfig,
    StreamingConfig,
)
from mastodon_mock.testing.server import MockServer
from pydantic import SecretStr

from xbot.config import AccountSettings
from xbot.domain.errors import BadResponse, RateLimited, Transient
from xbot.domain.posts import ReplyTarget
from xbot.platforms.http import HttpOptions
from xbot.platforms.mastodon import MastodonPlatform, build_mastodon_platform

BOT_TOKEN = "replybot-token"  # a fixture of the mock server, not a credential
ANN_TOKEN = "ann-token"


def config(ratelimit: RateLimitConfig | None = None) -> MastodonMockConfig:
    seed = SeedConfig(
        accounts=[
            SeedAccount(username="replybot", bot=True, access_token=BOT_TOKEN),
            SeedAccount(username="ann", access_token=ANN_TOKEN),
        ]
    )
    return MastodonMockConfig(
        database=DatabaseConfig(path=":memory:"),
        seed=seed,
        streaming=StreamingConfig(enabled=False),
        ratelimit=ratelimit or RateLimitConfig(),
    )


@pytest.fixture
def server() -> Iterator[MockServer]:
    with MockServer(config=config()) as running:
        yield running


def platform_for(server: MockServer) -> MastodonPlatform:
    account = AccountSettings(platform="mastodon", handle="replybot", base_url=server.base_url)
    return build_mastodon_platform(
        account, SecretStr(BOT_TOKEN), http=HttpOptions(read_timeout=20.0)
    )


def mention(server: MockServer, text: str) -> str:
    answer = httpx2.post(
        server.base_url + "/api/v1/statuses",
        json={"status": f"@replybot {text}"},
        headers={"Authorization": f"Bearer {ANN_TOKEN}"},
    )
    answer.raise_for_status()
    return str(answer.json()["id"])


def test_mentions_replies_and_idempotent_retries(server: MockServer) -> None:
    platform = platform_for(server)
    try:
        assert platform.whoami()[1] == "replybot"
        status_id = mention(server, "how do I start?")
        batch = platform.fetch_candidates(None)
        assert [post.post_id for post in batch.posts] == [status_id]
        target = ReplyTarget(post_id=status_id, author_handle="ann")
        first = platform.publish_reply(target, "@ann read the docs", "pmt_native")
        again = platform.publish_reply(target, "@ann read the docs", "pmt_native")
        assert again.post_id == first.post_id
        replies = [post for post in platform.own_recent_posts() if post.in_reply_to_post_id]
        assert [post.post_id for post in replies] == [first.post_id]
        assert replies[0].text == "@ann read the docs"
        assert platform.text_limit() == 500
    finally:
        platform.close()


def test_the_mocks_own_faults_map_to_our_errors(server: MockServer) -> None:
    platform = platform_for(server)
    try:
        platform.whoami()
        ratelimit = server.fault(path="/api/v1/notifications", type="ratelimit", count=1)
        with ratelimit, pytest.raises(RateLimited) as limited:
            platform.fetch_candidates(None)
        assert limited.value.reset_at is not None
        assert limited.value.reset_at > datetime.now(UTC)
        unavailable = server.fault(path="/api/v1/notifications", status=503, count=1)
        with unavailable, pytest.raises(Transient):
            platform.fetch_candidates(None)
        malformed = server.fault(path="/api/v1/notifications", type="malformed", count=1)
        with malformed, pytest.raises(BadResponse):
            platform.fetch_candidates(None)
    finally:
        platform.close()


def test_the_mocks_rate_limiter_is_honoured_with_its_epoch_reset() -> None:
    limited_config = config(RateLimitConfig(enabled=True, limit=2, window_seconds=300))
    with MockServer(config=limited_config) as server:
        platform = platform_for(server)
        try:
            platform.whoami()
            platform.fetch_candidates(None)
            with pytest.raises(RateLimited) as limited:
                platform.fetch_candidates(None)
            state = platform.rate_limits()["GET /api/v1/notifications"]
            assert (state.limit, state.remaining) == (2, 0)
            assert limited.value.reset_at == state.reset_at
        finally:
            platform.close()
