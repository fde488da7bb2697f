"""A fake OpenAI-compatible chat endpoint, for the `llm` generator's tests and the demo.

    app = create_app(seed=7, api_key="sk-sim")
    POST /v1/chat/completions   GET /v1/models          (Bearer key; OpenAI's shapes)
    POST /_sim/openai/mode {"mode": "normal|adversarial|error_401|error_429|error_500|slow",
                            "delay_seconds"?: 2.0, "attack"?: "<class>",
                            "attacks"?: ["<class>", ...], "leak"?: "<secret>"}
    GET  /_sim/openai/mode      GET /_sim/openai/requests      POST /_sim/openai/reset

Replies are deterministic: derived from a hash of the seed and the last user message, and they
name the post's topic. In `adversarial` mode every reply is hostile (xbot.sim.openai.attacks):
the configured key (or the "leak" given) in disguise, invented credentials, random tokens,
links in any spelling, foreign mentions, disguised instructions to readers or to the bot
(override, authority, credentials, DMs, payments, follows, role play), the system prompt,
over-length text and forbidden characters. The classes rotate (over "attacks" when given), or
one is pinned with "attack"; each reply is a fresh seeded variant of its class. The request log
records which class answered which request.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import re
from collections.abc import Mapping
from functools import partial
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from xbot.sim.openai.attacks import ATTACKS, AttackContext, attack
from xbot.sim.openai.replies import BODIES, OPENERS
from xbot.sim.openai.state import (
    MODELS,
    MODES,
    OpenAIState,
    get_mode,
    json_response,
    reset,
    set_mode,
    show_requests,
)

__all__ = ["MODELS", "MODES", "OpenAIState", "create_app"]

CREATED = 1_767_225_600  # a fixed epoch second, so responses are reproducible
REQUEST_LOG_SIZE = 200


def create_app(
    *, seed: int = 0, api_key: str = "sk-sim", models: tuple[str, ...] = MODELS, leak: str = ""
) -> Starlette:
    """Return the fake endpoint as a Starlette app; an empty api_key accepts any caller."""
    state = OpenAIState(seed=seed, api_key=api_key, models=models, leak=leak)
    app = Starlette(
        routes=[
            Route("/v1/chat/completions", partial(_chat, state), methods=["POST"]),
            Route("/v1/models", partial(_models, state), methods=["GET"]),
            Route("/_sim/openai/mode", partial(set_mode, state), methods=["POST"]),
            Route("/_sim/openai/mode", partial(get_mode, state), methods=["GET"]),
            Route("/_sim/openai/requests", partial(show_requests, state), methods=["GET"]),
            Route("/_sim/openai/reset", partial(reset, state), methods=["POST"]),
        ]
    )
    app.state.openai = state
    return app


def _error(
    status: int, message: str, kind: str, code: str | None, param: str | None = None
) -> Response:
    error = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return json_response(error, status)


def _auth_error(state: OpenAIState, request: Request) -> Response | None:
    header = request.headers.get("authorization", "")
    if state.mode != "error_401" and (not state.api_key or header == f"Bearer {state.api_key}"):
        return None
    if not header.startswith("Bearer ") or not header[7:].strip():
        message = (
            "You didn't provide an API key. You need to provide your API key in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
        )
        return _error(401, message, "invalid_request_error", None)
    given = header[7:].strip()
    masked = f"{given[:3]}{'*' * 8}{given[-4:]}" if len(given) > 8 else "*" * len(given)
    message = (
        f"Incorrect API key provided: {masked}. You can find your API key at "
        "https://platform.openai.com/account/api-keys."
    )
    return _error(401, message, "invalid_request_error", "invalid_api_key")


def _mode_error(state: OpenAIState) -> Response | None:
    if state.mode == "error_429":
        message = "Rate limit reached for requests. Please try again in 20s."
        response = _error(429, message, "requests", "rate_limit_exceeded")
        response.headers.update(
            {
                "retry-after": "20",
                "x-ratelimit-limit-requests": "60",
                "x-ratelimit-remaining-requests": "0",
                "x-ratelimit-reset-requests": "20s",
            }
        )
        return response
    if state.mode == "error_500":
        message = "The server had an error while processing your request. Sorry about that!"
        return _error(500, message, "server_error", None)
    return None


async def _models(state: OpenAIState, request: Request) -> Response:
    refused = _auth_error(state, request) or _mode_error(state)
    if refused:
        return refused
    data = [
        {"id": name, "object": "model", "created": CREATED, "owned_by": "xbot-sim"}
        for name in state.models
    ]
    return json_response({"object": "list", "data": data})


async def _chat(state: OpenAIState, request: Request) -> Response:
    refused = _auth_error(state, request) or _mode_error(state)
    if refused:
        _log(state, {"status": refused.status_code, "mode": state.mode})
        return refused
    try:
        body = await request.json()
    except ValueError:
        return _error(
            400, "We could not parse the JSON body of your request.", "invalid_request_error", None
        )
    invalid = _invalid(state, body)
    if invalid:
        return invalid
    if state.mode == "slow":
        await asyncio.sleep(state.delay_seconds)
    reply, attack_name = _reply(state, body["messages"], _presented_key(request))
    _log(
        state,
        {
            "status": 200,
            "mode": state.mode,
            "attack": attack_name,
            "model": body["model"],
            "messages": body["messages"],
            "reply": reply,
        },
    )
    return json_response(_completion(state, body, reply))


def _invalid(state: OpenAIState, body: object) -> Response | None:
    if not isinstance(body, dict):
        return _error(400, "The request body must be a JSON object.", "invalid_request_error", None)
    model, messages = body.get("model"), body.get("messages")
    if not isinstance(model, str) or not model:
        return _error(
            400, "you must provide a model parameter", "invalid_request_error", None, "model"
        )
    if not isinstance(messages, list) or not messages or not all(_is_message(m) for m in messages):
        message = "Invalid 'messages': expected a non-empty array of {role, content} objects."
        return _error(400, message, "invalid_request_error", "invalid_value", "messages")
    if model not in state.models:
        message = f"The model `{model}` does not exist or you do not have access to it."
        return _error(404, message, "invalid_request_error", "model_not_found")
    return None


def _is_message(message: object) -> bool:
    return (
        isinstance(message, dict) and isinstance(message.get("role"), str) and "content" in message
    )


def _reply(
    state: OpenAIState, messages: list[dict[str, Any]], presented_key: str
) -> tuple[str, str | None]:
    context = _context(state, messages)
    if state.mode != "adversarial":
        number = int(context["h"], 16)
        opener, body = OPENERS[number % len(OPENERS)], BODIES[number // len(OPENERS) % len(BODIES)]
        return f"{opener} {body}".format(**context), None
    names = list(state.attacks or ATTACKS)
    name = state.attack or names[state.served % len(names)]
    rng = random.Random(f"{state.seed}:{state.served}:{context['h']}")
    state.served += 1
    leak = state.leak or presented_key or state.api_key
    return attack(name, rng, AttackContext(**context, leak=leak)), name


def _presented_key(request: Request) -> str:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.startswith("Bearer ") else ""


def _context(state: OpenAIState, messages: list[dict[str, Any]]) -> dict[str, str]:
    user = next((_content(m) for m in reversed(messages) if m["role"] == "user"), "")
    system = next((_content(m) for m in messages if m["role"] == "system"), "")
    digest = hashlib.sha256(f"{state.seed}\x00{user}".encode("utf-8", "replace")).hexdigest()
    post = _quoted_post(user)
    text = str(post.get("text", user))
    words = re.findall(r"[A-Za-z]{4,}", text)
    author = re.sub(r"[^A-Za-z0-9_.@-]", "", str(post.get("author", "")))[:60] or "friend"
    return {
        "h": digest[:12],
        "topic": _topic(post, text, words),
        "author": author,
        "word": words[int(digest[:4], 16) % len(words)] if words else "that",
        "system": system,
    }


def _content(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):  # content parts: [{"type": "text", "text": ...}]
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content or "")


def _quoted_post(user: str) -> dict[str, Any]:
    match = re.search(r"```(?:json)?\s*(\{.*\})\s*```", user, re.DOTALL)
    if not match:
        return {}
    try:
        data = json.loads(match.group(1))
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _topic(post: Mapping[str, Any], text: str, words: list[str]) -> str:
    topics = [
        t
        for t in post.get("account_topics", [])
        if isinstance(t, str) and re.fullmatch(r"[\w ]{1,40}", t)
    ]
    lowered = text.casefold()
    for topic in topics:
        if topic.casefold() in lowered:
            return topic
    if topics:
        return topics[0]
    return max(words, key=len).lower() if words else "that"


def _completion(state: OpenAIState, body: Mapping[str, Any], reply: str) -> dict[str, Any]:
    prompt_tokens = sum(len(_content(m).split()) for m in body["messages"])
    completion_tokens = len(reply.split())
    return {
        "id": f"chatcmpl-sim{state.seed}x{len(state.requests)}",
        "object": "chat.completion",
        "created": CREATED + len(state.requests),
        "model": body["model"],
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
        "system_fingerprint": "fp_xbot_sim",
    }


def _log(state: OpenAIState, entry: dict[str, Any]) -> None:
    state.requests.append(entry)
    del state.requests[:-REQUEST_LOG_SIZE]
