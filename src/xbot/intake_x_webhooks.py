"""X webhook deliveries into intake: the sink the web role's `/webhooks/x` hands verified bodies to.

A delivery is one Activity API event. Its `filter.user_id` names our account (by the account's
stored X user id, else by the @mention of it the post carries); the post is read with the same
parser as the stream and the mentions poll (`xbot.platforms.x.events`), so it is stored under the
same id, and admitted through the fetch job's path: a duplicate or a replay is a no-op.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import structlog

from xbot.domain.posts import Post
from xbot.jobs.base import Account
from xbot.platforms.x.events import parse_event
from xbot.platforms.x.posts import MalformedError, Me

log = structlog.get_logger("xbot.intake.x_webhooks")

#: stores one post for one account (whose X user id is given) through intake's admit path;
#: returns how many were new
AdmitPost = Callable[[Account, Post, str], int]


class XWebhookIntake:
    """Verified X deliveries to candidates (implements xbot.web.x_webhooks.WebhookSink)."""

    def __init__(
        self, *, consumer_secret: str, accounts: Sequence[Account], admit: AdmitPost
    ) -> None:
        self._secret = consumer_secret
        self._accounts = [account for account in accounts if account.platform == "x"]
        self._admit = admit

    def secret(self) -> str:
        """Return the X app's consumer secret."""
        return self._secret

    def accept(self, body: bytes) -> int:
        """Store the post the delivery carries when it summons one of our X accounts."""
        data = _data(body)
        account = self._account(data)
        if account is None:
            log.info("x_webhook_not_ours", event_type=str(data.get("event_type", ""))[:40])
            return 0
        me = Me(user_id=_filter_user(data), handle=account.handle)
        event = parse_event(body, me)
        if event is None or event.post is None:
            return 0
        return self._admit(account, event.post, me.user_id)

    def _account(self, data: dict[str, Any]) -> Account | None:
        user_id = _filter_user(data)
        for account in self._accounts:
            if account.platform_user_id == user_id:
                return account
        mentioned = _mentioned_handle(data, user_id)
        for account in self._accounts:
            if account.platform_user_id is None and account.handle.lower() == mentioned:
                return account
        return None


def _data(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except ValueError as exc:
        raise MalformedError(f"the delivery is not JSON: {exc}") from None
    data = parsed.get("data") if isinstance(parsed, dict) else None
    if not isinstance(data, dict):
        raise MalformedError("the delivery has no `data` object")
    return data


def _filter_user(data: dict[str, Any]) -> str:
    found = data.get("filter")
    return str(found.get("user_id", "")) if isinstance(found, dict) else ""


def _mentioned_handle(data: dict[str, Any], user_id: str) -> str | None:
    payload = data.get("payload")
    entities = payload.get("entities") if isinstance(payload, dict) else None
    mentions = entities.get("mentions") if isinstance(entities, dict) else None
    for mention in mentions if isinstance(mentions, list) else []:
        if isinstance(mention, dict) and str(mention.get("id")) == user_id:
            return str(mention.get("username", "")).lower() or None
    return None
