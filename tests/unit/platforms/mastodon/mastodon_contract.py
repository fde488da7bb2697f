"""The Mastodon adapter's contract against mastodon-mock (a third-party fake).

mastodon-mock serves the API. Where it lacks something xbot needs, `xbot.sim.mastodon.fake`
adds the smallest piece of our own, and the tests that depend on it say so:
- OURS: fault injection with "accepted, then the answer is lost" (mastodon-mock's `timeout`
  fault waits *before* the handler, so nothing would be committed);
- OURS: `X-RateLimit-*` with an ISO 8601 reset on aligned windows (mastodon-mock limits nothing
  by default and sends an epoch reset when asked to).
Run over loopback (tests/acceptance/test_mastodon_contract_loopback.py); a subclass provides
`endpoint_for(fake)`: a context manager yielding (base_url, transport or None).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from xbot.config import AccountSettings
from xbot.domain.errors import (
    Ambiguous,
    AuthFailed,
    BadResponse,
    ForbiddenByPolicy,
    NotFound,
    RateLimited,
    Transient,
)
from xbot.domain.meter import Meter
from xbot.domain.posts import Post, ReplyTarget
from xbot.domain.rate_card import EndpointClass, rate_card
from xbot.platforms.http import HttpOptions
from xbot.platforms.mastodon import FetchOptions, MastodonPlatform, build_mastodon_platform
from xbot.sim.core.clock import SimClock
from xbot.sim.core.world import build_world
from xbot.sim.mastodon.fake import FakeMastodon
from xbot.sim.mastodon.limits import MastodonLimit

START = datetime(2026, 3, 2, 9, 1, 30, tzinfo=UTC)
READ_TIMEOUT = 1.5  # generous: a busy CI machine must not turn a plain read into a timeout
#: mastodon-mock serializes a full page of 40 slowly (seconds on a small machine)
SLOW_PAGES = HttpOptions(read_timeout=20.0)
STATUSES = "/api/v1/statuses"
EndpointFor = Callable[[FakeMastodon], contextlib.AbstractContextManager[tuple[str, Any]]]


@dataclass
class MastodonHarness:
    """mastodon-mock behind our wrapper, our clock frozen, and adapters wired to it."""

    fake: FakeMastodon
    clock: SimClock
    base_url: str
    transport: Any
    opened: list[MastodonPlatform] = field(default_factory=list)

    @property
    def users(self) -> list[str]:
        return [user.handle for user in self.fake.world.users if not user.automated]

    def platform(self, token: str | None = None, **options: Any) -> MastodonPlatform:
        http = options.pop("http", HttpOptions(read_timeout=READ_TIMEOUT))
        visibility = options.pop("visibility", "public")
        account = AccountSettings(
            platform="mastodon", handle="replybot", base_url=self.base_url, visibility=visibility
        )
        platform = build_mastodon_platform(
            account,
            SecretStr(token or self.fake.credentials()["access_token"]),
            http=http,
            transport=self.transport,
            **options,
        )
        self.opened.append(platform)
        return platform

    def mention(self, text: str = "how do I start with python?", author: int = 0) -> dict[str, Any]:
        return self.fake.post_as(self.users[author], f"@replybot {text}")

    def candidate(self, platform: MastodonPlatform, status: dict[str, Any]) -> Post:
        return next(p for p in platform.fetch_candidates(None).posts if p.post_id == status["id"])

    def target(self, post: Post) -> ReplyTarget:
        return ReplyTarget(post_id=post.post_id, author_handle=post.author_handle, meta=post.meta)

    def replies(self) -> list[dict[str, Any]]:
        return [post for post in self.fake.posts_of("replybot") if post["in_reply_to"]]

    def sent(self, method: str, path: str) -> int:
        """Count requests; over a socket the log entry lands just after the answer, so settle."""
        count = -1
        for _ in range(40):
            again = len(self.fake.requests(method=method, path=path))
            if again == count:
                break
            count = again
            time.sleep(0.05)
        return count

    def settle(self) -> None:
        """Wait until no held response (over a socket, still sleeping) is outstanding."""
        deadline = time.monotonic() + READ_TIMEOUT * 10
        while time.monotonic() < deadline and self.sent("POST", STATUSES) == 0:
            time.sleep(0.05)

    def close(self) -> None:
        for platform in self.opened:
            platform.close()
        self.fake.close()


class MastodonContract:
    """Tests every adapter method, error class and fault against mastodon-mock."""

    @pytest.fixture
    def masto(self, endpoint_for: EndpointFor) -> Iterator[MastodonHarness]:
        clock = SimClock(start=START, speed=0)
        fake = FakeMastodon(build_world(11, user_count=8), clock=clock)
        fake.warm_up()
        with endpoint_for(fake) as (base_url, transport):
            harness = MastodonHarness(
                fake=fake, clock=clock, base_url=base_url, transport=transport
            )
            yield harness
            harness.close()

    # --- reads ---

    def test_whoami_names_the_bot_and_asks_once(self, masto: MastodonHarness) -> None:
        platform = masto.platform()
        account_id = masto.fake.board.account_id("replybot")
        assert platform.whoami() == (account_id, "replybot")
        assert platform.whoami() == (account_id, "replybot")
        assert masto.sent("GET", "/api/v1/accounts/verify_credentials") == 1
        assert (platform.name, platform.visibility_grace) == ("mastodon", timedelta(seconds=30))

    def test_candidates_are_mention_notifications_newest_first(
        self, masto: MastodonHarness
    ) -> None:
        platform = masto.platform()
        first = masto.mention("what is <b>python</b> & why?\n\nasking for a friend")
        bot_post = masto.fake.posts_of("replybot")[0]
        reply = masto.fake.post_as(masto.users[1], "@replybot thanks!", in_reply_to=bot_post["id"])
        masto.fake.post_as(masto.users[2], "no mention here")
        batch = platform.fetch_candidates(None)
        assert [post.post_id for post in batch.posts] == [reply["id"], first["id"]]
        assert all(post.summoned for post in batch.posts)
        by_id = {post.post_id: post for post in batch.posts}
        assert by_id[reply["id"]].in_reply_to_post_id == bot_post["id"]
        post = by_id[first["id"]]
        assert post.text == "@replybot what is <b>python</b> & why?\n\nasking for a friend"
        assert (post.author_handle, post.mentions) == (masto.users[0], ("replybot",))
        assert post.author_is_bot is False
        assert batch.watermark is not None

    def test_the_watermark_is_the_newest_notification_id(self, masto: MastodonHarness) -> None:
        platform = masto.platform()
        masto.mention("first")
        batch = platform.fetch_candidates(None)
        assert platform.fetch_candidates(batch.watermark).posts == ()
        assert platform.fetch_candidates(batch.watermark).watermark == batch.watermark
        new = masto.mention("second")
        later = platform.fetch_candidates(batch.watermark)
        assert [post.post_id for post in later.posts] == [new["id"]]
        assert later.watermark != batch.watermark
        masto.sent("GET", "/api/v1/notifications")
        pages = masto.fake.requests(method="GET", path="/api/v1/notifications")
        assert f"since_id={batch.watermark}" in pages[-1].query

    def test_mentions_are_paged_with_a_fixed_since_id(self, masto: MastodonHarness) -> None:
        platform = masto.platform()
        since = platform.fetch_candidates(None).watermark
        ids = [masto.mention(f"q{number}", author=number % 5)["id"] for number in range(45)]
        since = since or "0"
        batch = masto.platform(http=SLOW_PAGES).fetch_candidates(since)
        assert [post.post_id for post in batch.posts] == ids[::-1]
        assert masto.sent("GET", "/api/v1/notifications") == 3
        pages = masto.fake.requests(method="GET", path="/api/v1/notifications")[1:]
        assert all(f"since_id={since}" in page.query for page in pages)
        assert "max_id=" in pages[1].query

    def test_a_fetch_reads_at_most_max_pages(self, masto: MastodonHarness) -> None:
        for number in range(45):
            masto.mention(f"q{number}", author=number % 5)
        platform = masto.platform(fetch=FetchOptions(max_pages=1), http=SLOW_PAGES)
        batch = platform.fetch_candidates(None)
        assert len(batch.posts) == 40

    def test_optional_hashtags_add_posts_that_did_not_mention_us(
        self, masto: MastodonHarness
    ) -> None:
        plain = masto.platform()
        masto.mention("first")
        old_mark = plain.fetch_candidates(None).watermark
        tagged = masto.fake.post_as(masto.users[1], "any #sourdough tips?")
        platform = masto.platform(fetch=FetchOptions(hashtags=("sourdough",)))
        batch = platform.fetch_candidates(old_mark)
        assert [(post.post_id, post.summoned) for post in batch.posts] == [(tagged["id"], False)]
        assert batch.watermark is not None
        assert batch.watermark.startswith('{"notifications":"' + str(old_mark))
        assert f'"sourdough":"{tagged["id"]}"' in batch.watermark
        mention = masto.mention("#sourdough and a mention")
        later = platform.fetch_candidates(batch.watermark)
        assert [(post.post_id, post.summoned) for post in later.posts] == [(mention["id"], True)]
        assert platform.fetch_candidates(later.watermark).posts == ()

    def test_every_call_is_counted_and_costs_nothing(self, masto: MastodonHarness) -> None:
        meter = Meter(rate_card("mastodon"))
        platform = masto.platform(meter=meter)
        target = masto.target(masto.candidate(platform, masto.mention()))
        platform.publish_reply(target, "Start with the tutorial.", "pmt_meter")
        charges = meter.take()
        kinds = [charge.endpoint_class for charge in charges]
        assert kinds.count(EndpointClass.POST_CREATE) == 1
        assert kinds.count(EndpointClass.REQUEST) >= 2  # the account, the mentions
        assert sum(charge.cost_micro for charge in charges) == 0

    def test_own_recent_posts_include_replies_down_to_since(self, masto: MastodonHarness) -> None:
        platform = masto.platform()
        history = masto.fake.posts_of("replybot")
        target = masto.target(masto.candidate(platform, masto.mention()))
        reply = platform.publish_reply(target, "Start with the tutorial.", "pmt_1")
        ghost = masto.fake.ghost("hello from outside")
        posts = platform.own_recent_posts()
        assert [post.post_id for post in posts[:2]] == [ghost["id"], reply.post_id]
        assert posts[1].in_reply_to_post_id == target.post_id
        assert posts[1].text == "Start with the tutorial."
        assert len(posts) == 2 + len(history)
        assert [post.post_id for post in platform.own_recent_posts(since=reply.post_id)] == [
            ghost["id"]
        ]

    def test_own_recent_posts_follow_the_link_header(self, masto: MastodonHarness) -> None:
        for number in range(45):
            masto.fake.ghost(f"post {number}")
        platform = masto.platform(http=SLOW_PAGES)
        assert len(platform.own_recent_posts(limit=100)) == 48
        assert len(platform.own_recent_posts(limit=41)) == 41

    def test_lookup_finds_a_status_and_none_when_missing(self, masto: MastodonHarness) -> None:
        platform = masto.platform()
        mention = masto.mention()
        assert platform.lookup_post(mention["id"]).text == mention["text"]  # type: ignore[union-attr]
        assert platform.lookup_post("12345") is None

    def test_the_instance_text_limit_is_read(self, masto: MastodonHarness) -> None:
        assert masto.platform().text_limit() == 500

    # --- writes ---

    def test_a_reply_uses_the_configured_visibility(self, masto: MastodonHarness) -> None:
        platform = masto.platform(visibility="unlisted")
        target = masto.target(masto.candidate(platform, masto.mention()))
        published = platform.publish_reply(target, f"@{target.author_handle} hi", "pmt_vis")
        (reply,) = masto.replies()
        assert (reply["id"], reply["in_reply_to"]) == (published.post_id, target.post_id)
        assert reply["visibility"] == "unlisted"
        assert published.created_at is not None

    def test_the_same_idempotency_key_returns_the_first_status(
        self, masto: MastodonHarness
    ) -> None:
        platform = masto.platform()
        target = masto.target(masto.candidate(platform, masto.mention()))
        first = platform.publish_reply(target, "once", "pmt_same")
        again = platform.publish_reply(target, "once", "pmt_same")
        other = platform.publish_reply(target, "once", "pmt_other")
        assert again.post_id == first.post_id
        assert other.post_id != first.post_id
        assert len(masto.replies()) == 2

    def test_text_over_the_limit_is_refused_by_policy(self, masto: MastodonHarness) -> None:
        platform = masto.platform()
        target = masto.target(masto.candidate(platform, masto.mention()))
        with pytest.raises(ForbiddenByPolicy) as refused:
            platform.publish_reply(target, "x" * 501, "pmt_long")
        assert refused.value.status == 422
        assert masto.replies() == []

    # --- idempotency: accepted, then the answer is lost (fault injection is OURS) ---

    def test_accepted_then_timed_out_then_retried_makes_exactly_one_post(
        self, masto: MastodonHarness
    ) -> None:
        platform = masto.platform()
        target = masto.target(masto.candidate(platform, masto.mention()))
        masto.fake.inject(f"POST {STATUSES}", "accept_then_timeout", seconds=READ_TIMEOUT * 4)
        with pytest.raises(Ambiguous):
            platform.publish_reply(target, "Start small.", "pmt_retry")
        masto.settle()
        retried = platform.publish_reply(target, "Start small.", "pmt_retry")
        own = [post for post in platform.own_recent_posts() if post.in_reply_to_post_id]
        assert [post.post_id for post in own] == [retried.post_id]

    def test_accepted_then_dropped_then_retried_makes_exactly_one_post(
        self, masto: MastodonHarness
    ) -> None:
        platform = masto.platform()
        target = masto.target(masto.candidate(platform, masto.mention()))
        masto.fake.inject(f"POST {STATUSES}", "accept_then_timeout", drop=True)
        with pytest.raises(Ambiguous):
            platform.publish_reply(target, "Start small.", "pmt_drop")
        retried = platform.publish_reply(target, "Start small.", "pmt_drop")
        assert [post["id"] for post in masto.replies()] == [retried.post_id]

    # --- rate limits (the ISO 8601 headers are OURS) ---

    def test_rate_limit_headers_are_read_with_their_iso_reset(self, masto: MastodonHarness) -> None:
        platform = masto.platform()
        platform.whoami()
        state = platform.rate_limits()["GET /api/v1/accounts/verify_credentials"]
        assert (state.limit, state.remaining) == (300, 299)
        assert state.reset_at == datetime(2026, 3, 2, 9, 5, tzinfo=UTC)

    def test_an_exhausted_window_is_rate_limited_until_its_reset(
        self, masto: MastodonHarness
    ) -> None:
        masto.fake.settings.requests = MastodonLimit(count=2, seconds=300)
        platform = masto.platform()
        platform.whoami()
        platform.fetch_candidates(None)
        with pytest.raises(RateLimited) as limited:
            platform.fetch_candidates(None)
        assert limited.value.reset_at == datetime(2026, 3, 2, 9, 5, tzinfo=UTC)
        masto.clock.advance(210)
        assert platform.fetch_candidates(None).posts == ()

    def test_status_creation_has_its_own_limit(self, masto: MastodonHarness) -> None:
        masto.fake.settings.statuses = MastodonLimit(count=1, seconds=3 * 3600)
        platform = masto.platform()
        target = masto.target(masto.candidate(platform, masto.mention()))
        platform.publish_reply(target, "one", "pmt_a")
        with pytest.raises(RateLimited) as limited:
            platform.publish_reply(target, "two", "pmt_b")
        assert limited.value.reset_at == datetime(2026, 3, 2, 12, 0, tzinfo=UTC)

    # --- faults and error classes ---

    def test_a_bad_token_is_auth_failed_without_the_token(self, masto: MastodonHarness) -> None:
        with pytest.raises(AuthFailed) as failure:
            masto.platform(token="not-a-token-at-all").whoami()
        assert failure.value.status == 401
        assert "not-a-token" not in str(failure.value)

    @pytest.mark.parametrize("status", [500, 502, 503, 504])
    def test_server_errors_are_transient_on_reads_and_ambiguous_on_writes(
        self, masto: MastodonHarness, status: int
    ) -> None:
        platform = masto.platform()
        target = masto.target(masto.candidate(platform, masto.mention()))
        masto.fake.inject("GET /api/v1/notifications", "status", status=status)
        with pytest.raises(Transient):
            platform.fetch_candidates(None)
        masto.fake.inject(f"POST {STATUSES}", "status", status=status)
        with pytest.raises(Ambiguous) as unknown:
            platform.publish_reply(target, "hi", "pmt_5xx")
        assert unknown.value.status == status

    def test_a_missing_reply_target_is_not_found(self, masto: MastodonHarness) -> None:
        platform = masto.platform()
        target = masto.target(masto.candidate(platform, masto.mention()))
        masto.fake.inject(f"POST {STATUSES}", "status", status=404)
        with pytest.raises(NotFound):
            platform.publish_reply(target, "hi", "pmt_404")

    def test_a_reset_is_transient_on_a_read_and_ambiguous_on_a_write(
        self, masto: MastodonHarness
    ) -> None:
        platform = masto.platform()
        target = masto.target(masto.candidate(platform, masto.mention()))
        masto.fake.inject("GET /api/v1/accounts/:id/statuses", "reset")
        with pytest.raises(Transient):
            platform.own_recent_posts()
        masto.fake.inject(f"POST {STATUSES}", "reset")
        with pytest.raises(Ambiguous):
            platform.publish_reply(target, "hi", "pmt_reset")
        assert masto.replies() == []

    def test_latency_within_the_timeout_is_served_and_beyond_it_transient(
        self, masto: MastodonHarness
    ) -> None:
        platform = masto.platform()
        platform.whoami()
        masto.fake.inject("GET /api/v1/notifications", "latency", seconds=READ_TIMEOUT / 5)
        assert platform.fetch_candidates(None).posts == ()
        masto.fake.inject("GET /api/v1/notifications", "latency", seconds=READ_TIMEOUT * 3)
        with pytest.raises(Transient):
            platform.fetch_candidates(None)

    def test_malformed_bodies_are_bad_responses_or_ambiguous_writes(
        self, masto: MastodonHarness
    ) -> None:
        platform = masto.platform()
        target = masto.target(masto.candidate(platform, masto.mention()))
        masto.fake.inject("GET /api/v1/notifications", "malformed")
        with pytest.raises(BadResponse):
            platform.fetch_candidates(None)
        masto.fake.inject(f"POST {STATUSES}", "malformed", body="<html>busy</html>")
        with pytest.raises(Ambiguous):
            platform.publish_reply(target, "hi", "pmt_html")
        assert platform.publish_reply(target, "hi", "pmt_html").post_id == masto.replies()[0]["id"]
