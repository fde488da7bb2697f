"""Asking the operator: typer prompts on a terminal, the defaults (or a clear refusal) otherwise."""

from __future__ import annotations

from dataclasses import dataclass

import typer

from xbot.domain.errors import ConfigError
from xbot.onboard.config_file import PLATFORMS, AccountAnswers, Platform


@dataclass(frozen=True, kw_only=True, slots=True)
class Questions:
    """Prompts when interactive; otherwise every question takes its default."""

    interactive: bool

    def text(self, question: str, default: str) -> str:
        """Return the answer, or the default."""
        if not self.interactive:
            return default
        answer: str = typer.prompt(question, default=default)
        return answer.strip()

    def required(self, question: str, flag: str) -> str:
        """Return an answer that has no default; refuse when nobody can be asked."""
        if not self.interactive:
            raise ConfigError(f"{question} is required: pass {flag}")
        answer: str = typer.prompt(question)
        return answer.strip()

    def secret(self, question: str, flag: str) -> str:
        """Return a secret typed without echo; refuse when nobody can be asked."""
        if not self.interactive:
            raise ConfigError(f"{question} is required: pass {flag}")
        answer: str = typer.prompt(question, hide_input=True)
        return answer.strip()


def account_answers(
    ask: Questions,
    *,
    platform: str | None,
    handle: str | None,
    base_url: str | None,
    topics: str | None,
) -> AccountAnswers | None:
    """Return the first account init writes, or None when the operator adds one later."""
    chosen = platform or ask.text(
        "First account's platform (x, bluesky, mastodon; empty: none)", ""
    )
    if not chosen:
        if handle or base_url or topics:
            raise ConfigError("--handle, --base-url and --topics need --platform")
        return None
    name = valid_platform(chosen)
    account_handle = handle or ask.required(f"Handle of the {name} account", "--handle")
    url = base_url
    if url is None and name == "mastodon":
        url = ask.required("Mastodon instance URL (e.g. https://mastodon.social)", "--base-url")
    listed = topics if topics is not None else ask.text("Topics, comma-separated", "")
    return AccountAnswers(
        platform=name,
        handle=account_handle.removeprefix("@"),
        base_url=url or "",
        topics=[topic.strip() for topic in listed.split(",") if topic.strip()],
    )


def valid_platform(name: str) -> Platform:
    """Return `name` as a platform, or refuse naming the choices."""
    for platform in PLATFORMS:
        if name.strip().lower() == platform:
            return platform
    raise ConfigError(f"platform {name!r} is unknown: use one of {', '.join(PLATFORMS)}")
