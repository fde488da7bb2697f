"""The Bluesky adapter's contract against the fake Bluesky, shared by in-process and loopback runs.

A subclass provides the fixture `endpoint_for(fake)`: a context manager yielding
(base_url, transport or None) through which the adapter reaches the fake.
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
    PlatformMisconfigured,
    RateLimited,
    Transient,
)
from xbot.domain.meter import Meter
from xbot.domain.posts import Post, ReplyTarget
from xbot.domain.rate_card import EndpointClass, rate_card
from xbot.platforms.bluesky import (
    BlueskyPlatform,
    FetchOptions,
    MemorySessionStore,
    build_bluesky_platform,
    rkey_for,
)
from xbot.platforms.http import HttpOptions
from xbot.sim.bluesky.fake import FakeBluesky
from xbot.sim.bluesky.limits import Window
from xbot.sim.bluesky.settings import BlueskyFakeSettings
from xbot.sim.core.clock import SimClock
from xbot.sim.core.world import build_world

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
READ_TIMEOUT = 1.5  # generous: a busy CI machine must not turn a plain read into a timeout
CREATE = "/xrpc/com.atproto.repo.createRecord"
GET_RECORD = "/xrpc/com.atproto.repo.getRecord"
LOGIN = "/xrpc/com.atproto.server.createSession"
REFRESH = "/xrpc/com.atproto.server.refreshSession"
EndpointFor = Callable[[FakeBluesky], contextlib.AbstractContextManager[tuple[str, Any]]]


@dataclass
class BlueskyHarness:
    """A fake Bluesky on a frozen clock and adapters wired to it."""

    fake: FakeBluesky
    clock: SimClock
    base_url: str
    transport: Any
    store: MemorySessionStore = field(default_factory=MemorySessionStore)
    opened: list[BlueskyPlatform] = field(default_factory=list)

    @property
    def users(self) -> list[str]:
        return [user.handle for user in self.fake.world.users if not user.automated]

    def platform(self, password: str | None = None, **options: Any) -> BlueskyPlatform:
        """An adapter for the bot account, sharing this harness's session store."""
        http = options.pop("http", HttpOptions(read_timeout=READ_TIMEOUT))
        store = options.pop("store", self.store)
        creds = self.fake.credentials()
        platform = build_bluesky_platform(
            AccountSettings(platform="bluesky", handle=creds["identifier"], base_url=self.base_url),
            SecretStr(password or creds["password"]),
            store,
            http=http,
            transport=self.transport,
            now=self.clock.now,
            **options,
        )
        self.opened.append(platform)
        return platform

    def mention(self, text: str = "how do I start with python?", author: int = 0) -> dict[str, Any]:
        return self.fake.post_as(self.users[author], f"@replybot {text}")

    def candidate(self, platform: BlueskyPlatform, post: dict[str, Any]) -> Post:
        return next(p for p in platform.fetch_candidates(None).posts if p.post_id == post["id"])

    def target(self, post: Post) -> ReplyTarget:
        return ReplyTarget(post_id=post.post_id, author_handle=post.author_handle, meta=post.meta)

    def sent(self, method: str, path: str) -> int:
        """Count requests; over a socket the log entry lands just after the answer, so settle."""
        count = -1
        for _ in range(40):
            again = len(self.fake.requests(method=method, path=path))
            if again == count:
                break
            count = again
            time.sleep(0.02)
        return count

    def settled_sent(self, method: str, path: str) -> int:
        """Count requests once a held response (over a socket, still sleeping) has ended."""
        deadline = time.monotonic() + READ_TIMEOUT * 10
        while time.monotonic() < deadline and any(
            entry.status is None and entry.fault is None for entry in self.fake.requests()
        ):
            time.sleep(0.05)
        while time.monotonic() < deadline and self.sent(method, path) == 0:
            time.sleep(0.05)
        return self.sent(method, path)

    def bot_replies(self) -> list[dict[str, Any]]:
        return [post for post in self.fake.posts_of("replybot") if post["in_reply_to"]]

    def close(self) -> None:
        for platform in self.opened:
            platform.close()


class BlueskyContract:
    """Tests every adapter method, error class and fault against the fake Bluesky."""

    @pytest.fixture
    def bsky(self, endpoint_for: EndpointFor) -> Iterator[BlueskyHarness]:
        clock = SimClock(start=START, speed=0)
        settings = BlueskyFakeSettings(
            notification_delay_seconds=0, view_delay_seconds=0, search_delay_seconds=0
        )
        fake = FakeBluesky(build_world(11), clock=clock, settings=settings)
        with endpoint_for(fake) as (base_url, transport):
            harness = BlueskyHarness(fake=fake, clock=clock, base_url=base_url, transport=transport)
            yield harness
            harness.close()

    # --- session ---

    def test_whoami_logs_in_once_and_keeps_the_session_in_the_store(
        self, bsky: BlueskyHarness
    ) -> None:
        platform = bsky.platform()
        bot = bsky.fake.bot()
        assert platform.whoami() == (bot.did, "replybot.bsky.social")
        assert platform.whoami() == (bot.did, "replybot.bsky.social")
        assert bsky.sent("POST", LOGIN) == 1
        saved = bsky.store.saved
        assert saved is not None
        assert saved["did"] == bot.did
        assert saved["service"] == bsky.base_url
        assert (platform.name, platform.visibility_grace) == ("bluesky", timedelta(seconds=60))

    def test_a_restart_reuses_the_stored_session_without_logging_in(
        self, bsky: BlueskyHarness
    ) -> None:
        bsky.platform().whoami()
        again = bsky.platform()
        bsky.mention()
        assert len(again.fetch_candidates(None).posts) == 1
        assert bsky.sent("POST", LOGIN) == 1

    def test_an_expired_access_token_is_refreshed_and_the_new_pair_saved(
        self, bsky: BlueskyHarness
    ) -> None:
        bsky.fake.configure(access_token_seconds=60)
        platform = bsky.platform()
        platform.whoami()
        first = dict(bsky.store.saved or {})
        bsky.clock.advance(61)
        bsky.mention()
        assert len(platform.fetch_candidates(None).posts) == 1
        assert bsky.sent("POST", REFRESH) == 1
        assert bsky.sent("POST", LOGIN) == 1
        assert (bsky.store.saved or {})["refresh_jwt"] != first["refresh_jwt"]
        assert bsky.store.saves == 2

    def test_a_revoked_session_logs_in_again(self, bsky: BlueskyHarness) -> None:
        bsky.fake.configure(access_token_seconds=60)
        platform = bsky.platform()
        platform.whoami()
        bsky.fake.auth.revoke(bsky.fake.bot().did)
        bsky.clock.advance(61)
        assert platform.fetch_candidates(None).posts == ()
        assert bsky.sent("POST", REFRESH) == 1
        assert bsky.sent("POST", LOGIN) == 2

    def test_a_wrong_app_password_is_auth_failed_without_the_secret(
        self, bsky: BlueskyHarness
    ) -> None:
        with pytest.raises(AuthFailed) as failure:
            bsky.platform(password="nope-nope-nope-nope").whoami()
        assert failure.value.status == 401
        assert "nope-nope" not in str(failure.value)
        assert "Invalid identifier or password" in str(failure.value)

    def test_the_login_limit_is_rate_limited_with_its_reset(self, bsky: BlueskyHarness) -> None:
        bsky.fake.limits.set_windows("login", (Window(limit=2, seconds=300),))
        bsky.platform(store=MemorySessionStore()).whoami()
        bsky.platform(store=MemorySessionStore()).whoami()
        with pytest.raises(RateLimited) as limited:
            bsky.platform(store=MemorySessionStore()).whoami()
        assert limited.value.reset_at == START + timedelta(seconds=300)

    # --- reads ---

    def test_candidates_are_mentions_replies_and_quotes_newest_first(
        self, bsky: BlueskyHarness
    ) -> None:
        bot_post = bsky.fake.posts_of("replybot")[0]
        mention = bsky.mention()
        bsky.clock.advance(1)
        quote = bsky.fake.post_as(bsky.users[1], "great tip", quote_of=bot_post["id"])
        bsky.clock.advance(1)
        reply = bsky.fake.post_as(bsky.users[2], "thanks!", in_reply_to=bot_post["id"])
        bsky.fake.post_as(bsky.users[3], "just chatting about jazz")
        batch = bsky.platform().fetch_candidates(None)
        assert [post.post_id for post in batch.posts] == [reply["id"], quote["id"], mention["id"]]
        assert all(post.summoned for post in batch.posts)
        assert batch.watermark == bsky.clock.now().isoformat()
        by_id = {post.post_id: post for post in batch.posts}
        assert by_id[quote["id"]].quoted_post_id == bot_post["id"]
        assert by_id[reply["id"]].in_reply_to_post_id == bot_post["id"]
        assert by_id[reply["id"]].conversation_id == bot_post["id"]
        first = by_id[mention["id"]]
        author = bsky.fake.store.actor(bsky.users[0])
        assert (first.author_id, first.author_handle) == (author.did, author.handle)
        assert first.mentions == ("replybot.bsky.social",)
        assert first.text == "@replybot.bsky.social how do I start with python?"
        assert first.created_at == START
        assert first.meta == {
            "uri": mention["id"], "cid": mention["cid"], "root_uri": mention["id"],
            "root_cid": mention["cid"], "author_did": author.did,
        }  # fmt: skip

    def test_the_watermark_skips_older_notifications(self, bsky: BlueskyHarness) -> None:
        platform = bsky.platform()
        bsky.mention("first")
        bsky.clock.advance(1)
        edge = bsky.mention("second")
        batch = platform.fetch_candidates(None)
        assert batch.watermark == bsky.clock.now().isoformat()
        bsky.clock.advance(5)
        new = bsky.mention("third")
        later = platform.fetch_candidates(batch.watermark)
        # inclusive at the watermark's instant (the fetch job drops the repeat), older skipped
        assert [post.post_id for post in later.posts] == [new["id"], edge["id"]]
        assert later.watermark == bsky.clock.now().isoformat()
        assert platform.fetch_candidates(later.watermark).watermark == later.watermark

    def test_notifications_are_paged_by_cursor(self, bsky: BlueskyHarness) -> None:
        ids = []
        for number in range(130):
            ids.append(bsky.mention(f"question {number}", author=number % 5)["id"])
            bsky.clock.advance(1)
        batch = bsky.platform().fetch_candidates(None)
        assert [post.post_id for post in batch.posts] == ids[::-1]
        pages = bsky.fake.requests(
            method="GET", path="/xrpc/app.bsky.notification.listNotifications"
        )
        assert len(pages) == 2
        assert "cursor=" in pages[1].query

    def test_a_fetch_reads_at_most_max_pages(self, bsky: BlueskyHarness) -> None:
        for number in range(120):
            bsky.mention(f"q{number}", author=number % 5)
            bsky.clock.advance(1)
        batch = bsky.platform(fetch=FetchOptions(max_pages=1)).fetch_candidates(None)
        assert len(batch.posts) == 100

    def test_optional_search_adds_posts_that_did_not_tag_us(self, bsky: BlueskyHarness) -> None:
        found = bsky.fake.post_as(bsky.users[1], "who knows sourdough starters?")
        bsky.fake.post_as(bsky.users[2], "nothing to see")
        platform = bsky.platform(fetch=FetchOptions(search_queries=("sourdough",)))
        posts = platform.fetch_candidates(None).posts
        assert [post.post_id for post in posts] == [found["id"]]
        assert posts[0].summoned is False

    def test_notifications_lag_behind_while_own_reads_are_immediate(
        self, bsky: BlueskyHarness
    ) -> None:
        bsky.fake.configure(notification_delay_seconds=30, view_delay_seconds=30)
        platform = bsky.platform()
        mention = bsky.mention()
        assert platform.fetch_candidates(None).posts == ()
        ghost = bsky.fake.ghost("posted outside xbot")
        assert platform.own_recent_posts(limit=1)[0].post_id == ghost["id"]
        assert platform.lookup_post(ghost["id"]) is not None
        assert platform.lookup_post(mention["id"]) is None
        bsky.clock.advance(30)
        assert [post.post_id for post in platform.fetch_candidates(None).posts] == [mention["id"]]

    def test_every_call_is_counted_and_costs_nothing(self, bsky: BlueskyHarness) -> None:
        meter = Meter(rate_card("bluesky"))
        platform = bsky.platform(meter=meter)
        bsky.clock.advance(1)
        mention = bsky.candidate(platform, bsky.mention())
        platform.publish_reply(bsky.target(mention), "Start with the tutorial.", "pmt_meter")
        charges = meter.take()
        kinds = [charge.endpoint_class for charge in charges]
        assert kinds.count(EndpointClass.POST_CREATE) == 1
        assert kinds.count(EndpointClass.REQUEST) >= 2  # the session, the notifications
        assert sum(charge.cost_micro for charge in charges) == 0

    def test_own_recent_posts_include_replies_down_to_since(self, bsky: BlueskyHarness) -> None:
        platform = bsky.platform()
        history = bsky.fake.posts_of("replybot")
        bsky.clock.advance(1)
        mention = bsky.candidate(platform, bsky.mention())
        bsky.clock.advance(1)
        reply = platform.publish_reply(bsky.target(mention), "Start with the tutorial.", "pmt_1")
        bsky.clock.advance(1)
        ghost = bsky.fake.ghost("hello from outside")
        posts = platform.own_recent_posts()
        assert [post.post_id for post in posts[:2]] == [ghost["id"], reply.post_id]
        assert posts[1].in_reply_to_post_id == mention.post_id
        assert posts[1].text == "Start with the tutorial."
        assert len(posts) == 2 + len(history)
        since = platform.own_recent_posts(since=reply.post_id)
        assert [post.post_id for post in since] == [ghost["id"]]
        assert len(platform.own_recent_posts(limit=2)) == 2

    def test_without_an_appview_own_posts_come_from_the_repository(
        self, bsky: BlueskyHarness
    ) -> None:
        platform = bsky.platform()
        bsky.clock.advance(1)
        mention = bsky.candidate(platform, bsky.mention())
        bsky.clock.advance(1)
        reply = platform.publish_reply(bsky.target(mention), "Start with the tutorial.", "pmt_1")
        bsky.clock.advance(1)
        ghost = bsky.fake.ghost("hello from outside")
        through_appview = platform.own_recent_posts()
        bsky.fake.configure(appview=False)
        from_repo = platform.own_recent_posts()
        assert [p.post_id for p in from_repo] == [p.post_id for p in through_appview]
        assert [p.post_id for p in from_repo[:2]] == [ghost["id"], reply.post_id]
        assert from_repo[1].in_reply_to_post_id == mention.post_id
        assert from_repo[1].meta["cid"] == through_appview[1].meta["cid"]
        since = platform.own_recent_posts(since=reply.post_id)
        assert [post.post_id for post in since] == [ghost["id"]]
        assert len(platform.own_recent_posts(limit=2)) == 2
        assert bsky.sent("GET", "/xrpc/com.atproto.repo.listRecords") == 3

    def test_a_pds_without_an_appview_is_misconfigured_naming_the_method(
        self, bsky: BlueskyHarness
    ) -> None:
        platform = bsky.platform()
        mention = bsky.mention()
        bsky.fake.configure(appview=False)
        with pytest.raises(PlatformMisconfigured) as raised:
            platform.fetch_candidates(None)
        assert not isinstance(raised.value, ForbiddenByPolicy)
        assert "app.bsky.notification.listNotifications" in str(raised.value)
        assert "base_url" in str(raised.value)
        with pytest.raises(PlatformMisconfigured, match="app.bsky.feed.getPostThread"):
            platform.lookup_post(mention["id"])
        own = bsky.fake.ghost("mine")
        assert platform.lookup_post(own["id"]) is not None  # from the repository

    def test_lookup_finds_own_and_other_posts_and_none_when_missing(
        self, bsky: BlueskyHarness
    ) -> None:
        platform = bsky.platform()
        mention = bsky.mention()
        own = bsky.fake.ghost("mine")
        assert platform.lookup_post(mention["id"]).text == mention["text"]  # type: ignore[union-attr]
        assert platform.lookup_post(own["id"]).author_id == bsky.fake.bot().did  # type: ignore[union-attr]
        bsky.fake.store.delete(mention["id"])
        assert platform.lookup_post(mention["id"]) is None
        missing = own["id"].rsplit("/", 1)[0] + "/" + rkey_for("nothing")
        assert platform.lookup_post(missing) is None

    # --- writes ---

    def test_a_reply_carries_root_parent_and_mention_facets(self, bsky: BlueskyHarness) -> None:
        platform = bsky.platform()
        root = bsky.fake.post_as(bsky.users[1], "a thread about jazz")
        bsky.clock.advance(1)
        parent = bsky.fake.post_as(
            bsky.users[0], "@replybot what do you think?", in_reply_to=root["id"]
        )
        candidate = bsky.candidate(platform, parent)
        author = bsky.fake.store.actor(bsky.users[0])
        text = f"🎷 @{author.handle} jazz is great"
        published = platform.publish_reply(bsky.target(candidate), text, "pmt_facets")
        record = bsky.fake.store.get(published.post_id)
        assert record is not None
        assert record.rkey == rkey_for("pmt_facets")
        assert record.value["reply"] == {
            "root": {"uri": root["id"], "cid": root["cid"]},
            "parent": {"uri": parent["id"], "cid": parent["cid"]},
        }
        start = len("🎷 ".encode())
        assert record.value["facets"] == [
            {
                "index": {"byteStart": start, "byteEnd": start + len(author.handle) + 1},
                "features": [{"$type": "app.bsky.richtext.facet#mention", "did": author.did}],
            }
        ]
        assert published.created_at == START + timedelta(seconds=1)

    def test_a_target_without_refs_is_looked_up_first(self, bsky: BlueskyHarness) -> None:
        platform = bsky.platform()
        mention = bsky.mention()
        bare = ReplyTarget(post_id=mention["id"], author_handle="someone.bsky.social")
        published = platform.publish_reply(bare, "hello", "pmt_bare")
        record = bsky.fake.store.get(published.post_id)
        assert record is not None
        assert record.value["reply"]["parent"] == {"uri": mention["id"], "cid": mention["cid"]}

    def test_a_second_publish_with_the_same_key_returns_the_first_post(
        self, bsky: BlueskyHarness
    ) -> None:
        platform = bsky.platform()
        target = bsky.target(bsky.candidate(platform, bsky.mention()))
        first = platform.publish_reply(target, "once", "pmt_same")
        again = platform.publish_reply(target, "once", "pmt_same")
        assert again.post_id == first.post_id
        assert len(bsky.bot_replies()) == 1
        assert bsky.sent("POST", CREATE) == 1

    def test_a_reply_to_a_gone_post_is_not_found(self, bsky: BlueskyHarness) -> None:
        platform = bsky.platform()
        target = bsky.target(bsky.candidate(platform, bsky.mention()))
        bsky.fake.store.delete(target.post_id)
        with pytest.raises(NotFound):
            platform.publish_reply(target, "too late", "pmt_gone")
        assert bsky.bot_replies() == []

    def test_text_over_300_graphemes_is_refused_by_policy(self, bsky: BlueskyHarness) -> None:
        platform = bsky.platform()
        target = bsky.target(bsky.candidate(platform, bsky.mention()))
        with pytest.raises(ForbiddenByPolicy) as refused:
            platform.publish_reply(target, "é" * 301, "pmt_long")
        assert refused.value.status == 400
        assert "grapheme too big (maximum 300, got 301) at $.record.text" in str(refused.value)

    # --- idempotency: accepted, then the answer is lost ---

    def test_accepted_then_timed_out_then_retried_makes_exactly_one_post(
        self, bsky: BlueskyHarness
    ) -> None:
        platform = bsky.platform()
        target = bsky.target(bsky.candidate(platform, bsky.mention()))
        bsky.fake.inject(f"POST {CREATE}", "accept_then_timeout", seconds=READ_TIMEOUT * 5)
        with pytest.raises(Ambiguous):
            platform.publish_reply(target, "Start small.", "pmt_retry")
        retried = platform.publish_reply(target, "Start small.", "pmt_retry")
        replies = bsky.bot_replies()
        assert [post["id"] for post in replies] == [retried.post_id]
        assert bsky.settled_sent("POST", CREATE) == 1

    def test_accepted_then_dropped_then_retried_makes_exactly_one_post(
        self, bsky: BlueskyHarness
    ) -> None:
        platform = bsky.platform()
        target = bsky.target(bsky.candidate(platform, bsky.mention()))
        bsky.fake.inject(f"POST {CREATE}", "accept_then_timeout", drop=True)
        with pytest.raises(Ambiguous):
            platform.publish_reply(target, "Start small.", "pmt_drop")
        retried = platform.publish_reply(target, "Start small.", "pmt_drop")
        assert [post["id"] for post in bsky.bot_replies()] == [retried.post_id]

    def test_a_duplicate_rkey_500_reads_the_record_back(self, bsky: BlueskyHarness) -> None:
        platform = bsky.platform()
        target = bsky.target(bsky.candidate(platform, bsky.mention()))
        first = platform.publish_reply(target, "hi", "pmt_dup")
        stale = '{"error":"RecordNotFound","message":"Could not locate record"}'
        bsky.fake.inject(f"GET {GET_RECORD}", "malformed", status=400, body=stale)
        again = platform.publish_reply(target, "hi", "pmt_dup")
        assert again.post_id == first.post_id
        assert bsky.sent("POST", CREATE) == 2
        assert len(bsky.bot_replies()) == 1

    def test_a_named_duplicate_error_reads_the_record_back(self, bsky: BlueskyHarness) -> None:
        bsky.fake.configure(duplicate_rkey="named")
        platform = bsky.platform()
        target = bsky.target(bsky.candidate(platform, bsky.mention()))
        first = platform.publish_reply(target, "hi", "pmt_named")
        stale = '{"error":"RecordNotFound","message":"Could not locate record"}'
        bsky.fake.inject(f"GET {GET_RECORD}", "malformed", status=400, body=stale)
        assert platform.publish_reply(target, "hi", "pmt_named").post_id == first.post_id

    def test_a_500_on_create_with_nothing_there_is_ambiguous(self, bsky: BlueskyHarness) -> None:
        platform = bsky.platform()
        target = bsky.target(bsky.candidate(platform, bsky.mention()))
        bsky.fake.inject(f"POST {CREATE}", "status", status=500)
        with pytest.raises(Ambiguous) as unknown:
            platform.publish_reply(target, "hi", "pmt_500")
        assert unknown.value.status == 500
        assert bsky.bot_replies() == []

    def test_a_failed_read_back_before_the_create_sends_nothing(self, bsky: BlueskyHarness) -> None:
        platform = bsky.platform()
        target = bsky.target(bsky.candidate(platform, bsky.mention()))
        bsky.fake.inject(f"GET {GET_RECORD}", "status", status=503)
        with pytest.raises(Transient):
            platform.publish_reply(target, "hi", "pmt_503")
        assert bsky.sent("POST", CREATE) == 0

    # --- faults and error classes ---

    def test_a_429_is_rate_limited_with_the_reset(self, bsky: BlueskyHarness) -> None:
        platform = bsky.platform()
        platform.whoami()
        bsky.fake.inject("GET /xrpc/app.bsky.notification.listNotifications", "status", status=429)
        with pytest.raises(RateLimited) as limited:
            platform.fetch_candidates(None)
        assert limited.value.reset_at == START + timedelta(minutes=5)

    def test_the_write_points_limit_is_rate_limited(self, bsky: BlueskyHarness) -> None:
        bsky.fake.limits.set_windows("write", (Window(limit=3, seconds=3600),))
        platform = bsky.platform()
        target = bsky.target(bsky.candidate(platform, bsky.mention()))
        platform.publish_reply(target, "one", "pmt_a")
        with pytest.raises(RateLimited) as limited:
            platform.publish_reply(target, "two", "pmt_b")
        assert limited.value.reset_at == START + timedelta(hours=1)
        state = platform.rate_limits()[f"POST {CREATE}"]
        assert (state.limit, state.remaining) == (3, 0)

    @pytest.mark.parametrize("status", [500, 502, 503, 504])
    def test_server_errors_on_reads_are_transient(self, bsky: BlueskyHarness, status: int) -> None:
        platform = bsky.platform()
        platform.whoami()
        bsky.fake.inject("GET /xrpc/app.bsky.feed.getAuthorFeed", "status", status=status)
        with pytest.raises(Transient) as failure:
            platform.own_recent_posts()
        assert failure.value.status == status

    def test_a_reset_on_a_read_is_transient_and_on_a_write_ambiguous(
        self, bsky: BlueskyHarness
    ) -> None:
        platform = bsky.platform()
        target = bsky.target(bsky.candidate(platform, bsky.mention()))
        bsky.fake.inject("GET /xrpc/app.bsky.feed.getAuthorFeed", "reset")
        with pytest.raises(Transient):
            platform.own_recent_posts()
        bsky.fake.inject(f"POST {CREATE}", "reset")
        with pytest.raises(Ambiguous):
            platform.publish_reply(target, "hi", "pmt_reset")
        assert bsky.bot_replies() == []

    def test_latency_within_the_timeout_is_served_and_beyond_it_transient(
        self, bsky: BlueskyHarness
    ) -> None:
        platform = bsky.platform()
        platform.whoami()
        feed = "GET /xrpc/app.bsky.feed.getAuthorFeed"
        bsky.fake.inject(feed, "latency", seconds=READ_TIMEOUT / 4)
        assert platform.own_recent_posts()
        bsky.fake.inject(feed, "latency", seconds=READ_TIMEOUT * 3)
        with pytest.raises(Transient):
            platform.own_recent_posts()

    def test_a_malformed_body_is_a_bad_response(self, bsky: BlueskyHarness) -> None:
        platform = bsky.platform()
        platform.whoami()
        bsky.fake.inject("GET /xrpc/app.bsky.notification.listNotifications", "malformed")
        with pytest.raises(BadResponse) as bad:
            platform.fetch_candidates(None)
        assert bad.value.status == 200

    def test_a_malformed_answer_to_an_accepted_create_is_ambiguous(
        self, bsky: BlueskyHarness
    ) -> None:
        platform = bsky.platform()
        target = bsky.target(bsky.candidate(platform, bsky.mention()))
        bsky.fake.inject(f"POST {CREATE}", "malformed", body="<html>oops</html>")
        with pytest.raises(Ambiguous):
            platform.publish_reply(target, "hi", "pmt_html")
        assert (
            platform.publish_reply(target, "hi", "pmt_html").post_id == bsky.bot_replies()[0]["id"]
        )

    def test_tokens_and_the_password_never_reach_an_error(self, bsky: BlueskyHarness) -> None:
        platform = bsky.platform()
        platform.whoami()
        saved = bsky.store.saved or {}
        password = bsky.fake.credentials()["password"]
        echo = f'{{"oops": "{saved["access_jwt"]} {saved["refresh_jwt"]} {password}"}}'
        bsky.fake.inject(
            "GET /xrpc/app.bsky.feed.getAuthorFeed", "malformed", status=502, body=echo
        )
        with pytest.raises(Transient) as failure:
            platform.own_recent_posts()
        said = f"{failure.value} {failure.value.excerpt}"
        for secret in (saved["access_jwt"], saved["refresh_jwt"], password):
            assert secret not in said
        assert "***" in failure.value.excerpt

    def test_a_401_fault_on_a_read_is_auth_failed_after_one_relogin(
        self, bsky: BlueskyHarness
    ) -> None:
        platform = bsky.platform()
        platform.whoami()
        bsky.fake.inject("GET /xrpc/app.bsky.feed.getAuthorFeed", "status", status=401, count=2)
        with pytest.raises(AuthFailed):
            platform.own_recent_posts()
        assert bsky.sent("POST", LOGIN) == 2
