"""`xbot config check`: one line per account saying whether it can really post.

Per account, in order, stopping at the first failure: every credential it names is set (or was
stored by `xbot accounts add`), the platform says who the credentials are (who-am-I) and it is
the configured handle, the permissions suffice (X: write access; Mastodon: `write:statuses`),
the platform policy allows the set-up, and the bot label's state. The adapters are built the
way a worker builds them, so refreshed tokens are saved as a worker would save them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from xbot.config import AccountSettings, Settings, secret_from_environment
from xbot.domain.errors import XbotError
from xbot.domain.policy import GeneratorKind, PlatformName, XTier, policy_summary
from xbot.jobs.base import Account
from xbot.onboard import permissions
from xbot.platforms.bluesky.factory import build_bluesky_platform
from xbot.platforms.bluesky.session import MemorySessionStore
from xbot.platforms.mastodon.factory import build_mastodon_platform
from xbot.platforms.x.factory import build_x_platform
from xbot.redact import redact_text, redact_url
from xbot.serve import load_accounts
from xbot.store.engine import make_engine
from xbot.store.migrate import verify_schema
from xbot.store.secretbox import SessionCipher
from xbot.store.sessions import DatabaseSessionStore
from xbot.store.sql import SqlStore
from xbot.wiring import PlatformCache, require_secret_key

STORED = "credentials"


@dataclass(kw_only=True, slots=True)
class Line:
    """One line of the report."""

    subject: str
    parts: list[str] = field(default_factory=list)
    failed: bool = False

    def fail(self, reason: str) -> None:
        """Record the failure that ends this subject's checks."""
        self.parts.append(reason)
        self.failed = True

    def text(self) -> str:
        """Return the line as printed."""
        return f"{'FAIL' if self.failed else 'PASS'} {self.subject}  " + " · ".join(self.parts)


@dataclass(kw_only=True, slots=True)
class Checked:
    """The report: lines, and the secrets to mask in them."""

    lines: list[Line]
    secrets: list[str]

    @property
    def failed(self) -> bool:
        """Whether any line failed."""
        return any(line.failed for line in self.lines)

    def texts(self) -> list[str]:
        """Return every line with every secret masked."""
        return [redact_text(line.text(), self.secrets) for line in self.lines]


def check(settings: Settings) -> Checked:
    """Check the set-up and every enabled account."""
    secrets = list(settings.secret_values())
    setup = Line(subject="setup")
    with _database(settings, setup) as engine:
        accounts = _accounts(settings, engine)
        lines = [setup]
        for account in accounts:
            stored = _stored(engine, settings, account)
            secrets += [value for value in stored.values() if isinstance(value, str)]
            lines.append(_check_account(settings, engine, account, stored))
    return Checked(lines=lines, secrets=secrets)


@contextmanager
def _database(settings: Settings, line: Line) -> Iterator[Engine | None]:
    """Yield the engine when the database exists at the newest schema, else None (noted)."""
    line.parts.append("xbot.toml loads")
    try:
        require_secret_key(settings)
        line.parts.append("XBOT_SECRET_KEY " + ("set" if settings.secret_key else "not needed"))
    except XbotError as exc:
        line.fail(str(exc))
    shown = redact_url(settings.database_url)
    if _missing_sqlite_file(settings.database_url):
        line.parts.append(f"database {shown} not created yet (`xbot migrate`)")
        yield None
        return
    engine = make_engine(settings.database_url)
    try:
        revision = verify_schema(engine)
        line.parts.append(f"database {shown} at {revision}")
    except XbotError as exc:
        line.parts.append(f"database {shown}: {exc} (stored credentials not read)")
        engine.dispose()
        yield None
        return
    try:
        yield engine
    finally:
        engine.dispose()


def _missing_sqlite_file(url: str) -> bool:
    parsed = make_url(url)
    database = parsed.database or ""
    in_memory = database in {"", ":memory:"}
    return parsed.get_backend_name() == "sqlite" and not in_memory and not Path(database).exists()


def _accounts(settings: Settings, engine: Engine | None) -> list[Account]:
    if engine is not None:
        return load_accounts(SqlStore(engine), settings)
    return [
        Account(
            account_id=0,
            platform=item.platform,
            handle=item.handle.lower(),
            platform_user_id=None,
            settings=item,
        )
        for item in settings.accounts
        if item.enabled
    ]


def _stored(engine: Engine | None, settings: Settings, account: Account) -> dict[str, Any]:
    if engine is None:
        return {}
    store = DatabaseSessionStore(
        engine, account.account_id, STORED, SessionCipher(settings.secret_key)
    )
    try:
        return dict(store.load() or {})
    except XbotError:
        return {}  # the setup line names the key problem


def _check_account(
    settings: Settings, engine: Engine | None, account: Account, stored: Mapping[str, Any]
) -> Line:
    line = Line(subject=f"{account.platform}:@{account.settings.handle.removeprefix('@')}")
    steps: list[Callable[[], str]] = [
        lambda: _variables(settings, account.settings, stored),
        lambda: _whoami(settings, engine, account),
        lambda: permissions.check(account.settings, values(account.settings, stored), stored),
        lambda: _policy(settings, account.settings),
        lambda: permissions.label(settings, account.settings, values(account.settings, stored)),
    ]
    for step in steps:
        try:
            line.parts.append(step())
        except XbotError as exc:
            line.fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            break
    return line


def values(account: AccountSettings, stored: Mapping[str, Any]) -> dict[str, str]:
    """Return each credential's value: its variable when set, else what was stored."""
    found = {name: str(value) for name, value in stored.items() if isinstance(value, str)}
    for name, variable in account.credentials.items():
        value = secret_from_environment(variable)
        if value is not None:
            found[name] = value.get_secret_value()
    return found


def _variables(settings: Settings, account: AccountSettings, stored: Mapping[str, Any]) -> str:
    unset = [
        variable
        for name, variable in account.credentials.items()
        if secret_from_environment(variable) is None and name not in stored
    ]
    if unset:
        raise XbotError(
            f"unset: {', '.join(unset)} (set them, or run `xbot accounts add {account.platform}`)"
        )
    if not account.credentials and not stored:
        raise XbotError(f"no credentials: run `xbot accounts add {account.platform}`")
    key_unset = secret_from_environment(settings.llm.api_key_env) is None
    if account.generator == "llm" and key_unset and not _local(settings.llm.base_url):
        raise XbotError(f"unset: {settings.llm.api_key_env} (the llm generator's key)")
    named = sum(secret_from_environment(v) is not None for v in account.credentials.values())
    if not stored:
        return "variables set"
    return "credentials stored" + (f", {named} variable(s) set" if named else "")


def _local(url: str) -> bool:
    return any(host in url for host in ("://127.0.0.1", "://localhost", "://[::1]"))


def _whoami(settings: Settings, engine: Engine | None, account: Account) -> str:
    adapter = _adapter(settings, engine, account)
    try:
        if account.platform == "bluesky":
            ident, handle = adapter.check_session()
        else:
            ident, handle = adapter.whoami()
    finally:
        adapter.close()
    configured = account.settings.handle.removeprefix("@").lower()
    if handle.lower() != configured and handle.lower().split("@")[0] != configured:
        raise XbotError(f"who-am-I: the credentials are @{handle}'s, not @{configured}'s")
    return f"who-am-I @{handle} (id {ident})"


def _adapter(settings: Settings, engine: Engine | None, account: Account) -> Any:
    if engine is not None:
        return PlatformCache(settings, engine)(account)
    if account.platform == "x":
        return build_x_platform(account.settings)
    if account.platform == "bluesky":
        return build_bluesky_platform(account.settings, None, MemorySessionStore())
    return build_mastodon_platform(account.settings)


def _policy(settings: Settings, account: AccountSettings) -> str:
    summary = policy_summary(
        PlatformName(account.platform), GeneratorKind(account.generator),
        x_tier=XTier(settings.x.tier), opt_in_only=account.opt_in_only,
        ai_replies_approved=settings.x.ai_replies_approved,
    )  # fmt: skip
    if not summary["posting_allowed"]:
        raise XbotError(
            f"policy: {summary['blocked_by']} (LLM replies on X need X's approval: "
            'set x.ai_replies_approved once X granted it, or use generator = "bank")'
        )
    scope = "summoned replies only" if summary["summoned_only"] else "any reply"
    return f"policy ok ({account.generator}, {scope})"
