"""The fake Jetstream's websocket and its admin routes (the log itself is `jetstream`).

    ws://<fake>/subscribe?wantedCollections=app.bsky.feed.post&wantedDids=did:plc:…&cursor=<time_us>

The real Jetstream is its own host (`wss://jetstream2.us-east.bsky.network`); the fake serves it
on the fake Bluesky's own port. Without `cursor` a consumer gets live events only; with one it
first gets every logged event at or after it (oldest logged first), then live events.
`wantedCollections` and `wantedDids` repeat and filter as on the real service. Not supported:
`compress=true` (zstd frames; the handshake is refused with 403), `requireHello` and the
`options_update` message (messages from the consumer are read and ignored).

Admin (under `/_sim/`): `GET /_sim/jetstream` the log's state; `DELETE /_sim/jetstream` clears
the faults; `POST /_sim/jetstream` `{"fault": …}` with one of
`drop` (`lose`?: bool, `refuse_seconds`?: s), `pause` (`seconds`?: s, default until `resume`),
`resume`, `duplicate` (`count`), `reorder` (`count`), `slow` (`seconds`, `max_backlog`?).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from xbot.domain.errors import XbotError
from xbot.sim.bluesky.jetstream import JetEvent, JetstreamLog, Subscriber, wanted
from xbot.sim.core.admin import AdminError, admin_error, json_object

SUBSCRIBE_PATH = "/subscribe"
#: how often an idle connection looks at the clock (pauses ending, drops)
IDLE_SECONDS = 0.25
#: close codes: server error (a dropped connection), policy violation (a slow consumer)
DROPPED, TOO_SLOW = 1011, 1008


def jetstream_routes(log: JetstreamLog, tick: Callable[[], None] = lambda: None) -> list[BaseRoute]:
    """Return the websocket route `/subscribe`.

    `tick` runs whenever a connection is idle (every `IDLE_SECONDS`): the fake's traffic
    generator creates the posts due by then, so they are published without any other request.
    """

    async def subscribe(websocket: WebSocket) -> None:
        params = websocket.query_params
        try:
            cursor = _cursor(params.get("cursor"))
        except ValueError:
            await websocket.close(code=TOO_SLOW, reason="cursor must be a time_us integer")
            return
        joined = None if params.get("compress") == "true" else log.connect(cursor)
        if joined is None:  # refused (a fault) or compression asked: 403 at the handshake
            await websocket.close()
            return
        subscriber, replay, position = joined
        match = _matcher(params.getlist("wantedCollections"), params.getlist("wantedDids"))
        await websocket.accept()
        reader = asyncio.create_task(_read_until_closed(websocket, subscriber))
        try:
            await _deliver(
                websocket, log=log, subscriber=subscriber, pending=deque(filter(match, replay)),
                position=position, match=match, tick=tick,
            )  # fmt: skip
        except (WebSocketDisconnect, OSError, RuntimeError):
            pass  # the consumer went away
        finally:
            reader.cancel()
            log.disconnect(subscriber)

    return [WebSocketRoute(SUBSCRIBE_PATH, subscribe)]


def _cursor(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    return int(raw)


def _matcher(collections: list[str], dids: list[str]) -> Callable[[JetEvent], bool]:
    return lambda event: wanted(event, collections, dids)


async def _read_until_closed(websocket: WebSocket, subscriber: Subscriber) -> None:
    try:
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass  # options_update and the like: ignored
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass
    finally:
        subscriber.closed = True
        subscriber.wake.set()


async def _deliver(  # noqa: PLR0913 - one connection's state
    websocket: WebSocket,
    *,
    log: JetstreamLog,
    subscriber: Subscriber,
    pending: deque[JetEvent],
    position: int,
    match: Callable[[JetEvent], bool],
    tick: Callable[[], None],
) -> None:
    while not subscriber.closed:
        subscriber.wake.clear()
        if log.dropped(subscriber):
            await websocket.close(code=DROPPED, reason="connection dropped by the fake")
            return
        fresh = log.since(position)
        if fresh:
            position = fresh[-1].seq
            pending.extend(filter(match, fresh))
        faults = log.faults
        if faults.slow_seconds and faults.max_backlog and len(pending) > faults.max_backlog:
            await websocket.close(code=TOO_SLOW, reason="consumer too slow")
            return
        if pending and not log.paused():
            await websocket.send_text(pending.popleft().text)
            if faults.slow_seconds:
                await asyncio.sleep(faults.slow_seconds)
            continue
        try:
            await asyncio.wait_for(subscriber.wake.wait(), timeout=IDLE_SECONDS)
        except TimeoutError:
            tick()


def jetstream_admin_routes(log: JetstreamLog) -> list[BaseRoute]:
    """Return `/jetstream` for the admin mount: state, faults, clearing them."""

    async def state(request: Request) -> JSONResponse:
        del request
        return JSONResponse(log.describe())

    async def fault(request: Request) -> JSONResponse:
        try:
            apply_fault(log, await json_object(request))
        except (KeyError, TypeError, ValueError, XbotError) as exc:
            return admin_error(exc)
        return JSONResponse(log.describe(), status_code=201)

    async def clear(request: Request) -> JSONResponse:
        del request
        log.clear_faults()
        return JSONResponse(log.describe())

    return [
        Route("/jetstream", state, methods=["GET"]),
        Route("/jetstream", fault, methods=["POST"]),
        Route("/jetstream", clear, methods=["DELETE"]),
    ]


def apply_fault(log: JetstreamLog, body: dict[str, Any]) -> None:
    """Arm one fault from an admin request body; raise AdminError for an unknown one."""
    kind = body.get("fault")
    seconds = body.get("seconds")
    if kind == "drop":
        refuse = float(body.get("refuse_seconds", 0))
        log.drop(lose=bool(body.get("lose", False)), refuse_seconds=refuse)
    elif kind == "pause":
        log.pause(None if seconds is None else float(seconds))
    elif kind == "resume":
        log.resume()
    elif kind == "duplicate":
        log.deliver_twice(int(body.get("count", 1)))
    elif kind == "reorder":
        log.deliver_out_of_order(int(body.get("count", 2)))
    elif kind == "slow":
        log.slow(float(seconds or 0), int(body.get("max_backlog", 0)))
    else:
        kinds = "drop, pause, resume, duplicate, reorder, slow"
        raise AdminError(f"unknown Jetstream fault {kind!r}; use one of {kinds}")
