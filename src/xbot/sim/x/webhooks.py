"""Webhooks of the fake X: registration with a CRC check, signed delivery, replay.

- `POST /2/webhooks` `{"url"}`: X sends `GET <url>?crc_token=…` and expects
  `{"response_token": "sha256=<base64 HMAC-SHA256(consumer secret, crc_token)>"}`; a wrong answer
  refuses the webhook. `GET /2/webhooks` lists, `PUT /2/webhooks/:id` re-checks, `DELETE` removes.
- Each event of a subscription with a `webhook_id` is POSTed to the webhook's URL with
  `x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256(consumer secret, body)>`, in order,
  from one background thread; a failed delivery is recorded and not retried (replay recovers it).
- `POST /2/webhooks/replay` `{"webhook_id", "from_date", "to_date"}` (UTC `yyyymmddhhmm`, both
  minutes included) re-delivers the window's events.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import queue
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx2
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from xbot.sim.x import problems as x_problems
from xbot.sim.x.activity import Event
from xbot.sim.x.gate import Call, admit
from xbot.sim.x.shapes import x_time

if TYPE_CHECKING:
    from xbot.sim.x.backend import XBackend

SIGNATURE_HEADER = "x-twitter-webhooks-signature"
#: X waits this long for a webhook to answer
DELIVERY_TIMEOUT_SECONDS = 10.0
_MINUTE = "%Y%m%d%H%M"


def signature(secret: str, message: bytes) -> str:
    """Return `sha256=<base64 HMAC-SHA256(secret, message)>`, X's CRC and signature format."""
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


@dataclass(kw_only=True, slots=True)
class Webhook:
    """One registered webhook."""

    webhook_id: str
    url: str
    valid: bool
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        """Return the webhook as X renders it."""
        return {
            "id": self.webhook_id,
            "url": self.url,
            "valid": self.valid,
            "created_at": x_time(self.created_at),
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class Delivery:
    """One POST to a webhook and how it went (status None: no answer)."""

    webhook_id: str
    event_uuid: str
    post_id: str
    status: int | None
    replay: bool


class Webhooks:
    """The app's webhooks and the thread that delivers to them."""

    def __init__(self, fake: XBackend) -> None:
        self.fake = fake
        self._lock = threading.Lock()
        self._webhooks: dict[str, Webhook] = {}
        self._deliveries: list[Delivery] = []
        self._outbox: queue.Queue[tuple[Event, bool]] = queue.Queue()
        self._thread: threading.Thread | None = None

    def reset(self) -> None:
        """Forget every webhook and delivery."""
        with self._lock:
            self._webhooks.clear()
            self._deliveries.clear()

    def deliveries(self) -> list[Delivery]:
        """Every delivery attempt so far, oldest first."""
        with self._lock:
            return list(self._deliveries)

    def get(self, webhook_id: str) -> Webhook | None:
        """Return a webhook by id."""
        with self._lock:
            return self._webhooks.get(webhook_id)

    def deliver(self, event: Event, *, replay: bool = False) -> None:
        """Queue one event for its webhook (events without one are ignored)."""
        if event.webhook_id is None:
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, daemon=True, name="fake-x-webhooks"
                )
                self._thread.start()
        self._outbox.put((event, replay))

    def crc_valid(self, url: str) -> bool:
        """Send X's CRC challenge to `url`; True when the answer proves the consumer secret."""
        token = secrets.token_urlsafe(24)
        try:
            answer = httpx2.get(url, params={"crc_token": token}, timeout=DELIVERY_TIMEOUT_SECONDS)
            given = answer.json().get("response_token") if answer.status_code == 200 else None
        except (httpx2.HTTPError, ValueError, AttributeError):
            return False
        return given == signature(self.fake.auth.consumer_secret, token.encode())

    def routes(self) -> list[BaseRoute]:
        """Return the `/2/webhooks` routes."""
        return [
            Route("/2/webhooks", self._create, methods=["POST"]),
            Route("/2/webhooks", self._list, methods=["GET"]),
            Route("/2/webhooks/replay", self._replay, methods=["POST"]),
            Route("/2/webhooks/{webhook_id}", self._validate, methods=["PUT"]),
            Route("/2/webhooks/{webhook_id}", self._delete, methods=["DELETE"]),
        ]

    # --- routes ---

    async def _create(self, request: Request) -> Response:
        call = await admit(self.fake, request, "POST /2/webhooks", user_context=False)
        if isinstance(call, Response):
            return call
        url = str(_json(call).get("url") or "")
        refusal = self._check_url(url)
        if refusal is not None:
            return call.answer(x_problems.invalid_request("url", [url], refusal), 400)
        if not await asyncio.to_thread(self.crc_valid, url):
            message = "CRC validation failed: the webhook did not answer with a valid token"
            return call.answer(x_problems.invalid_request("url", [url], message), 400)
        now = self.fake.clock.now()
        webhook = Webhook(webhook_id=_snowflake(now), url=url, valid=True, created_at=now)
        with self._lock:
            self._webhooks[webhook.webhook_id] = webhook
        return call.answer({"data": webhook.as_json()})

    async def _list(self, request: Request) -> Response:
        call = await admit(self.fake, request, "GET /2/webhooks", user_context=False)
        if isinstance(call, Response):
            return call
        with self._lock:
            hooks = [hook.as_json() for hook in self._webhooks.values()]
        return call.answer({"data": hooks, "meta": {"result_count": len(hooks)}})

    async def _validate(self, request: Request) -> Response:
        call = await admit(self.fake, request, "PUT /2/webhooks/:id", user_context=False)
        if isinstance(call, Response):
            return call
        webhook = self.get(request.path_params["webhook_id"])
        if webhook is None:
            return call.answer(_no_webhook(request.path_params["webhook_id"]), 404)
        webhook.valid = await asyncio.to_thread(self.crc_valid, webhook.url)
        return call.answer({"data": {"attempted": True}})

    async def _delete(self, request: Request) -> Response:
        call = await admit(self.fake, request, "DELETE /2/webhooks/:id", user_context=False)
        if isinstance(call, Response):
            return call
        with self._lock:
            removed = self._webhooks.pop(request.path_params["webhook_id"], None)
        if removed is None:
            return call.answer(_no_webhook(request.path_params["webhook_id"]), 404)
        return call.answer({"data": {"deleted": True}})

    async def _replay(self, request: Request) -> Response:
        call = await admit(self.fake, request, "POST /2/webhooks/replay", user_context=False)
        if isinstance(call, Response):
            return call
        body = _json(call)
        webhook_id = str(body.get("webhook_id") or "")
        if self.get(webhook_id) is None:
            return call.answer(_no_webhook(webhook_id), 404)
        try:
            start = _minute(body.get("from_date"))
            end = _minute(body.get("to_date")) + timedelta(minutes=1)
        except ValueError:
            dates = [str(body.get("from_date")), str(body.get("to_date"))]
            message = "from_date and to_date must be UTC timestamps in yyyymmddhhmm format"
            return call.answer(x_problems.invalid_request("from_date", dates, message), 400)
        for event in self.fake.activity.events_between(webhook_id, start, end):
            self.deliver(event, replay=True)
        now = self.fake.clock.now()
        return call.answer({"created_at": x_time(now), "job_id": _snowflake(now)})

    # --- delivery ---

    def _run(self) -> None:
        with httpx2.Client(timeout=DELIVERY_TIMEOUT_SECONDS) as client:
            while True:
                event, replay = self._outbox.get()
                self._post(client, event, replay=replay)

    def _post(self, client: httpx2.Client, event: Event, *, replay: bool) -> None:
        webhook = self.get(event.webhook_id or "")
        if webhook is None:
            return
        headers = {
            "content-type": "application/json",
            SIGNATURE_HEADER: signature(self.fake.auth.consumer_secret, event.body),
        }
        status: int | None = None
        try:
            status = client.post(webhook.url, content=event.body, headers=headers).status_code
        except httpx2.HTTPError:
            status = None
        if status is not None and 200 <= status < 300:
            self.fake.charge_reads([event.post_id], owned=False, now=self.fake.clock.now())
        delivery = Delivery(
            webhook_id=webhook.webhook_id, event_uuid=event.event_uuid, post_id=event.post_id,
            status=status, replay=replay,
        )  # fmt: skip
        with self._lock:
            self._deliveries.append(delivery)

    def _check_url(self, url: str) -> str | None:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            return "The webhook url must be an absolute URL"
        if self.fake.settings.webhook_require_https and (parts.scheme != "https" or parts.port):
            return "The webhook url must use https and must not name a port"
        return None


def _json(call: Call) -> Mapping[str, Any]:
    try:
        body = json.loads(call.body or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _minute(raw: object) -> datetime:
    text = str(raw or "")
    if len(text) != len("yyyymmddhhmm") or not text.isdigit():
        raise ValueError(text)
    return datetime.strptime(text, _MINUTE).replace(tzinfo=UTC)


def _snowflake(now: datetime) -> str:
    return str(((int(now.timestamp() * 1000) - 1288834974657) << 22) | secrets.randbelow(4096))


def _no_webhook(webhook_id: str) -> dict[str, Any]:
    detail = f"Could not find webhook with id: [{webhook_id}]."
    return {"title": "Not Found Error", "detail": detail, "type": "about:blank", "status": 404}
