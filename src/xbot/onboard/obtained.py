"""What an onboarding flow obtained, and where it goes: the database (encrypted) or an env file."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xbot import operations
from xbot.config import AccountSettings, Settings, config_path, load_settings
from xbot.domain.errors import ConfigError
from xbot.onboard.config_file import AccountAnswers, Platform, append_account
from xbot.serve import load_accounts
from xbot.store.engine import make_engine
from xbot.store.secretbox import SessionCipher
from xbot.store.sessions import DatabaseSessionStore
from xbot.store.sql import SqlStore
from xbot.wiring import STORED_CREDENTIALS


@dataclass(frozen=True, kw_only=True, slots=True)
class Obtained:
    """One account's credentials as a flow obtained them (values are secrets)."""

    platform: Platform
    handle: str
    base_url: str = ""
    #: credential name -> secret value (what the adapter reads)
    values: Mapping[str, str]
    #: credential name -> the environment variable that holds (or would hold) it
    variables: Mapping[str, str]
    #: credential names the operator supplied through their own variables
    supplied: frozenset[str] = frozenset()
    #: other `session_state` keys to save (the adapter's own session: x_oauth2, bluesky)
    sessions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: one line about permissions, e.g. "write access: read-write"
    permission: str = ""


def configured_account(settings: Settings, platform: str, handle: str) -> AccountSettings | None:
    """Return the configured account with this platform and handle, or None."""
    wanted = (platform, handle.removeprefix("@").lower())
    for account in settings.accounts:
        if (account.platform, account.handle.removeprefix("@").lower()) == wanted:
            return account
    return None


def ensure_configured(
    settings: Settings, obtained: Obtained, *, env_file: bool
) -> tuple[Settings, bool]:
    """Append the account to xbot.toml when it is not there; return the settings and whether."""
    if configured_account(settings, obtained.platform, obtained.handle) is not None:
        return settings, False
    names = (
        obtained.variables
        if env_file
        else {
            name: variable
            for name, variable in obtained.variables.items()
            if name in obtained.supplied
        }
    )
    account = AccountAnswers(
        platform=obtained.platform, handle=obtained.handle, base_url=obtained.base_url,
        credentials=dict(names),
    )  # fmt: skip
    path = config_path()
    append_account(path, account)
    return load_settings(), True


def save_to_database(settings: Settings, obtained: Obtained) -> None:
    """Store the credentials encrypted in the account's `session_state` (migrating first)."""
    cipher = SessionCipher(settings.secret_key)
    engine = make_engine(settings.database_url)
    try:
        operations.migrate(engine, settings.secret_key)
        wanted = (obtained.platform, obtained.handle.lower())
        found = load_accounts(SqlStore(engine), settings)
        rows = [a for a in found if (a.platform, a.handle) == wanted]
        if not rows:
            raise ConfigError(
                f"{obtained.platform}:{obtained.handle} is disabled in xbot.toml; enable it"
            )
        account_id = rows[0].account_id
        DatabaseSessionStore(engine, account_id, STORED_CREDENTIALS, cipher).save(obtained.values)
        for key, session in obtained.sessions.items():
            DatabaseSessionStore(engine, account_id, key, cipher).save(session)
    finally:
        engine.dispose()


def write_env_file(path: Path, obtained: Obtained, *, force: bool) -> None:
    """Write `NAME=value` lines, readable by the owner alone (0600)."""
    if path.exists() and not force:
        raise ConfigError(f"{path} exists; pass --force to replace it, or another --env-file")
    lines = [
        f"# {obtained.platform}:{obtained.handle}, written by `xbot accounts add`; keep it secret\n"
    ]
    lines += [f"{obtained.variables[name]}={value}\n" for name, value in obtained.values.items()
              if name in obtained.variables]  # fmt: skip
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.writelines(lines)
        path.chmod(0o600)
    except OSError as exc:
        raise ConfigError(
            f"cannot write {path}: {exc.strerror}. Choose another --env-file."
        ) from None
