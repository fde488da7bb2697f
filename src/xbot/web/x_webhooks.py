"""X Activity API webhooks on the `web` role: `GET|POST /webhooks/x`.

- `GET /webhooks/x?crc_token=T` (X's challenge-response check, at registration and hourly):
  `{"response_token": "sha256=<base64 HMAC-SHA256(consumer secret, T)>"}`.
- `POST /webhooks/x`: the body must carry `x-twitter-webhooks-signature` =
  `sha256=<base64 HMAC-SHA256(consumer secret, raw body)>`; a missing or forged signature is
  answered 401 and nothing is stored. A signed delivery is handed to the sink (wiring points it at
  intake's durable admit path), which stores its post before the 200 goes back, so X's replay of a
  window that was not answered 200 fills the gap.

The consumer secret is compared in constant time and never logged or echoed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Protocol

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from xbot.domain.errors import XbotError

WEBHOOK_PATH = "/webhooks/x"
SIGNATURE_HEADER = "x-twitter-webhooks-signature"
#: the largest delivery read (an event is a few kilobytes; the bridge caps bodies at 64 KiB)
MAX_DELIVERY_BYTES = 64 * 1024


class WebhookSink(Protocol):
    """Where verified X deliveries go (handed in by the composition root)."""

    def secret(self) -> str:
        """Return the X app consumer secret (API secret key): it signs CRC answers, deliveries."""
        ...

    def accept(self, body: bytes) -> int:
        """Store the post a verified delivery carries, durably; return how many were new.

        Raise ValueError for a body that is not an event, XbotError when it cannot be stored now.
        """
        ...


def response_token(secret: str, message: bytes) -> str:
    """Return `sha256=<base64 HMAC-SHA256(secret, message)>`, X's CRC and signature format."""
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def signature_valid(secret: str, body: bytes, presented: str | None) -> bool:
    """Whether `presented` is X's signature of `body` (constant-time comparison)."""
    if not presented:
        return False
    return hmac.compare_digest(response_token(secret, body).encode(), presented.encode())


def webhook_routes(sink: WebhookSink) -> list[Route]:
    """Return the CRC and delivery routes for X webhooks."""

    async def crc(request: Request) -> Response:
        token = request.query_params.get("crc_token")
        if not token:
            return JSONResponse({"error": "crc_token is required"}, status_code=400)
        return JSONResponse({"response_token": response_token(sink.secret(), token.encode())})

    async def deliver(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_DELIVERY_BYTES:
            return JSONResponse({"error": "delivery too large"}, status_code=413)
        if not signature_valid(sink.secret(), body, request.headers.get(SIGNATURE_HEADER)):
            return JSONResponse({"error": "missing or invalid signature"}, status_code=401)
        try:
            stored = await run_in_threadpool(sink.accept, body)
        except ValueError as exc:  # signed by X but unreadable: a replay would not help
            return JSONResponse({"error": f"unreadable delivery: {exc}"[:200]}, status_code=400)
        except XbotError as exc:
            # not answered 200: X's replay of this window delivers it again
            return JSONResponse({"error": str(exc)}, status_code=503)
        return JSONResponse({"stored": stored})

    return [
        Route(WEBHOOK_PATH, crc, methods=["GET"]),
        Route(WEBHOOK_PATH, deliver, methods=["POST"]),
    ]
