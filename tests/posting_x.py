"""The posting protocol against the fake X, with every fault the fake can inject.

A subclass provides `endpoint_for(fake)`, a context manager yielding (base_url, transport or
None): the in-process run uses the ASGI bridge, the loopback run a real socket. Each test ends
with the same proof: every permit is settled, and the fake's own `GET /_sim/posts` shows exactly
one reply per USED permit (the one it recorded) and none for any other permit.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, select

from posting_rows import PermitRows, add_account, add_permit, events, load_permit, make_context
from xbot.config import AccountSettings
from xbot.domain.permits import TERMINAL_STATUSES, Permit, PermitStatus
from xbot.jobs import ghost_scan, post, reconcile
from xbot.jobs.summaries import ReconcileSummary
from xbot.platforms.x import HttpOptions, OAuth1Credentials, XPlatform, build_x_platform
from xbot.sim.core.clock import SimClock
from xbot.sim.core.world import build_world
from xbot.sim.x.fake import FakeX
from xbot.sim.x.settings import XFakeSettings
from xbot.store.tables import ghost_tweets

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
#: the adapter's read timeout; "accept then timeout" holds the answer longer
READ_TIMEOUT = 1.5  # generous: a busy CI machine must not turn a plain read into a timeout
GRACE = timedelta(seconds=30)
CREATE = "POST /2/tweets"
EndpointFor = Callable[[FakeX], contextlib.AbstractContextManager[tuple[str, Any]]]


@dataclass
class Posting:
    """A fake X on a frozen clock, the bot's account in the database, and an adapter to it."""

    engine: Engine
    fake: FakeX
    clock: SimClock
    base_url: str
    platform: XPlatform
    account_id: int
    permits: list[PermitRows] = field(default_factory=list)

    def permit(self, text: str | None = None, author: int = 0) -> PermitRows:
        """A mention of the bot by a person, and a PENDING permit to answer it."""
        users = [user.handle for user in self.fake.world.users if not user.automated]
        mention = self.fake.post_as(users[author], f"@replybot question {len(self.permits)}")
        rows = add_permit(
            self.engine,
            self.account_id,
            target=mention["id"],
            now=self.clock.now(),
            text=text or f"Here is an answer, number {len(self.permits)}.",
        )
        self.permits.append(rows)
        return rows

    def context(self, worker_id: str = "worker-1") -> Any:
        return make_context(
            self.engine, self.account_id, self.platform, now=self.clock.now(), worker_id=worker_id
        )

    def post(self) -> dict[str, Any]:
        return post.run_once(self.context()).as_data()

    def reconcile(self) -> ReconcileSummary:
        return reconcile.run_once(self.context())

    def settle(self, step: float = 20.0, limit: int = 200) -> None:
        """Run post and reconcile, moving the fake clock, until every permit is settled."""
        for _ in range(limit):
            if all(self.state(rows).status in TERMINAL_STATUSES for rows in self.permits):
                return
            self.post()
            self.reconcile()
            self.clock.advance(step)
        raise AssertionError([self.state(rows) for rows in self.permits])

    def state(self, rows: PermitRows) -> Permit:
        return load_permit(self.engine, rows.permit_id)

    def sim_posts(self) -> list[dict[str, Any]]:
        """The bot's posts as the fake's admin API lists them (`GET /_sim/posts`)."""
        # A client of its own: closing it must not close the adapter's transport.
        transport = self.fake.transport() if self._transport is not None else None
        with httpx2.Client(base_url=self.base_url, transport=transport) as client:
            response = client.get("/_sim/posts", params={"author": "replybot"})
        response.raise_for_status()
        return [item for item in response.json()["posts"] if not item["deleted"]]

    def assert_exactly_once(self) -> None:
        """Every permit settled; one published reply per USED permit, none for the others."""
        posts = self.sim_posts()
        for rows in self.permits:
            permit = self.state(rows)
            assert permit.status in TERMINAL_STATUSES, permit
            replies = [item["id"] for item in posts if item["in_reply_to"] == rows.target_post_id]
            expected = [permit.actual_tweet_id] if permit.status is PermitStatus.USED else []
            assert replies == expected, (permit, replies)

    def create_requests(self, settle_seconds: float = 3.0) -> int:
        """Count `POST /2/tweets` in the fake's log, once held answers have been logged."""
        deadline = time.monotonic() + settle_seconds
        while time.monotonic() < deadline:
            if self.fake.requests(method="POST", path="/2/tweets"):
                break
            time.sleep(0.05)
        return len(self.fake.requests(method="POST", path="/2/tweets"))

    def ghosts(self) -> list[dict[str, Any]]:
        with self.engine.connect() as connection:
            return [dict(row) for row in connection.execute(select(ghost_tweets)).mappings()]

    _transport: Any = None


@contextlib.contextmanager
def posting_against_fake_x(engine: Engine, endpoint_for: EndpointFor) -> Iterator[Posting]:
    """A fake X on a frozen clock reached as `endpoint_for` says, and the bot's account."""
    clock = SimClock(start=START, speed=0)
    settings = XFakeSettings(search_delay_seconds=0)
    fake = FakeX(build_world(11), clock=clock, settings=settings)
    with endpoint_for(fake) as (base_url, transport):
        raw = fake.credentials()
        credentials = OAuth1Credentials(
            consumer_key=SecretStr(raw["consumer_key"]),
            consumer_secret=SecretStr(raw["consumer_secret"]),
            access_token=SecretStr(raw["access_token"]),
            access_token_secret=SecretStr(raw["access_token_secret"]),
        )
        platform = build_x_platform(
            AccountSettings(platform="x", handle="replybot", base_url=base_url),
            credentials,
            http=HttpOptions(read_timeout=READ_TIMEOUT),
            transport=transport,
            visibility_grace=GRACE,
            now=clock.now,
        )
        # The bot's history predates xbot: the ghost scan treats it as the baseline.
        account_id = add_account(engine, handle="replybot", created_at=START)
        harness = Posting(
            engine=engine,
            fake=fake,
            clock=clock,
            base_url=base_url,
            platform=platform,
            account_id=account_id,
        )
        harness._transport = transport
        yield harness
        platform.close()


class PostingAgainstFakeX:
    """The tests; subclasses choose how the adapter reaches the fake."""

    @pytest.fixture
    def x(self, engine: Engine, endpoint_for: EndpointFor) -> Iterator[Posting]:
        with posting_against_fake_x(engine, endpoint_for) as harness:
            yield harness

    def test_no_fault_posts_once(self, x: Posting) -> None:
        rows = x.permit()
        assert x.post()["status"] == "USED"
        x.assert_exactly_once()
        assert len(x.fake.requests(method="POST", path="/2/tweets")) == 1
        [posted] = events(x.engine, "reply_posted")
        assert posted["post_id"] == x.state(rows).actual_tweet_id

    def test_short_latency_is_just_slow(self, x: Posting) -> None:
        x.permit()
        x.fake.inject(CREATE, "latency", seconds=READ_TIMEOUT / 4)
        assert x.post()["status"] == "USED"
        x.assert_exactly_once()

    def test_latency_past_the_timeout_is_unknown_then_retried_once(self, x: Posting) -> None:
        rows = x.permit()
        x.fake.inject(CREATE, "latency", seconds=READ_TIMEOUT * 3)
        assert x.post()["status"] == "UNKNOWN"
        x.settle()
        permit = x.state(rows)
        assert (permit.status, permit.attempts) == (PermitStatus.USED, 2)
        x.assert_exactly_once()

    @pytest.mark.parametrize("status", [500, 502, 503, 504])
    def test_a_5xx_is_unknown_read_back_then_retried(self, x: Posting, status: int) -> None:
        rows = x.permit()
        x.fake.inject(CREATE, "status", status=status)
        assert x.post()["status"] == "UNKNOWN"
        x.clock.advance(GRACE.total_seconds() - 1)
        assert x.reconcile().waiting == 1  # absence proves nothing within the grace
        x.settle()
        assert x.state(rows).status is PermitStatus.USED
        assert len(events(x.engine, "permit_requeued")) == 1
        x.assert_exactly_once()

    def test_a_reset_is_unknown_and_never_re_sent_before_read_back(self, x: Posting) -> None:
        x.permit()
        x.fake.inject(CREATE, "reset")
        assert x.post()["status"] == "UNKNOWN"
        for _ in range(3):
            x.post()
        assert x.create_requests() == 1
        x.settle()
        x.assert_exactly_once()

    def test_a_429_waits_for_the_reset_time(self, x: Posting) -> None:
        rows = x.permit()
        x.fake.inject(CREATE, "status", status=429)
        assert x.post()["status"] == "PENDING"
        retry_at = x.state(rows).not_before
        assert retry_at is not None
        assert retry_at >= x.clock.now() + timedelta(minutes=14)
        x.clock.advance(60)
        assert x.post()["claimed"] == 0
        x.clock.advance((retry_at - x.clock.now()).total_seconds())
        assert x.post()["status"] == "USED"
        x.assert_exactly_once()

    def test_duplicate_content_of_our_own_reply_reconciles_it(self, x: Posting) -> None:
        rows = x.permit()
        # The reply landed earlier through a path whose answer was lost (another attempt).
        landed = x.fake.ghost(rows.text, in_reply_to=rows.target_post_id)
        assert x.post()["status"] == "UNKNOWN"
        assert str(x.state(rows).failure_reason).startswith("duplicate_content")
        x.reconcile()
        permit = x.state(rows)
        assert (permit.status, permit.reconciled, permit.actual_tweet_id) == (
            PermitStatus.USED,
            True,
            landed["id"],
        )
        x.assert_exactly_once()

    def test_duplicate_content_elsewhere_fails_after_max_attempts(self, x: Posting) -> None:
        rows = x.permit(text="An answer that was already used somewhere else.")
        x.fake.ghost(rows.text)  # the same words, posted outside xbot, not a reply
        x.settle()
        permit = x.state(rows)
        assert permit.status is PermitStatus.FAILED
        assert "duplicate_content" in str(permit.failure_reason)
        x.assert_exactly_once()
        ghost_scan.run_once(x.context())
        [ghost] = x.ghosts()
        assert ghost["classification"] == "matches_decision_text"

    @pytest.mark.parametrize("drop", [False, True])
    def test_accepted_then_timeout_is_found_by_read_back(self, x: Posting, drop: bool) -> None:
        rows = x.permit()
        x.fake.inject(CREATE, "accept_then_timeout", seconds=READ_TIMEOUT * 3, drop=drop)
        assert x.post()["status"] == "UNKNOWN"
        assert x.reconcile().reconciled == 1
        permit = x.state(rows)
        assert (permit.status, permit.reconciled, permit.attempts) == (PermitStatus.USED, True, 1)
        x.assert_exactly_once()
        assert x.create_requests() == 1

    def test_accepted_then_timeout_seen_late_ends_in_one_post(self, x: Posting) -> None:
        x.fake.configure(timeline_delay_seconds=90)  # own timeline lags beyond the grace
        rows = x.permit()
        x.fake.inject(CREATE, "accept_then_timeout", seconds=READ_TIMEOUT * 3)
        assert x.post()["status"] == "UNKNOWN"
        x.settle(step=10)
        permit = x.state(rows)
        assert (permit.status, permit.reconciled) == (PermitStatus.USED, True)
        x.assert_exactly_once()

    def test_every_fault_at_once_then_the_scan_finds_only_the_ghost(self, x: Posting) -> None:
        for number in range(8):
            x.permit(author=number % 5)
        for kind, options in [
            ("latency", {"seconds": READ_TIMEOUT * 3}),
            ("status", {"status": 503}),
            ("reset", {}),
            ("status", {"status": 429}),
            ("accept_then_timeout", {"seconds": READ_TIMEOUT * 3}),
            ("accept_then_timeout", {"seconds": READ_TIMEOUT * 3, "drop": True}),
            ("malformed", {"status": 201}),
        ]:
            x.fake.inject(CREATE, kind, **options)  # type: ignore[arg-type]
        ghost = x.fake.ghost("posted by hand, not by xbot")
        x.settle(step=60)
        assert x.fake.parts.faults.armed() == []  # every fault fired
        x.assert_exactly_once()
        assert {x.state(rows).status for rows in x.permits} == {PermitStatus.USED}
        x.clock.advance(3600)
        summary = ghost_scan.run_once(x.context())
        assert summary.ghosts == 1
        [found] = x.ghosts()
        assert (found["tweet_id"], found["classification"]) == (ghost["id"], "outside_xbot")
