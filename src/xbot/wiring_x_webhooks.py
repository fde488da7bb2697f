"""The composition of X webhooks on the web role: `/webhooks/x` routes, their secret and sink.

Served by the `web` and `all` roles when `[x_webhooks] enabled`; a verified delivery's post goes
through the fetch job's admit path (the one the streams share) with no platform adapter: the
account's X user id comes from the store, or from the delivery's subscription filter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from starlette.routing import Route

from xbot.config import secret_from_environment
from xbot.domain.errors import ConfigError, PlatformMisconfigured
from xbot.domain.posts import CandidateBatch, Post, Published, RateLimitState, ReplyTarget
from xbot.intake_x_webhooks import XWebhookIntake
from xbot.jobs import fetch
from xbot.jobs.base import Account, JobContext
from xbot.web.x_webhooks import webhook_routes

if TYPE_CHECKING:
    from xbot.serve import Service

#: the X credential whose value signs CRC answers and deliveries
SECRET_NAME = "consumer_secret"  # noqa: S105 - a credential's name, not its value


def x_webhook_routes(service: Service) -> list[Route]:
    """Return the `/webhooks/x` routes, or none (webhooks off, or a worker-only process)."""
    settings = service.settings
    if not settings.x_webhooks.enabled or service.role == "worker":
        return []
    accounts = [a for a in getattr(service, "accounts", []) if a.platform == "x"]
    sink = XWebhookIntake(
        consumer_secret=consumer_secret(accounts),
        accounts=accounts,
        admit=lambda account, post, user_id: admit_post(service, account, post, user_id),
    )
    return webhook_routes(sink)


def consumer_secret(accounts: Sequence[Account]) -> str:
    """Return the X app's consumer secret from the first X account that names one."""
    for account in accounts:
        variable = account.settings.credentials.get(SECRET_NAME)
        value = secret_from_environment(variable) if variable else None
        if value is not None:
            return value.get_secret_value()
    raise ConfigError(
        "x_webhooks.enabled needs the X app's consumer secret: name `consumer_secret` in an X "
        "account's [accounts.credentials] and set that environment variable"
    )


def admit_post(service: Service, account: Account, post: Post, user_id: str) -> int:
    """Admit one delivered post for `account` (a duplicate is a no-op); return how many were new.

    The post goes through the fetch job's own admit path (evaluate, one insert keyed by account
    and post id, the watermark left as it is), handed over by a platform that only returns it:
    the web role holds no adapter and never posts.
    """
    context = JobContext(
        store=service.store, settings=service.settings,
        worker=service.worker, now=datetime.now(UTC), account=account,
        platform_for=lambda _account: Delivered(post, user_id, account.handle),
    )  # fmt: skip
    return fetch.run_once(context).new


class Delivered:
    """A platform that hands the fetch path one delivered post and does nothing else."""

    name = "x"
    visibility_grace = timedelta(0)

    def __init__(self, post: Post, user_id: str, handle: str) -> None:
        self._post = post
        self._me = (user_id, handle)

    def whoami(self) -> tuple[str, str]:
        """Return the account's X user id (the delivery's filter) and handle."""
        return self._me

    def fetch_candidates(self, since: str | None) -> CandidateBatch:
        """Return the delivered post; no watermark, so the poll's stays where it is."""
        del since
        return CandidateBatch(posts=(self._post,), watermark=None)

    def publish_reply(self, target: ReplyTarget, text: str, idempotency_key: str) -> Published:
        """Never: the web role does not post."""
        del target, text, idempotency_key
        raise PlatformMisconfigured("the web role's webhook intake cannot post")

    def own_recent_posts(self, since: str | None = None, limit: int = 100) -> Sequence[Post]:
        """Nothing: only the delivered post is known here."""
        del since, limit
        return []

    def lookup_post(self, post_id: str) -> Post | None:
        """Only the delivered post."""
        return self._post if post_id == self._post.post_id else None

    def rate_limits(self) -> Mapping[str, RateLimitState]:
        """No calls, no limits."""
        return {}

    def close(self) -> None:
        """Nothing to release."""
