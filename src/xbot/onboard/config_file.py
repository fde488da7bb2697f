"""The commented xbot.toml that `xbot init` writes, and the `[[accounts]]` blocks.

`xbot init` writes one for its first account; `xbot accounts add` appends one.

Values are written with tomli_w, so a quote or a backslash in an answer stays valid TOML;
the comments around them are ours.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import tomli_w

from xbot.domain.errors import ConfigError

Platform = Literal["x", "bluesky", "mastodon"]
PLATFORMS: tuple[Platform, ...] = ("x", "bluesky", "mastodon")

#: the credential names each platform's adapter reads, and the variable init suggests for each
DEFAULT_VARIABLES: Mapping[Platform, Mapping[str, str]] = {
    "x": {
        "consumer_key": "X_CONSUMER_KEY",
        "consumer_secret": "X_CONSUMER_SECRET",
        "access_token": "X_ACCESS_TOKEN",
        "access_token_secret": "X_ACCESS_TOKEN_SECRET",
    },
    "bluesky": {"app_password": "BLUESKY_APP_PASSWORD"},
    "mastodon": {"access_token": "MASTODON_ACCESS_TOKEN"},
}

_HEADER = """\
# xbot.toml, written by `xbot init`. Every key is optional; XBOT_* variables win over this file
# (nested keys with "__": XBOT_JOBS__FETCH=120). Secrets never go here: each account names the
# environment variables that hold its credentials, or `xbot accounts add` stores them encrypted
# with XBOT_SECRET_KEY. Check it all with `xbot config check`.

# sqlite:///./xbot.db runs one process; postgresql+psycopg://user@host/db runs several workers
"""

_MIDDLE = """
# the address /health and /ready listen on (a platform's PORT variable wins)
# host = "0.0.0.0"
# port = 8080

# refuse to post until `xbot deploy mark --sha <sha>` declared the live deployment
require_deploy_mark = {require_deploy_mark}

# seconds between job runs, per account
[jobs]
fetch = 300
schedule = 60
post = 5

# X policy: self_serve tiers reply only to posts that summoned the account; LLM replies on X
# need X's approval of the app (set ai_replies_approved only once X granted it)
[x]
tier = "self_serve"
ai_replies_approved = false
# set true once every X account carries X's "Automated" label (Settings → Your account →
# Account information → Automation); an X account without it is blocked, and no API shows it
automated_label_attested = false

# the `llm` generator: any OpenAI-compatible endpoint (OpenAI, Ollama, llama.cpp, vLLM)
[llm]
base_url = "https://api.openai.com/v1"
model = "gpt-4o-mini"
api_key_env = "OPENAI_API_KEY"
"""


@dataclass(frozen=True, kw_only=True, slots=True)
class AccountAnswers:
    """One account as the operator described it."""

    platform: Platform
    handle: str
    #: the instance (Mastodon, required), a PDS or a fake; empty for the platform's default
    base_url: str = ""
    topics: Sequence[str] = ()
    generator: Literal["bank", "llm"] = "bank"
    #: credential name -> variable name; None means the platform's defaults
    credentials: Mapping[str, str] | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class InitAnswers:
    """Everything `xbot init` asks."""

    database_url: str = "sqlite:///./xbot.db"
    require_deploy_mark: bool = False
    accounts: Sequence[AccountAnswers] = ()


def render_config(answers: InitAnswers) -> str:
    """Return the text of a commented, valid xbot.toml."""
    text = _HEADER + tomli_w.dumps({"database_url": answers.database_url})
    flag = "true" if answers.require_deploy_mark else "false"
    text += _MIDDLE.format(require_deploy_mark=flag)
    if not answers.accounts:
        text += "\n# add an account with `xbot accounts add x|bluesky|mastodon`\n"
    for account in answers.accounts:
        text += "\n" + render_account(account)
    return text


def render_account(account: AccountAnswers) -> str:
    """Return one commented `[[accounts]]` block."""
    head: dict[str, object] = {"platform": account.platform, "handle": account.handle}
    if account.base_url:
        head["base_url"] = account.base_url
    head["topics"] = list(account.topics)
    head["generator"] = account.generator
    chosen = account.credentials
    credentials = dict(DEFAULT_VARIABLES[account.platform] if chosen is None else chosen)
    lines = [
        f"# {account.platform}:{account.handle}",
        "[[accounts]]",
        tomli_w.dumps(head).rstrip("\n"),
        "# answer only posts that mention or quote the account (X self-serve requires it)",
        "opt_in_only = true",
        "",
        "# the names of the environment variables holding the credentials (never the values)",
        "[accounts.credentials]",
    ]
    if credentials:
        lines.append(tomli_w.dumps(credentials).rstrip("\n"))
    lines += [
        "",
        "[accounts.budgets]",
        "per_hour = 4",
        "per_day = 30",
        'quiet_hours = ""  # e.g. "23:00-07:00" in the time zone below',
        'timezone = "UTC"',
        "",
    ]
    return "\n".join(lines)


def write_new_config(path: Path, text: str, *, force: bool) -> None:
    """Write `text` to `path`; an existing file is replaced only with `force`."""
    if path.exists() and not force:
        raise ConfigError(f"{path} exists; keep it, or pass --force to replace it")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}. Choose another --path.") from None


def append_account(path: Path, account: AccountAnswers) -> None:
    """Append one `[[accounts]]` block to `path` (created when missing)."""
    try:
        existing = path.read_text(encoding="utf-8") if path.exists() else ""
        separator = "" if not existing or existing.endswith("\n\n") else "\n"
        if existing and not existing.endswith("\n"):
            separator = "\n\n"
        path.write_text(existing + separator + render_account(account), encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}. Fix XBOT_CONFIG.") from None
