r"""Text as a platform stores it: well-formed Unicode, whatever a test or a client sends.

A JSON body may carry a lone UTF-16 surrogate (`"\\ud800"`); Python decodes it into a `str`
that cannot be encoded as UTF-8, so a fake that stored it as-is failed on every later answer
that included the post. The real platforms store UTF-8, where a lone surrogate cannot exist.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def well_formed(text: str) -> str:
    """Return `text` with surrogate pairs joined and each lone surrogate replaced by U+FFFD."""
    if text.isascii():
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def well_formed_value(value: Any) -> Any:
    """Return a JSON-like value with every string in it (keys too) made well-formed."""
    if isinstance(value, str):
        return well_formed(value)
    if isinstance(value, dict):
        return {well_formed_value(key): well_formed_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [well_formed_value(item) for item in value]
    return value


class WellFormedJsonBodies:
    """ASGI middleware: a JSON request body reaches the app with every string well-formed.

    For a third-party app (mastodon-mock) that would otherwise fail on writing a lone
    surrogate to its database, and fail again on every later read of it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, its JSON body rewritten when it held a lone surrogate."""
        if scope["type"] != "http" or b"json" not in _header(scope, b"content-type"):
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        fixed = _well_formed_json(body)
        headers = [(key, value) for key, value in scope["headers"] if key != b"content-length"]
        headers.append((b"content-length", str(len(fixed)).encode()))
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": fixed, "more_body": False}

        await self.app({**scope, "headers": headers}, replay, send)


def _header(scope: Scope, name: bytes) -> bytes:
    return next((value.lower() for key, value in scope["headers"] if key == name), b"")


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _well_formed_json(body: bytes) -> bytes:
    try:
        value = json.loads(body)
    except ValueError:
        return body  # not JSON after all: the app answers it as it would
    fixed = well_formed_value(value)
    return body if fixed == value else json.dumps(fixed).encode()
