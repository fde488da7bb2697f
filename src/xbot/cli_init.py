"""`xbot init`: write a commented, valid xbot.toml, by prompts or by flags."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from xbot.cli_support import fail
from xbot.domain.errors import ConfigError


def init(  # noqa: PLR0913 - one keyword per documented option
    *,
    path: Annotated[
        Path | None,
        typer.Option("--path", help="Where to write it (default: XBOT_CONFIG, else ./xbot.toml)."),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", help="sqlite:///./xbot.db (default) or postgresql://…"),
    ] = None,
    platform: Annotated[
        str | None,
        typer.Option("--platform", help="A first account's platform: x, bluesky or mastodon."),
    ] = None,
    handle: Annotated[str | None, typer.Option("--handle", help="The account's handle.")] = None,
    base_url: Annotated[
        str | None,
        typer.Option("--base-url", help="The instance (Mastodon: required) or API base URL."),
    ] = None,
    topics: Annotated[
        str | None, typer.Option("--topics", help="Comma-separated topics the account answers.")
    ] = None,
    require_deploy_mark: Annotated[
        bool, typer.Option("--require-deploy-mark", help="Refuse to post until `deploy mark`.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    no_input: Annotated[
        bool, typer.Option("--no-input", help="Ask nothing: flags and defaults only.")
    ] = False,
) -> None:
    """Write a commented xbot.toml that loads as it is; asks what the flags leave open."""
    from xbot.config import config_path
    from xbot.onboard.config_file import InitAnswers, render_config, write_new_config
    from xbot.onboard.questions import Questions, account_answers

    target = path or config_path()
    if target.exists() and not force:
        fail(ConfigError(f"{target} exists; keep it, or pass --force to replace it"))
    ask = Questions(interactive=not no_input and sys.stdin.isatty())
    try:
        url = database_url or ask.text("Database URL", "sqlite:///./xbot.db")
        account = account_answers(
            ask, platform=platform, handle=handle, base_url=base_url, topics=topics
        )
        answers = InitAnswers(
            database_url=url,
            require_deploy_mark=require_deploy_mark,
            accounts=[account] if account else [],
        )
        text = render_config(answers)
        _check_loads(target, text)
        write_new_config(target, text, force=force)
    except ConfigError as exc:
        fail(exc)
    sys.stdout.write(f"wrote {target}\n")
    sys.stdout.write(
        "next: `xbot accounts add <platform>` for credentials, then `xbot config check`\n"
    )


def _check_loads(target: Path, text: str) -> None:
    """Load the text into Settings before writing, so a bad answer is refused naming the key."""
    import tomllib

    from xbot.config import Settings

    try:
        Settings.model_validate(tomllib.loads(text))
    except ValueError as exc:
        lines = str(exc).splitlines()
        detail = " ".join(line.strip() for line in lines[1:3]) or lines[0]
        raise ConfigError(f"{target} not written: {detail}") from None
