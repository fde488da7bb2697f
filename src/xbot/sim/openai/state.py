"""The fake OpenAI endpoint's switchable state and its admin API (/_sim/openai/...)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from xbot.sim.openai.attacks import ATTACKS

MODES = ("normal", "adversarial", "error_401", "error_429", "error_500", "slow")
MODELS = ("gpt-4o-mini", "sim-gpt")


@dataclass
class OpenAIState:
    """The fake's switchable behaviour and its request log."""

    seed: int
    api_key: str
    models: tuple[str, ...] = MODELS
    mode: str = "normal"
    delay_seconds: float = 2.0
    attack: str | None = None
    #: the classes adversarial mode rotates over; empty means all
    attacks: tuple[str, ...] = ()
    #: the secret the configured_key class leaks; empty means the API key presented
    leak: str = ""
    served: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)


def json_response(
    data: object, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """Return a JSON response; ASCII-escaped so a lone surrogate (an attack) stays encodable."""
    # ensure_ascii keeps a lone surrogate (an attack) encodable, as OpenAI's own JSON does
    body = json.dumps(data, ensure_ascii=True)
    return Response(body, status_code=status, media_type="application/json", headers=headers)


async def set_mode(state: OpenAIState, request: Request) -> Response:
    """POST /_sim/openai/mode: switch the mode, pin or rotate attacks, set the leak."""
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or body.get("mode") not in MODES:
        return json_response({"error": f"mode must be one of {', '.join(MODES)}"}, 400)
    pinned, rotated, leak = body.get("attack"), body.get("attacks", []), body.get("leak", "")
    if pinned is not None and pinned not in ATTACKS:
        return json_response({"error": f"attack must be one of {', '.join(ATTACKS)}"}, 400)
    if not isinstance(rotated, list) or not set(rotated) <= set(ATTACKS):
        return json_response({"error": f"attacks must be a list of {', '.join(ATTACKS)}"}, 400)
    if not isinstance(leak, str):
        return json_response({"error": "leak must be a string"}, 400)
    state.mode, state.attack, state.attacks = body["mode"], pinned, tuple(rotated)
    state.leak = leak or state.leak
    state.delay_seconds = float(body.get("delay_seconds", state.delay_seconds))
    return await get_mode(state, request)


async def get_mode(state: OpenAIState, _request: Request) -> Response:
    """GET /_sim/openai/mode: the mode and the attack classes."""
    return json_response(
        {
            "mode": state.mode,
            "delay_seconds": state.delay_seconds,
            "attack": state.attack,
            "rotation": list(state.attacks or ATTACKS),
            "attacks": list(ATTACKS),
        }
    )


async def show_requests(state: OpenAIState, _request: Request) -> Response:
    """GET /_sim/openai/requests: the request log, newest last."""
    return json_response({"requests": state.requests})


async def reset(state: OpenAIState, request: Request) -> Response:
    """POST /_sim/openai/reset: normal mode, no pinned attack, an empty log (the leak stays)."""
    state.mode, state.attack, state.served, state.delay_seconds = "normal", None, 0, 2.0
    state.attacks = ()
    state.requests.clear()
    return await get_mode(state, request)
