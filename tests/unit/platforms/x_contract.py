"""The X adapter's contract against the fake X, shared by the in-process and loopback runs.

A subclass provides the fixture `endpoint_for(fake)`: a context manager yielding
(base_url, transport or None) through which the adapter reaches the fake.
"""

from __future__ import annotations

import contextlib
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
    CreditsDepleted,
    DuplicateContent,
    ForbiddenByPolicy,
    InvalidRequest,
    RateLimited,
    Transient,
)
from xbot.domain.posts import ReplyTarget
from xbot.platforms.x import (
    FetchOptions,
    HttpOptions,
    OAuth1Credentials,
    OAuth2Credentials,
    XPlatform,
    build_x_platform,
)
from xbot.sim.core.clock import SimClock
from xbot.sim.core.world import build_world
from xbot.sim.x.fake import FakeX
from xbot.sim.x.settings import XFakeSettings

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
READ_TIMEOUT = 1.5  # generous: a busy CI machine must not turn a plain read into a timeout
EndpointFor = Callable[[FakeX], contextlib.AbstractContextManager[tuple[str, Any]]]


@dataclass
class XHarness:
    """A fake X on a frozen clock and adapters wired to it."""

    fake: FakeX
    clock: SimClock
    base_url: str
    transport: Any
    opened: list[XPlatform] = field(default_factory=list)

    @property
    def users(self) -> list[str]:
        return [user.handle for user in self.fake.world.users if not user.automated]

    def platform(self, credentials: Any = None, **options: Any) -> XPlatform:
        """An adapter for the bot account (OAuth 1.0a unless told otherwise)."""
        http = options.pop(
            "http", HttpOptions(read_timeout=READ_TIMEOUT, max_response_bytes=200_000)
        )
        platform = build_x_platform(
            AccountSettings(platform="x", handle="replybot", base_url=self.base_url),
            credentials or self.oauth1(),
            http=http,
            transport=self.transport,
            now=self.clock.now,
            **options,
        )
        self.opened.append(platform)
        return platform

    def oauth1(self) -> OAuth1Credentials:
        raw = self.fake.credentials()
        return OAuth1Credentials(
            consumer_key=SecretStr(raw["consumer_key"]),
            consumer_secret=SecretStr(raw["consumer_secret"]),
            access_token=SecretStr(raw["access_token"]),
            access_token_secret=SecretStr(raw["access_token_secret"]),
        )

    def oauth2(self, *, refresh: bool = True) -> OAuth2Credentials:
        raw = self.fake.credentials()
        return OAuth2Credentials(
            client_id=raw["client_id"],
            access_token=SecretStr(raw["oauth2_access_token"]),
            refresh_token=SecretStr(raw["oauth2_refresh_token"]) if refresh else None,
        )

    def mention(self, text: str = "how do I start with python?", author: int = 0) -> dict[str, Any]:
        return self.fake.post_as(self.users[author], f"@replybot {text}")

    def target(self, post: dict[str, Any]) -> ReplyTarget:
        return ReplyTarget(post_id=post["id"], author_handle=post["author"])

    def sent(self, method: str, path: str) -> int:
        return len(self.fake.requests(method=method, path=path))

    def close(self) -> None:
        for platform in self.opened:
            platform.close()


class XContract:
    """Tests every adapter method, error class and fault against the fake."""

    @pytest.fixture
    def x(self, endpoint_for: EndpointFor) -> Iterator[XHarness]:
        clock = SimClock(start=START, speed=0)
        settings = XFakeSettings(search_delay_seconds=0)
        fake = FakeX(build_world(11), clock=clock, settings=settings)
        with endpoint_for(fake) as (base_url, transport):
            harness = XHarness(fake=fake, clock=clock, base_url=base_url, transport=transport)
            yield harness
            harness.close()

    # --- reads ---

    def test_whoami_names_the_bot_and_asks_once(self, x: XHarness) -> None:
        platform = x.platform()
        bot = x.fake.bot()
        assert platform.whoami() == (bot.user_id, "replybot")
        assert platform.whoami() == (bot.user_id, "replybot")
        assert x.sent("GET", "/2/users/me") == 1
        assert platform.name == "x"
        assert platform.visibility_grace == timedelta(seconds=60)

    def test_candidates_are_mentions_replies_and_quotes_newest_first(self, x: XHarness) -> None:
        bot_post = x.fake.posts_of("replybot")[0]
        mention = x.mention()
        x.clock.advance(1)
        quote = x.fake.post_as(x.users[1], "great tip", quote_of=bot_post["id"])
        x.clock.advance(1)
        reply = x.fake.post_as(x.users[2], "@replybot thanks!", in_reply_to=bot_post["id"])
        x.fake.post_as(x.users[3], "just chatting about jazz")
        other = x.fake.post_as(x.users[3], "a post of mine")
        x.fake.post_as(x.users[4], "quoting someone else", quote_of=other["id"])

        batch = x.platform().fetch_candidates(None)

        assert [post.post_id for post in batch.posts] == [reply["id"], quote["id"], mention["id"]]
        assert all(post.summoned for post in batch.posts)
        assert batch.watermark == reply["id"]
        by_id = {post.post_id: post for post in batch.posts}
        assert by_id[quote["id"]].quoted_post_id == bot_post["id"]
        assert by_id[reply["id"]].in_reply_to_post_id == bot_post["id"]
        first = by_id[mention["id"]]
        author = x.fake.store.user_by_handle(x.users[0])
        assert (first.author_id, first.author_handle) == (author.user_id, author.handle)
        assert first.author_followers == author.followers
        assert first.language == author.language
        assert first.conversation_id == mention["id"]
        assert first.mentions == ("replybot",)
        assert first.created_at == x.clock.now() - timedelta(seconds=2)
        assert first.text == mention["text"]

    def test_the_watermark_only_moves_forward(self, x: XHarness) -> None:
        platform = x.platform()
        old = x.mention("first")
        batch = platform.fetch_candidates(None)
        assert batch.watermark == old["id"]
        assert platform.fetch_candidates(batch.watermark).posts == ()
        assert platform.fetch_candidates(batch.watermark).watermark == old["id"]
        x.clock.advance(5)
        new = x.mention("second")
        later = platform.fetch_candidates(batch.watermark)
        assert [post.post_id for post in later.posts] == [new["id"]]
        assert later.watermark == new["id"]

    def test_a_damaged_watermark_reads_from_the_top(self, x: XHarness) -> None:
        mention = x.mention()
        batch = x.platform().fetch_candidates("not-an-id")
        assert [post.post_id for post in batch.posts] == [mention["id"]]
        assert batch.watermark == mention["id"]

    def test_mentions_are_paged_with_a_fixed_since_id(self, x: XHarness) -> None:
        since = x.mention("before the watermark")["id"]
        x.clock.advance(1)
        ids = [x.mention(f"question {n}", author=n % 5)["id"] for n in range(230)]
        platform = x.platform(fetch=FetchOptions(quotes=False))
        batch = platform.fetch_candidates(since)
        assert [post.post_id for post in batch.posts] == ids[::-1]
        assert batch.watermark == ids[-1]
        pages = x.fake.requests(method="GET", path=f"/2/users/{x.fake.bot().user_id}/mentions")
        assert len(pages) == 3
        assert all(f"since_id={since}" in page.query for page in pages)
        assert all("pagination_token" in page.query for page in pages[1:])

    def test_a_fetch_reads_at_most_max_pages(self, x: XHarness) -> None:
        ids = [x.mention(f"q{n}", author=n % 5)["id"] for n in range(150)]
        batch = x.platform(fetch=FetchOptions(quotes=False, max_pages=1)).fetch_candidates(None)
        assert len(batch.posts) == 100
        assert batch.watermark == ids[-1]

    def test_search_rereads_an_overlap_for_late_indexed_quotes(self, x: XHarness) -> None:
        x.fake.configure(search_delay_seconds=30)
        bot_post = x.fake.posts_of("replybot")[-1]
        quote = x.fake.post_as(x.users[1], "quoting you", quote_of=bot_post["id"])
        x.clock.advance(10)
        mention = x.mention()
        x.clock.advance(10)
        platform = x.platform()
        first = platform.fetch_candidates(None)
        assert [post.post_id for post in first.posts] == [mention["id"]]
        x.clock.advance(30)
        second = platform.fetch_candidates(first.watermark)
        assert [post.post_id for post in second.posts] == [quote["id"]]
        assert second.watermark == mention["id"]

    def test_automated_authors_are_flagged(self, x: XHarness) -> None:
        automated = next(user for user in x.fake.world.users if user.automated)
        x.fake.post_as(automated.handle, "@replybot deals deals deals")
        (post,) = x.platform().fetch_candidates(None).posts
        assert post.author_is_bot

    def test_own_recent_posts_include_replies_newest_first(self, x: XHarness) -> None:
        platform = x.platform()
        mention = x.mention()
        x.clock.advance(1)
        published = platform.publish_reply(x.target(mention), "Start with the tutorial.", "pmt_a")
        ghost = x.fake.ghost("posted by hand")
        posts = platform.own_recent_posts()
        assert [post.post_id for post in posts][:2] == [ghost["id"], published.post_id]
        assert posts[1].in_reply_to_post_id == mention["id"]
        assert len(posts) == 5  # 3 older posts from the world's history
        assert [p.post_id for p in platform.own_recent_posts(since=published.post_id)] == [
            ghost["id"]
        ]
        assert len(platform.own_recent_posts(limit=2)) == 2

    def test_own_recent_posts_page_past_one_hundred(self, x: XHarness) -> None:
        for n in range(120):
            x.fake.ghost(f"note {n}")
        platform = x.platform()
        assert len(platform.own_recent_posts(limit=110)) == 110
        assert len(platform.own_recent_posts(limit=500)) == 123

    def test_lookup_finds_a_post_or_none(self, x: XHarness) -> None:
        platform = x.platform()
        mention = x.mention()
        found = platform.lookup_post(mention["id"])
        assert found is not None
        assert found.post_id == mention["id"]
        assert found.summoned
        assert platform.lookup_post("1999999999999999999") is None
        x.fake.configure(missing_post_status=404)
        assert platform.lookup_post("1999999999999999999") is None

    @pytest.mark.parametrize("post_id", ["abc", "12345678901234567890"])
    def test_a_lookup_by_an_invalid_id_is_an_invalid_request(
        self, x: XHarness, post_id: str
    ) -> None:
        with pytest.raises(InvalidRequest, match="does not match") as raised:
            x.platform().lookup_post(post_id)
        assert raised.value.status == 400
        assert not isinstance(raised.value, ForbiddenByPolicy)

    # --- writes ---

    def test_a_reply_is_published_once(self, x: XHarness) -> None:
        mention = x.mention()
        published = x.platform().publish_reply(x.target(mention), "Try the tutorial.", "pmt_1")
        replies = [p for p in x.fake.posts_of("replybot") if p["in_reply_to"] == mention["id"]]
        assert [reply["id"] for reply in replies] == [published.post_id]
        assert replies[0]["text"] == "Try the tutorial."
        (sent,) = x.fake.requests(method="POST", path="/2/tweets")
        assert sent.body == {
            "text": "Try the tutorial.",
            "reply": {"in_reply_to_tweet_id": mention["id"]},
        }

    def test_replying_to_an_unsummoned_post_is_forbidden_unless_enterprise(
        self, x: XHarness
    ) -> None:
        post = x.fake.post_as(x.users[0], "no mention here")
        platform = x.platform()
        with pytest.raises(ForbiddenByPolicy) as raised:
            platform.publish_reply(x.target(post), "hello", "pmt_2")
        assert raised.value.status == 403
        assert "mentioned" in str(raised.value)
        x.fake.configure(tier="enterprise")
        assert platform.publish_reply(x.target(post), "hello", "pmt_2").post_id

    def test_the_same_text_twice_is_duplicate_content(self, x: XHarness) -> None:
        platform = x.platform()
        first, second = x.mention("one", author=0), x.mention("two", author=1)
        platform.publish_reply(x.target(first), "Same words.", "pmt_3")
        with pytest.raises(DuplicateContent):
            platform.publish_reply(x.target(second), "Same words.", "pmt_4")

    def test_empty_credits_are_credits_depleted(self, x: XHarness) -> None:
        x.fake.configure(credits=0.012)
        platform = x.platform()
        platform.publish_reply(x.target(x.mention("a")), "first", "pmt_5")
        with pytest.raises(CreditsDepleted) as raised:
            platform.publish_reply(x.target(x.mention("b", author=1)), "second", "pmt_6")
        assert raised.value.status == 402
        x.fake.configure(credits=0.0)
        with pytest.raises(CreditsDepleted):
            platform.fetch_candidates(None)

    # --- auth ---

    def test_an_expired_oauth2_token_is_refreshed_and_rotated(self, x: XHarness) -> None:
        saved: list[OAuth2Credentials] = []
        original = x.oauth2()
        platform = x.platform(original, on_token_refresh=saved.append)
        assert platform.whoami()[1] == "replybot"
        x.clock.advance(2 * 3600 + 1)
        mention = x.mention()
        assert [post.post_id for post in platform.fetch_candidates(None).posts] == [mention["id"]]
        assert len(saved) == 1
        assert saved[0].access_token != original.access_token
        assert saved[0].refresh_token != original.refresh_token
        assert saved[0].expires_at == x.clock.now() + timedelta(hours=2)
        assert x.sent("POST", "/2/oauth2/token") == 1
        # the old refresh token died with the rotation
        x.clock.advance(3 * 3600)
        stale = x.platform(original)
        with pytest.raises(AuthFailed):
            stale.whoami()
        # the rotated pair is refreshed ahead of its known expiry, without a 401 first
        unauthorized = [r for r in x.fake.requests() if r.status == 401]
        platform.own_recent_posts(limit=5)
        assert [r for r in x.fake.requests() if r.status == 401] == unauthorized
        assert len(saved) == 2

    def test_an_expired_oauth2_token_without_refresh_is_auth_failed(self, x: XHarness) -> None:
        platform = x.platform(x.oauth2(refresh=False))
        x.clock.advance(2 * 3600 + 1)
        with pytest.raises(AuthFailed) as raised:
            platform.whoami()
        assert raised.value.status == 401

    def test_a_revoked_oauth1_token_is_auth_failed(self, x: XHarness) -> None:
        platform = x.platform()
        x.fake.auth.revoke(x.fake.bot().user_id)
        with pytest.raises(AuthFailed):
            platform.publish_reply(x.target(x.mention()), "hi", "pmt_7")
        assert x.fake.posts_of("replybot")[-1]["in_reply_to"] is None

    def test_a_read_only_app_cannot_write(self, x: XHarness) -> None:
        x.fake.configure(app_permission="read")
        with pytest.raises(AuthFailed, match="write access"):
            x.platform().publish_reply(x.target(x.mention()), "hi", "pmt_8")

    # --- rate limits ---

    def test_hammering_mentions_gives_429_at_the_published_count(self, x: XHarness) -> None:
        platform = x.platform(fetch=FetchOptions(quotes=False, max_pages=1))
        platform.whoami()
        for _ in range(300):
            platform.fetch_candidates(None)
        state = platform.rate_limits()["GET /2/users/:id/mentions"]
        assert (state.limit, state.remaining) == (300, 0)
        with pytest.raises(RateLimited) as raised:
            platform.fetch_candidates(None)
        assert raised.value.reset_at == START + timedelta(minutes=15)
        assert raised.value.reset_at == state.reset_at
        x.clock.advance(15 * 60)
        platform.fetch_candidates(None)
        assert platform.rate_limits()["GET /2/users/:id/mentions"].remaining == 299

    def test_overridden_limits_and_write_limits(self, x: XHarness) -> None:
        x.fake.limiter.set_limit("POST /2/tweets", 2)
        platform = x.platform()
        platform.publish_reply(x.target(x.mention("a")), "one", "p1")
        platform.publish_reply(x.target(x.mention("b", author=1)), "two", "p2")
        with pytest.raises(RateLimited) as raised:
            platform.publish_reply(x.target(x.mention("c", author=2)), "three", "p3")
        assert raised.value.reset_at is not None
        assert raised.value.reset_at > x.clock.now()
        assert platform.rate_limits()["POST /2/tweets"].remaining == 0
        assert len([p for p in x.fake.posts_of("replybot") if p["in_reply_to"]]) == 2

    # --- faults ---

    def test_latency_below_the_timeout_is_fine(self, x: XHarness) -> None:
        x.fake.inject("POST /2/tweets", "latency", seconds=0.05)
        assert x.platform().publish_reply(x.target(x.mention()), "slow but fine", "p").post_id

    def test_a_5xx_on_a_write_is_ambiguous_and_on_a_read_transient(self, x: XHarness) -> None:
        platform = x.platform()
        platform.whoami()
        x.fake.inject("POST /2/tweets", "status", status=503)
        with pytest.raises(Ambiguous) as raised:
            platform.publish_reply(x.target(x.mention()), "hi", "p")
        assert raised.value.status == 503
        assert "Service Unavailable" in raised.value.excerpt
        x.fake.inject("GET /2/users/:id/mentions", "status", status=500)
        with pytest.raises(Transient) as read_error:
            platform.fetch_candidates(None)
        assert read_error.value.status == 500

    def test_an_injected_429_reports_the_reset(self, x: XHarness) -> None:
        x.fake.inject("GET /2/tweets/:id", "status", status=429)
        with pytest.raises(RateLimited) as raised:
            x.platform().lookup_post("1")
        assert raised.value.reset_at == START + timedelta(minutes=15)

    def test_a_reset_before_the_write_is_ambiguous_and_nothing_exists(self, x: XHarness) -> None:
        platform = x.platform()
        mention = x.mention()
        x.fake.inject("POST /2/tweets", "reset")
        with pytest.raises(Ambiguous):
            platform.publish_reply(x.target(mention), "hi", "p")
        assert all(p["in_reply_to"] != mention["id"] for p in x.fake.posts_of("replybot"))
        x.fake.inject("GET /2/users/me", "reset")
        with pytest.raises(Transient):
            platform.whoami()

    def test_accept_then_timeout_is_ambiguous_and_the_post_exists(self, x: XHarness) -> None:
        platform = x.platform()
        mention = x.mention()
        x.fake.inject("POST /2/tweets", "accept_then_timeout", seconds=3)
        with pytest.raises(Ambiguous):
            platform.publish_reply(x.target(mention), "It landed.", "pmt_9")
        mine = platform.own_recent_posts(limit=5)
        assert mine[0].in_reply_to_post_id == mention["id"]
        with pytest.raises(DuplicateContent):
            platform.publish_reply(x.target(mention), "It landed.", "pmt_9")

    def test_accept_then_drop_is_ambiguous_and_the_post_exists(self, x: XHarness) -> None:
        mention = x.mention()
        x.fake.inject("POST /2/tweets", "accept_then_timeout", drop=True)
        with pytest.raises(Ambiguous):
            x.platform().publish_reply(x.target(mention), "Dropped but landed.", "p")
        assert x.fake.posts_of("replybot")[-1]["in_reply_to"] == mention["id"]

    def test_latency_past_the_read_timeout_on_a_read_is_transient(self, x: XHarness) -> None:
        x.fake.inject("GET /2/users/me", "latency", seconds=2)
        with pytest.raises(Transient):
            x.platform().whoami()

    def test_an_unreachable_server_is_transient(self, x: XHarness) -> None:
        platform = x.platform()
        platform.whoami()
        platform.close()
        dead = build_x_platform(
            AccountSettings(platform="x", handle="replybot", base_url="http://127.0.0.1:9"),
            x.oauth1(),
            http=HttpOptions(connect_timeout=1),
        )
        with pytest.raises(Transient, match="before the request was sent"):
            dead.publish_reply(x.target(x.mention()), "hi", "p")
        dead.close()

    # --- malformed answers ---

    def test_a_broken_body_on_a_read_is_a_bad_response(self, x: XHarness) -> None:
        platform = x.platform()
        platform.whoami()
        x.fake.inject("GET /2/users/:id/mentions", "malformed")
        with pytest.raises(BadResponse) as raised:
            platform.fetch_candidates(None)
        assert raised.value.status == 200
        assert raised.value.excerpt == '{"data":{"id":"19'

    def test_a_broken_body_on_an_accepted_write_is_ambiguous(self, x: XHarness) -> None:
        x.fake.inject("POST /2/tweets", "malformed", status=201)
        with pytest.raises(Ambiguous, match="accepted"):
            x.platform().publish_reply(x.target(x.mention()), "hi", "p")
        x.fake.inject("POST /2/tweets", "malformed", status=201, body='{"data": {"text": "no id"}}')
        with pytest.raises(Ambiguous):
            x.platform().publish_reply(x.target(x.mention("b", author=1)), "hi again", "p")

    @pytest.mark.parametrize(
        "body",
        [
            '{"data": [{"id": "12", "text": "no author"}], "meta": {"result_count": 1}}',
            '{"data": {"not": "a list"}}',
            '{"data": [{"id": "12", "text": "x", "author_id": "1", "created_at": "yesterday"}]}',
            '["not", "an", "object"]',
            "<html><body>Bad Gateway</body></html>",
        ],
    )
    def test_missing_fields_are_bad_responses(self, x: XHarness, body: str) -> None:
        platform = x.platform()
        platform.whoami()
        x.fake.inject("GET /2/users/:id/mentions", "malformed", body=body)
        with pytest.raises(BadResponse) as raised:
            platform.fetch_candidates(None)
        assert raised.value.excerpt

    def test_an_unknown_status_is_a_bad_response(self, x: XHarness) -> None:
        x.fake.inject("GET /2/tweets/:id", "status", status=418)
        with pytest.raises(BadResponse) as raised:
            x.platform().lookup_post("1")
        assert raised.value.status == 418

    def test_a_huge_body_is_refused(self, x: XHarness) -> None:
        platform = x.platform()
        platform.whoami()
        x.fake.inject("GET /2/users/:id/mentions", "malformed", body='{"data": [' + "x" * 300_000)
        with pytest.raises(BadResponse, match="over 200000 bytes"):
            platform.fetch_candidates(None)

    def test_no_secret_reaches_an_error(self, x: XHarness) -> None:
        credentials = x.fake.credentials()
        secrets = f"{credentials['access_token_secret']} {credentials['access_token']}"
        leak = f'{{"detail": "token {secrets}"}}'
        x.fake.inject("GET /2/users/me", "malformed", status=500, body=leak)
        with pytest.raises(Transient) as raised:
            x.platform().whoami()
        message = f"{raised.value} {raised.value.excerpt}"
        assert credentials["access_token"] not in message
        assert credentials["access_token_secret"] not in message
        assert "***" in message
