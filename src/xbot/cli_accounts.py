"""`xbot accounts add x|bluesky|mastodon`: get an account's tokens and keep them safe.

The tokens are stored encrypted in the database with XBOT_SECRET_KEY, or, with `--env-file`,
written to a file only the owner can read, and the variables named in xbot.toml. Either way
the account is added to xbot.toml when it is not there yet. No token is ever printed.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from xbot.cli_support import fail, settings
from xbot.domain.errors import XbotError

if TYPE_CHECKING:
    from xbot.onboard.obtained import Obtained

accounts_app = typer.Typer(help="Add the platform accounts xbot posts as.", no_args_is_help=True)
add_app = typer.Typer(
    help="Authorize an account and keep its tokens (encrypted, or in an env file).",
    no_args_is_help=True,
)
accounts_app.add_typer(add_app, name="add")

#: the loopback port of the callback URL to register in the X developer portal
X_REDIRECT_PORT = 8976
MASTODON_REDIRECT_PORT = 0  # the app is registered per run, with whatever port is free

EnvFile = Annotated[
    Path | None,
    typer.Option(
        "--env-file",
        help="Write the tokens to this file (mode 0600) instead of the database; "
        "xbot.toml names the variables.",
    ),
]
Force = Annotated[bool, typer.Option("--force", help="Replace an existing --env-file.")]
NoBrowser = Annotated[
    bool,
    typer.Option("--no-browser", help="Print the URL instead of opening a browser, then wait."),
]
Timeout = Annotated[
    float, typer.Option("--timeout", min=1, help="Seconds to wait for the approval.")
]


@add_app.command("x")
def add_x(  # noqa: PLR0913 - one keyword per documented option
    *,
    handle: Annotated[
        str | None, typer.Option("--handle", help="The account (default: whoever approves).")
    ] = None,
    oauth1: Annotated[
        bool,
        typer.Option("--oauth1", help="Use the OAuth 1.0a PIN flow instead of OAuth 2.0 PKCE."),
    ] = False,
    client_id_env: Annotated[
        str, typer.Option(help="Variable holding the OAuth 2.0 client ID.")
    ] = "X_CLIENT_ID",
    client_secret_env: Annotated[
        str | None, typer.Option(help="Variable holding the client secret (confidential apps).")
    ] = None,
    consumer_key_env: Annotated[
        str, typer.Option(help="Variable holding the API key (1.0a).")
    ] = "X_CONSUMER_KEY",
    consumer_secret_env: Annotated[
        str, typer.Option(help="Variable holding the API key secret (1.0a).")
    ] = "X_CONSUMER_SECRET",  # noqa: S107 - a variable's name, not a secret
    base_url: Annotated[str, typer.Option(help="The API (default https://api.x.com).")] = "",
    authorize_url: Annotated[
        str, typer.Option(help="The OAuth 2.0 consent page (default x.com's, or BASE_URL's).")
    ] = "",
    redirect_port: Annotated[
        int,
        typer.Option(
            min=0, max=65535, help="Port of the callback URL http://127.0.0.1:PORT/callback."
        ),
    ] = X_REDIRECT_PORT,
    no_browser: NoBrowser = False,
    timeout: Timeout = 300,
    env_file: EnvFile = None,
    force: Force = False,
) -> None:
    """Authorize an X account: OAuth 2.0 with PKCE (default) or the OAuth 1.0a PIN flow."""
    from xbot.onboard.flows_x import XOptions, add_x_oauth1, add_x_oauth2
    from xbot.platforms.x.onboard import AUTHORIZE_URL

    consent = authorize_url or (
        f"{base_url.rstrip('/')}/i/oauth2/authorize" if base_url else AUTHORIZE_URL
    )
    options = XOptions(
        handle=handle, base_url=base_url.rstrip("/"), authorize_url=consent,
        client_id_env=client_id_env, client_secret_env=client_secret_env,
        consumer_key_env=consumer_key_env, consumer_secret_env=consumer_secret_env,
        redirect_port=redirect_port, open_browser=not no_browser, timeout=timeout,
    )  # fmt: skip
    flow = add_x_oauth1 if oauth1 else add_x_oauth2
    _finish(lambda: flow(options), env_file=env_file, force=force)


@add_app.command("bluesky")
def add_bluesky(
    *,
    handle: Annotated[
        str, typer.Option("--handle", help="The account's handle, e.g. bot.bsky.social.")
    ],
    password_env: Annotated[
        str, typer.Option(help="Variable holding the app password (else it is asked).")
    ] = "BLUESKY_APP_PASSWORD",  # noqa: S107 - a variable's name, not a secret
    base_url: Annotated[
        str, typer.Option(help="Where to log in (default https://bsky.social).")
    ] = "",
    env_file: EnvFile = None,
    force: Force = False,
) -> None:
    """Add a Bluesky account: log in with an app password and check the session."""
    from xbot.onboard.flows_other import BlueskyOptions
    from xbot.onboard.flows_other import add_bluesky as flow

    options = BlueskyOptions(
        handle=handle.removeprefix("@"), base_url=base_url.rstrip("/"), password_env=password_env
    )
    _finish(lambda: flow(options), env_file=env_file, force=force)


@add_app.command("mastodon")
def add_mastodon(  # noqa: PLR0913 - one keyword per documented option
    *,
    base_url: Annotated[str, typer.Option(help="The instance, e.g. https://mastodon.social.")],
    handle: Annotated[
        str | None, typer.Option("--handle", help="The account (default: whoever approves).")
    ] = None,
    redirect_port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port of the loopback callback (0: any free one).")
    ] = MASTODON_REDIRECT_PORT,
    no_browser: NoBrowser = False,
    timeout: Timeout = 300,
    env_file: EnvFile = None,
    force: Force = False,
) -> None:
    """Add a Mastodon account: register the app, authorize it, keep the token."""
    from xbot.onboard.flows_other import MastodonOptions
    from xbot.onboard.flows_other import add_mastodon as flow

    options = MastodonOptions(
        handle=handle, base_url=base_url.rstrip("/"), redirect_port=redirect_port,
        open_browser=not no_browser, timeout=timeout,
    )  # fmt: skip
    _finish(lambda: flow(options), env_file=env_file, force=force)


def _finish(flow: object, *, env_file: Path | None, force: bool) -> None:
    """Run the flow, then store what it obtained and say where; never print a token."""
    from xbot.domain.errors import SecretKeyMissing
    from xbot.onboard.obtained import (
        configured_account,
        ensure_configured,
        save_to_database,
        write_env_file,
    )
    from xbot.store.secretbox import SessionCipher

    loaded = settings()
    if env_file is None and not SessionCipher(loaded.secret_key).has_key:
        fail(SecretKeyMissing(
            "XBOT_SECRET_KEY is not set: set it (`xbot secrets generate-key`) to store the "
            "tokens encrypted in the database, or pass --env-file PATH to write them to a file"
        ))  # fmt: skip
    if env_file is not None and env_file.exists() and not force:
        fail(XbotError(f"{env_file} exists; pass --force to replace it, or another --env-file"))
    try:
        obtained: Obtained = flow()  # type: ignore[operator]
        existing = configured_account(loaded, obtained.platform, obtained.handle)
        if existing is not None:
            obtained = replace(obtained, variables={**obtained.variables, **existing.credentials})
        loaded, added = ensure_configured(loaded, obtained, env_file=env_file is not None)
        if env_file is not None:
            write_env_file(env_file, obtained, force=force)
        else:
            save_to_database(loaded, obtained)
    except XbotError as exc:
        fail(exc)
    _report(obtained, added=added, env_file=env_file)


def _report(obtained: Obtained, *, added: bool, env_file: Path | None) -> None:
    from xbot.config import config_path

    name = f"{obtained.platform}:@{obtained.handle}"
    lines = [f"authorized {name} ({obtained.permission})"]
    if added:
        lines.append(f"added {obtained.platform}:{obtained.handle} to {config_path()}")
    if env_file is None:
        lines.append("stored its tokens encrypted in the database (XBOT_SECRET_KEY)")
    else:
        names = ", ".join(obtained.variables[n] for n in obtained.values if n in obtained.variables)
        lines.append(f"wrote {names} to {env_file} (mode 0600); load it before xbot runs:")
        lines.append(f"  set -a; . {env_file}; set +a")
    lines.append("next: xbot config check")
    sys.stdout.write("\n".join(lines) + "\n")


def config_check() -> None:
    """Check every account can post: variables, who-am-I, permissions, policy, label."""
    from xbot.onboard.check import check

    loaded = settings()
    checked = check(loaded)
    sys.stdout.write("\n".join(checked.texts()) + "\n")
    if checked.failed:
        raise SystemExit(1)
