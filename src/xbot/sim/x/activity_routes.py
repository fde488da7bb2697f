"""Routes of the fake X Activity API: subscriptions, the stream, and its admin surface.

- `POST /2/activity/subscriptions` `{"event_type", "filter": {"user_id"}, "tag"?, "webhook_id"?}`
  (the post events are private: the filtered user's own token), `GET` lists,
  `DELETE /2/activity/subscriptions/:id` removes; every answer carries `meta.total_subscriptions`.
- `GET /2/activity/stream`: see `xbot.sim.x.activity_stream`.
- Without the Activity API (`activity_api=False`) these answer X's 403 client-forbidden.
- Admin: `POST /_sim/activity` `{"action": "drop|lose|pause|resume|duplicate|reorder|slow",
  "count"?, "seconds"?}`; `GET /_sim/activity` -> subscriptions, stream state, webhook deliveries.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from xbot.domain.errors import XbotError
from xbot.sim.core.admin import admin_error, json_object
from xbot.sim.x import problems as x_problems
from xbot.sim.x.activity import POST_EVENTS, SubscriptionError
from xbot.sim.x.gate import Call, admit

if TYPE_CHECKING:
    from xbot.sim.x.backend import XBackend

_ID = re.compile(r"^[0-9]{1,19}$")


def activity_routes(fake: XBackend) -> list[BaseRoute]:
    """Return the Activity API and webhook routes on their real paths."""
    routes = _Subscriptions(fake)
    return [
        Route("/2/activity/subscriptions", routes.create, methods=["POST"]),
        Route("/2/activity/subscriptions", routes.list, methods=["GET"]),
        Route("/2/activity/subscriptions/{subscription_id}", routes.delete, methods=["DELETE"]),
        Route("/2/activity/stream", fake.stream.serve, methods=["GET"]),
        *fake.webhooks.routes(),
    ]


def activity_admin_routes(fake: XBackend) -> list[BaseRoute]:
    """Return `/_sim/activity`: stream faults and what was delivered."""

    async def act(request: Request) -> JSONResponse:
        try:
            body = await json_object(request)
            fake.stream.apply(
                str(body.get("action")),
                count=int(body.get("count", 1)),
                seconds=float(body.get("seconds", 0.0)),
            )
        except (TypeError, ValueError, XbotError) as exc:
            return admin_error(exc)
        return JSONResponse(fake.stream.view())

    async def view(request: Request) -> JSONResponse:
        del request
        return JSONResponse(
            {
                "subscriptions": [s.as_json() for s in fake.activity.subscriptions()],
                "stream": fake.stream.view(),
                "deliveries": [
                    {
                        "webhook_id": d.webhook_id,
                        "event_uuid": d.event_uuid,
                        "post_id": d.post_id,
                        "status": d.status,
                        "replay": d.replay,
                    }
                    for d in fake.webhooks.deliveries()
                ],
            }
        )

    return [
        Route("/activity", act, methods=["POST"]),
        Route("/activity", view, methods=["GET"]),
    ]


class _Subscriptions:
    def __init__(self, fake: XBackend) -> None:
        self.fake = fake

    async def create(self, request: Request) -> Response:
        call = await self._admit(request, "POST /2/activity/subscriptions")
        if isinstance(call, Response):
            return call
        body = _body(call)
        refusal = self._refusal(call, body)
        if refusal is not None:
            return refusal
        webhook_id = body.get("webhook_id")
        try:
            subscription = self.fake.activity.subscribe(
                event_type=str(body["event_type"]), user_id=_filter_user(body) or "",
                tag=None if body.get("tag") is None else str(body["tag"]),
                webhook_id=None if webhook_id is None else str(webhook_id),
            )  # fmt: skip
        except SubscriptionError as exc:
            return call.answer(exc.body, exc.status)
        return call.answer({"data": subscription.as_json(), "meta": self._meta()}, 200)

    def _refusal(self, call: Call, body: dict[str, Any]) -> Response | None:
        """X's answer to a subscription it does not create for this caller, or None."""
        event_type, user_id = body.get("event_type"), _filter_user(body)
        webhook_id = body.get("webhook_id")
        problem: tuple[str, object, str] | None = None
        if event_type not in POST_EVENTS:
            problem = (
                "event_type",
                event_type,
                f"event_type must be one of {', '.join(POST_EVENTS)}",
            )
        elif user_id is None or not _ID.match(user_id):
            problem = ("filter", user_id, "filter.user_id must be a user id")
        elif webhook_id is not None and self.fake.webhooks.get(str(webhook_id)) is None:
            problem = ("webhook_id", webhook_id, f"No webhook with id {webhook_id}")
        if problem is not None:
            name, value, message = problem
            return call.answer(x_problems.invalid_request(name, [str(value)], message), 400)
        if call.principal.user_id != user_id:  # private events: only the user's own token
            detail = "You are not authorized to subscribe to private events of this user."
            return call.answer(x_problems.forbidden(detail), 403)
        return None

    async def list(self, request: Request) -> Response:
        call = await self._admit(request, "GET /2/activity/subscriptions")
        if isinstance(call, Response):
            return call
        found = [s.as_json() for s in self.fake.activity.subscriptions()]
        body: dict[str, Any] = {"meta": self._meta()}
        if found:
            body["data"] = found
        return call.answer(body)

    async def delete(self, request: Request) -> Response:
        call = await self._admit(request, "DELETE /2/activity/subscriptions/:id")
        if isinstance(call, Response):
            return call
        subscription_id = request.path_params["subscription_id"]
        if not self.fake.activity.unsubscribe(subscription_id):
            detail = f"Could not find subscription with id: [{subscription_id}]."
            body = {
                "title": "Not Found Error",
                "detail": detail,
                "type": "about:blank",
                "status": 404,
            }
            return call.answer(body, 404)
        return call.answer({"data": {"deleted": True}, "meta": self._meta()})

    async def _admit(self, request: Request, endpoint: str) -> Call | Response:
        call = await admit(self.fake, request, endpoint, user_context=False)
        if isinstance(call, Response):
            return call
        if not self.fake.settings.activity_api:
            return call.answer(x_problems.client_forbidden(self.fake.auth.client_id), 403)
        if call.principal.kind == "app" and request.method == "POST":
            return call.answer(x_problems.unsupported_authentication(), 403)
        return call

    def _meta(self) -> dict[str, int]:
        return {"total_subscriptions": self.fake.activity.count()}


def _body(call: Call) -> dict[str, Any]:
    try:
        body = json.loads(call.body or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _filter_user(body: dict[str, Any]) -> str | None:
    found = body.get("filter")
    user_id = found.get("user_id") if isinstance(found, dict) else None
    return user_id if isinstance(user_id, str) else None
