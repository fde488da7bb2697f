"""An in-memory Platform for the posting tests: scriptable faults, duplicates, late visibility.

It follows the xbot.domain.ports.Platform protocol and behaves like X where it matters: identical
text from the account is refused as duplicate content, and a post may exist before reads show it.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from xbot.domain import errors
from xbot.domain.posts import CandidateBatch, Post, PostId, Published, RateLimitState, ReplyTarget

#: faults raised before anything is created: the post surely does not exist
FAULTS_BEFORE: dict[str, Callable[[], Exception]] = {
    "transient": lambda: errors.Transient("connection refused"),
    "rate_limited": lambda: errors.RateLimited("429", reset_at=None),
    "auth": lambda: errors.AuthFailed(status=401),
    "credits": lambda: errors.CreditsDepleted(status=402),
    "forbidden": lambda: errors.ForbiddenByPolicy("not summoned", status=403),
    "not_found": lambda: errors.NotFound(status=404),
    "ambiguous": lambda: errors.Ambiguous("reset before the request was read"),
    "bad_response": lambda: errors.BadResponse("502 html page"),
    "unexpected": lambda: KeyError("data"),
}
#: faults raised after the post was created: the client cannot tell
FAULTS_AFTER: dict[str, Callable[[], Exception]] = {
    "accepted_then_timeout": lambda: errors.Ambiguous("read timeout after send"),
    "accepted_then_5xx": lambda: errors.Ambiguous("503 after commit"),
    "hidden_then_timeout": lambda: errors.Ambiguous("read timeout after send"),
}
#: the post is created but reads do not show it until reveal() (visibility delay)
HIDDEN = {"hidden", "hidden_then_timeout"}


@dataclass(frozen=True, kw_only=True, slots=True)
class PublishCall:
    """One call of publish_reply, as the platform saw it."""

    target_post_id: str
    text: str
    idempotency_key: str


class FakePlatform:
    """One account on a fake platform, shared safely by several worker threads."""

    name = "x"
    #: post ids are unique across every fake account, as X's are
    _ids = itertools.count(1_000_000)

    def __init__(
        self,
        *,
        visibility_grace: timedelta = timedelta(seconds=30),
        clock: Callable[[], datetime] | None = None,
        user_id: str = "1000",
        handle: str = "bot",
    ) -> None:
        self.visibility_grace = visibility_grace
        self.clock = clock or (lambda: datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
        self.user_id = user_id
        self.handle = handle
        self.rejects_duplicates = True
        self.posts: list[Post] = []
        self.hidden: set[str] = set()
        self.calls: list[PublishCall] = []
        self.faults: list[str] = []
        self.read_faults: list[Exception] = []
        #: picks a fault for a publish call when none is queued (seeded chaos); None for none
        self.fault_picker: Callable[[], str | None] | None = None
        #: seconds each publish takes, outside the lock, so concurrent workers overlap
        self.latency = 0.0
        self._lock = threading.Lock()

    def inject(self, *faults: str) -> None:
        """Queue faults; each publish_reply call consumes one."""
        with self._lock:
            self.faults.extend(faults)

    def _pick_fault(self) -> str | None:
        return self.fault_picker() if self.fault_picker else None

    def whoami(self) -> tuple[str, str]:
        return self.user_id, self.handle

    def fetch_candidates(self, since: str | None) -> CandidateBatch:
        return CandidateBatch(posts=(), watermark=since)

    def publish_reply(self, target: ReplyTarget, text: str, idempotency_key: str) -> Published:
        time.sleep(self.latency)
        with self._lock:
            self.calls.append(
                PublishCall(
                    target_post_id=target.post_id, text=text, idempotency_key=idempotency_key
                )
            )
            fault = self.faults.pop(0) if self.faults else self._pick_fault()
            if fault in FAULTS_BEFORE:
                error = FAULTS_BEFORE[fault]()
                raise error
            if self.rejects_duplicates and any(post.text == text for post in self.posts):
                raise errors.DuplicateContent(status=403)
            post = self._create(text, target.post_id, hidden=fault in HIDDEN)
            if fault in FAULTS_AFTER:
                error = FAULTS_AFTER[fault]()
                raise error
            return Published(post_id=post.post_id, created_at=post.created_at)

    def own_recent_posts(self, since: str | None = None, limit: int = 100) -> Sequence[Post]:
        with self._lock:
            if self.read_faults:
                raise self.read_faults.pop(0)
            visible = [post for post in self.posts if post.post_id not in self.hidden]
        if since is not None:
            visible = [post for post in visible if int(post.post_id) > int(since)]
        return sorted(visible, key=lambda post: int(post.post_id), reverse=True)[:limit]

    def lookup_post(self, post_id: str) -> Post | None:
        return next((post for post in self.posts if post.post_id == post_id), None)

    def rate_limits(self) -> Mapping[str, RateLimitState]:
        return {}

    def close(self) -> None:
        return None

    # --- what tests do to the world ---

    def post_outside_xbot(
        self, text: str, in_reply_to: str | None = None, created_at: datetime | None = None
    ) -> Post:
        """Publish a post the way a person or another tool would: a ghost to xbot."""
        with self._lock:
            return self._create(text, in_reply_to, hidden=False, created_at=created_at)

    def reveal(self) -> None:
        """Make every hidden post visible to reads."""
        with self._lock:
            self.hidden.clear()

    def replies_to(self, target_post_id: str) -> list[Post]:
        """Return every post that replies to the target, visible or not."""
        return [post for post in self.posts if post.in_reply_to_post_id == target_post_id]

    def _create(
        self,
        text: str,
        in_reply_to: str | None,
        *,
        hidden: bool,
        created_at: datetime | None = None,
    ) -> Post:
        post = Post(
            post_id=PostId(str(next(self._ids))),
            author_id=self.user_id,
            author_handle=self.handle,
            text=text,
            created_at=created_at or self.clock(),
            in_reply_to_post_id=in_reply_to,
        )
        self.posts.append(post)
        if hidden:
            self.hidden.add(post.post_id)
        return post
