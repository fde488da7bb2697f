"""Bluesky-only admin routes under `/_sim/`: settings, limit overrides, session revocation.

- `POST /_sim/settings` `{"notification_delay_seconds": 0, "duplicate_rkey": "named", ...}`;
  `{"appview": false}` makes it a PDS with no AppView, `{"pds_endpoint": url}` names another
  PDS in the DID document.
- `POST /_sim/limits` `{"kind": "ip|login|write", "limit": 5, "window_seconds": 300}`
- `POST /_sim/revoke` `{"handle": "replybot"}`: every token of the account stops working.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from xbot.domain.errors import XbotError
from xbot.sim.bluesky.limits import Window
from xbot.sim.core.admin import admin_error, json_object

if TYPE_CHECKING:
    from xbot.sim.bluesky.backend import BlueskyBackend


def bluesky_admin_routes(fake: BlueskyBackend) -> list[BaseRoute]:
    """Return the Bluesky-only admin routes."""

    async def settings(request: Request) -> JSONResponse:
        try:
            changed = fake.configure(**await json_object(request))
        except (TypeError, XbotError) as exc:
            return admin_error(exc)
        return JSONResponse(asdict(changed))

    async def limits(request: Request) -> JSONResponse:
        try:
            body = await json_object(request)
            window = Window(limit=int(body["limit"]), seconds=int(body.get("window_seconds", 300)))
            fake.set_windows(str(body["kind"]), (window,))
        except (KeyError, TypeError, ValueError, XbotError) as exc:
            return admin_error(exc)
        return JSONResponse(
            {"kind": body["kind"], "limit": window.limit, "window_seconds": window.seconds}
        )

    async def revoke(request: Request) -> JSONResponse:
        try:
            actor = fake.store.actor(str((await json_object(request))["handle"]))
        except (KeyError, XbotError) as exc:
            return admin_error(exc)
        fake.auth.revoke(actor.did)
        return JSONResponse({"revoked": actor.handle})

    return [
        Route("/settings", settings, methods=["POST"]),
        Route("/limits", limits, methods=["POST"]),
        Route("/revoke", revoke, methods=["POST"]),
    ]
