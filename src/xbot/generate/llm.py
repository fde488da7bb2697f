"""The `llm` generator: one chat completion from any OpenAI-compatible endpoint, via httpx2.

The post is untrusted: it goes in as a JSON object inside the user message, under a system
message that says so (`domain.instructions`), never as instructions. Every failure (timeout,
refused key, rate limit, server error, unreadable answer) raises GeneratorFailed with a reason
the scheduler stores as the candidate's skip reason. The API key never appears in a message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx2
from pydantic import SecretStr

from xbot.config import LlmSettings
from xbot.domain.drafts import Draft
from xbot.domain.errors import GeneratorFailed
from xbot.domain.instructions import system_message, user_message

_QUOTES = {'"': '"', "'": "'", "\u201c": "\u201d", "\u00ab": "\u00bb"}


class LlmGenerator:
    """Writes replies with a chat model behind an OpenAI-compatible `/chat/completions`."""

    name = "llm"

    def __init__(
        self,
        settings: LlmSettings,
        *,
        api_key: SecretStr | None,
        persona: str = "",
        max_characters: int = 250,
        transport: httpx2.BaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.system = system_message(persona, max_characters=max_characters)
        self._key = api_key.get_secret_value() if api_key else ""
        self._client = httpx2.Client(
            base_url=settings.base_url.rstrip("/") + "/",
            timeout=settings.timeout_seconds,
            transport=transport,
            follow_redirects=False,
        )

    def generate(
        self,
        candidate_text: str,
        author_handle: str,
        topics: Sequence[str],
        *,
        avoid: Sequence[str] = (),
    ) -> str:
        """Return reply text, or raise GeneratorFailed with the reason."""
        return self.draft(candidate_text, author_handle, topics, avoid=avoid).text

    def draft(
        self,
        candidate_text: str,
        author_handle: str,
        topics: Sequence[str],
        *,
        avoid: Sequence[str] = (),
    ) -> Draft:
        """Return the model's reply with the model name, finish reason and token usage."""
        del avoid  # a model varies its wording on its own; the guard judges duplicates
        body = {
            "model": self.settings.model,
            "messages": [
                {"role": "system", "content": self.system},
                {"role": "user", "content": user_message(candidate_text, author_handle, topics)},
            ],
            "temperature": self.settings.temperature,
            "max_tokens": self.settings.max_tokens,
            "n": 1,
        }
        data = self._post(body)
        text, finish = _reply_text(data)
        meta = {
            "model": str(data.get("model") or self.settings.model),
            "finish_reason": finish,
            "response_id": str(data.get("id", ""))[:100],
            "usage": _usage(data.get("usage")),
        }
        return Draft(text=text, generator="llm", meta=meta)

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()

    def _post(self, body: Mapping[str, Any]) -> Mapping[str, Any]:
        headers = {"Authorization": f"Bearer {self._key}"} if self._key else {}
        try:
            response = self._client.post("chat/completions", json=body, headers=headers)
        except httpx2.TimeoutException:
            raise GeneratorFailed(
                f"the llm endpoint did not answer within {self.settings.timeout_seconds:g} s"
            ) from None
        except httpx2.HTTPError as exc:
            raise GeneratorFailed(
                f"the llm endpoint {self.settings.base_url} is unreachable ({type(exc).__name__})"
            ) from None
        if response.status_code != 200:
            raise GeneratorFailed(self._status_reason(response))
        try:
            data = response.json()
        except ValueError:
            raise GeneratorFailed(
                "the llm endpoint answered 200 with a body that is not JSON"
            ) from None
        if not isinstance(data, dict):
            raise GeneratorFailed("the llm endpoint answered 200 with JSON that is not an object")
        return data

    def _status_reason(self, response: httpx2.Response) -> str:
        status = response.status_code
        detail = self._error_message(response)
        if status in {401, 403}:
            what = "refused the API key"
        elif status == 404:
            what = f"has no model {self.settings.model!r} or no /chat/completions"
        elif status == 429:
            what = "is rate limited or out of quota"
        elif status >= 500:
            what = "failed"
        else:
            what = "rejected the request"
        return f"the llm endpoint {what} (HTTP {status}){': ' + detail if detail else ''}"

    def _error_message(self, response: httpx2.Response) -> str:
        try:
            error = response.json().get("error")
        except (ValueError, AttributeError):
            return ""
        message = error.get("message") if isinstance(error, dict) else error
        if not isinstance(message, str):
            return ""
        if self._key:
            message = message.replace(self._key, "***")
        return message[:200]


def _reply_text(data: Mapping[str, Any]) -> tuple[str, str]:
    try:
        choice = data["choices"][0]
        content = choice["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise GeneratorFailed("the llm response has no choices[0].message.content") from None
    finish = str(choice.get("finish_reason") or "")
    if finish == "content_filter":
        raise GeneratorFailed("the llm endpoint withheld the reply (content_filter)")
    if finish == "length":
        raise GeneratorFailed("the llm reply was cut off at max_tokens; raise llm.max_tokens")
    if not isinstance(content, str) or not content.strip():
        raise GeneratorFailed("the llm endpoint returned an empty reply")
    return _unquoted(content.strip()), finish


def _unquoted(text: str) -> str:
    closing = _QUOTES.get(text[0])
    if closing and len(text) > 1 and text.endswith(closing) and text.count(text[0]) <= 2:
        return text[1:-1].strip()
    return text


def _usage(usage: object) -> dict[str, int]:
    if not isinstance(usage, dict):
        return {}
    keys = ("prompt_tokens", "completion_tokens", "total_tokens")
    return {key: usage[key] for key in keys if isinstance(usage.get(key), int)}
