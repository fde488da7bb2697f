"""One typed settings object, read once, from xbot.toml and XBOT_* variables (CONVENTIONS 3.8).

This is the only module that reads the environment.
"""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    ValidationError,
    field_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from xbot.config_bluesky import BlueskySettings
from xbot.config_compliance import LabelSettings, OptOutSettings
from xbot.config_console import ConsoleSettings
from xbot.config_cost import AccountCostSettings, CostSettings
from xbot.config_errors import (
    check_config_file,
    check_variables,
    describe_settings_error,
    describe_validation_error,
    field_rules,
)
from xbot.config_intake import IntakeModeSetting, IntakeSettings
from xbot.config_review import ReviewSettings
from xbot.config_types import (
    DAY,
    JOB_NAMES,
    Handle,
    Identifier,
    JobName,
    Language,
    OptionalUrl,
    Term,
    Url,
    VariableName,
)
from xbot.config_worker import WorkerSettings
from xbot.config_x_webhooks import XWebhookSettings
from xbot.domain.budgets import parse_quiet_hours, parse_timezone
from xbot.domain.errors import ConfigError
from xbot.redact import redact_data, url_passwords

Role = Literal["all", "worker", "web"]
#: a host name such as `docs.python.org`: letters, digits, dots and hyphens
DomainName = Annotated[
    str, StringConstraints(min_length=1, max_length=253, pattern=r"^[A-Za-z0-9.-]*[A-Za-z0-9]$")
]

#: where a deploy platform tells a process which commit it runs, in the order we trust them
SHA_ENVIRONMENT_VARIABLES = (
    "XBOT_GIT_SHA",
    "RAILWAY_GIT_COMMIT_SHA",
    "SOURCE_COMMIT",
    "RENDER_GIT_COMMIT",
    "HEROKU_BUILD_COMMIT",
    "GITHUB_SHA",
)
#: what each of them must hold
GIT_SHA = re.compile(r"[0-9A-Fa-f]{7,64}")
#: a bearer token: long enough not to guess, and safe in an Authorization header
ADMIN_TOKEN_PATTERN = re.compile(r"[\x21-\x7e]{16,512}")


class JobIntervals(BaseModel):
    """Seconds between runs of each job, per account."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    fetch: float = Field(300.0, ge=0.01, le=DAY, description="seconds, 0.01 to 86400")
    schedule: float = Field(60.0, ge=0.01, le=DAY, description="seconds, 0.01 to 86400")
    post: float = Field(5.0, ge=0.01, le=DAY, description="seconds, 0.01 to 86400")
    reconcile: float = Field(60.0, ge=0.01, le=DAY, description="seconds, 0.01 to 86400")
    ghost_scan: float = Field(900.0, ge=0.01, le=DAY, description="seconds, 0.01 to 86400")
    watchdog: float = Field(300.0, ge=0.01, le=DAY, description="seconds, 0.01 to 86400")
    #: the canary job; runs only when listed in enabled_jobs
    probe: float = Field(1.0, ge=0.01, le=DAY, description="seconds, 0.01 to 86400")


class BudgetSettings(BaseModel):
    """How much one account may post (DESIGN §4.2)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    per_hour: int = Field(4, ge=0, le=1000, description="posts per hour, 0 to 1000")
    per_day: int = Field(30, ge=0, le=10000, description="posts per day, 0 to 10000")
    author_cooldown_minutes: float = Field(
        240.0,
        ge=0,
        le=43200,
        description="minutes before answering the same author again, 0 to 43200 (30 days)",
    )
    #: replies to one author in 24 hours, however often they write (no bot-to-bot loops)
    per_author_per_day: int = Field(3, ge=1, le=1000, description="replies, 1 to 1000")
    min_gap_seconds: float = Field(
        60.0, ge=0, le=DAY, description="seconds between two posts of the account, 0 to 86400"
    )
    #: "23:00-07:00" in the account's time zone, or empty for none
    quiet_hours: str = Field("", max_length=11, description='"HH:MM-HH:MM" or empty')
    timezone: str = Field(
        "UTC", max_length=64, description="an IANA time zone name, e.g. Europe/Paris"
    )

    @field_validator("quiet_hours")
    @classmethod
    def _valid_quiet_hours(cls, value: str) -> str:
        try:
            parse_quiet_hours(value)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, value: str) -> str:
        try:
            parse_timezone(value)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return value


class AccountSettings(BaseModel):
    """One bot account as configured in xbot.toml; synced into `accounts`."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    #: the platform the account posts on
    platform: Literal["x", "bluesky", "mastodon"]
    handle: Handle = Field(description="the account's handle, 1 to 253 characters, no spaces")
    #: false keeps the account in the database but runs no job for it
    enabled: bool = True
    #: the API base URL; empty means the platform's public default
    base_url: OptionalUrl = Field("", description="an http(s) URL up to 2048 characters, or empty")
    #: credential name -> name of the environment variable that holds it
    credentials: dict[Identifier, VariableName] = Field(default_factory=dict, max_length=16)
    #: words and phrases that make a post relevant (its score) and choose the bank's reply
    topics: list[Term] = Field(default_factory=list, max_length=100)
    #: the voice the `llm` generator is given; the guard refuses a reply that quotes it
    persona: str = Field("", max_length=2000, description="up to 2000 characters")
    #: bank: curated replies, offline; llm: an OpenAI-compatible model (`[llm]`)
    generator: Literal["bank", "llm"] = "bank"
    #: a TOML reply bank used instead of the built-in one (format: `xbot.generate.bank`)
    bank_file: str = Field("", max_length=4096, pattern=r"^[^\x00]*$", description="a path")
    #: language tags a post must be in to be answered ("en", "pt-BR"); empty answers any
    languages: list[Language] = Field(default_factory=list, max_length=32)
    #: handles of bots never answered (accounts the platform flags as automated are skipped too)
    known_bots: list[Handle] = Field(default_factory=list, max_length=10000)
    #: handles never answered
    blocked_authors: list[Handle] = Field(default_factory=list, max_length=10000)
    budgets: BudgetSettings = Field(default_factory=BudgetSettings)
    #: true lets replies link anywhere; false allows only `allowed_domains`
    allow_links: bool = False
    #: words and phrases a reply may never contain (the guard's `banned_term`)
    banned_terms: list[Term] = Field(default_factory=list, max_length=10000)
    candidate_ttl_minutes: float = Field(
        30.0, gt=0, le=10080, description="minutes, above 0 and up to 10080 (a week)"
    )
    max_queue: int = Field(200, ge=1, le=100_000, description="candidates, 1 to 100000")
    max_candidate_age_hours: float = Field(
        24.0, gt=0, le=720, description="hours, above 0 and up to 720 (30 days)"
    )
    max_thread_depth: int = Field(6, ge=1, le=100, description="posts, 1 to 100")
    #: the visibility of replies on Mastodon
    visibility: Literal["public", "unlisted", "private", "direct"] = "public"
    #: answer only posts that summoned the account (etiquette; X self-serve requires it anyway)
    opt_in_only: bool = True
    #: the platform's reply length limit when it differs from the default (a Mastodon
    #: instance's max_characters); 0 means the platform default
    max_reply_characters: int = Field(0, ge=0, le=100_000, description="0 to 100000")
    #: similarity in (0, 1] to a recent reply at which the guard refuses a reply as a duplicate
    duplicate_threshold: float = Field(0.8, gt=0, le=1, description="above 0 and up to 1")
    #: domains (and their subdomains) replies may link to; every other link is refused
    allowed_domains: list[DomainName] = Field(default_factory=list, max_length=100)
    #: off, required (every reply waits for a person), llm_only (only `llm` replies wait)
    review: Literal["off", "required", "llm_only"] = "off"
    review_ttl_minutes: float = Field(
        120.0, gt=0, le=10080, description="minutes, above 0 and up to 10080 (a week)"
    )
    #: shadow runs everything but the platform write (`xbot mode` switches it while running)
    mode: Literal["live", "shadow"] = "live"
    #: answer authors flagged as bots (Mastodon `bot`, Bluesky `bot` label, `known_bots`)
    reply_to_bots: bool = False
    #: this account's spend caps (xbot.config_cost)
    cost: AccountCostSettings = Field(default_factory=AccountCostSettings)
    #: auto: stream where the platform offers it, else poll; stream; poll (xbot.config_intake)
    intake: IntakeModeSetting = "auto"


class XSettings(BaseModel):
    """Operator attestations and choices for X (DESIGN §9)."""

    model_config = ConfigDict(extra="forbid")

    #: X approved this app for AI-generated replies (developer guidelines)
    ai_replies_approved: bool = False
    #: self_serve tiers may reply only to summoned posts; enterprise may reply to any
    tier: Literal["self_serve", "enterprise"] = "self_serve"
    #: the operator set X's "Automated" label on every X account (the API cannot show it,
    #: platform-facts §5.2); a live X account without it is blocked `label_not_attested`
    automated_label_attested: bool = False


class LlmSettings(BaseModel):
    """An OpenAI-compatible endpoint for the `llm` generator."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    base_url: Url = Field("https://api.openai.com/v1", description="an http(s) URL")
    #: the model name sent to the endpoint
    model: str = Field("gpt-4o-mini", min_length=1, max_length=200, pattern=r"^\S+$")
    api_key_env: VariableName = Field("OPENAI_API_KEY", description="an environment variable name")
    temperature: float = Field(0.7, ge=0, le=2, description="0 to 2")
    max_tokens: int = Field(120, ge=1, le=32768, description="1 to 32768")
    timeout_seconds: float = Field(20.0, gt=0, le=600, description="above 0 and up to 600")


def config_path() -> Path:
    """Return the path of xbot.toml: `XBOT_CONFIG`, else ./xbot.toml."""
    return Path(os.environ.get("XBOT_CONFIG", "xbot.toml"))


#: accounts one deployment may configure (the scale bench runs 1 000 on one database)
MAX_ACCOUNTS = 1000


class Settings(BaseSettings):
    """Everything xbot reads from its configuration."""

    model_config = SettingsConfigDict(
        env_prefix="XBOT_",
        env_nested_delimiter="__",
        extra="forbid",
        populate_by_name=True,
        allow_inf_nan=False,
    )

    database_url: str = Field(
        "sqlite:///./xbot.db",
        max_length=2048,
        pattern=r"^[A-Za-z][A-Za-z0-9+.-]*://\S*$",
        description="an SQLAlchemy URL (sqlite:///... or postgresql://...), up to 2048 characters",
    )
    host: str = Field(
        "0.0.0.0",  # noqa: S104 - a worker must be reachable by the platform's health check
        min_length=1,
        max_length=253,
        pattern=r"^[A-Za-z0-9.:%\[\]-]+$",
        description="the address /health listens on: a host name or an IP address",
    )
    port: int = Field(
        8080,
        ge=0,
        le=65535,
        validation_alias=AliasChoices("PORT", "XBOT_PORT"),
        description="the TCP port /health listens on, 0 to 65535",
    )
    #: all: jobs and /health in one process; worker: the role that posts; web: never posts
    role: Role = "all"
    git_sha: str = Field("", pattern=r"^([0-9A-Fa-f]{7,64})?$", description="7 to 64 hex digits")
    worker_id: str = Field("", pattern=r"^[!-~]{0,128}$", description="up to 128 visible ASCII")
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    #: auto: console lines in a terminal, JSON lines otherwise
    log_format: Literal["auto", "console", "json"] = "auto"
    poll_interval: float = Field(
        1.0,
        ge=0.01,
        le=300,
        description="seconds between polls of the job runner and the kill switch, 0.01 to 300",
    )
    lease_seconds: float = Field(
        60.0,
        ge=1,
        le=3600,
        description="seconds a claimed job run or permit stays ours without a heartbeat, 1 to 3600",
    )
    database_outage_seconds: float = Field(
        120.0,
        gt=0,
        le=DAY,
        description="seconds the database may stay unusable before a worker exits, up to 86400",
    )
    probe_seconds: float = Field(
        0.0, ge=0, le=3600, description="seconds the probe job works for (tests), 0 to 3600"
    )
    jobs: JobIntervals = Field(default_factory=JobIntervals)
    #: runs in flight at once per worker (xbot.config_worker)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)
    #: job names this process runs; empty means all but the probe
    enabled_jobs: list[JobName] = Field(default_factory=list, max_length=len(JOB_NAMES))
    accounts: list[AccountSettings] = Field(default_factory=list, max_length=MAX_ACCOUNTS)
    x: XSettings = Field(default_factory=XSettings)
    bluesky: BlueskySettings = Field(default_factory=BlueskySettings)
    llm: LlmSettings = Field(default_factory=LlmSettings)
    review: ReviewSettings = Field(default_factory=ReviewSettings)
    #: X Activity API events by webhook to the web role instead of the stream (config_x_webhooks)
    x_webhooks: XWebhookSettings = Field(default_factory=XWebhookSettings)
    #: streams, their leases and the gap-filling poll (xbot.config_intake)
    intake: IntakeSettings = Field(default_factory=IntakeSettings)
    opt_outs: OptOutSettings = Field(default_factory=OptOutSettings)
    labels: LabelSettings = Field(default_factory=LabelSettings)
    #: every account's spend caps together, and rate-card overrides (xbot.config_cost)
    cost: CostSettings = Field(default_factory=CostSettings)
    #: Fernet keys that encrypt saved platform sessions, comma-separated, newest first
    #: (`xbot secrets generate-key` makes one; `xbot secrets rotate` re-encrypts with the first)
    secret_key: SecretStr | None = None
    #: the bearer token for /ready's details over HTTP and the console (XBOT_ADMIN_TOKEN)
    admin_token: SecretStr | None = None
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)

    #: refuse every claim (reason deploy_unmarked) until `xbot deploy mark` declared a deployment
    require_deploy_mark: bool = False

    @field_validator("secret_key")
    @classmethod
    def _valid_secret_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not all(map(_is_fernet_key, secret_keys(value))):
            raise ValueError(
                "each comma-separated key must be 32 url-safe base64-encoded bytes "
                "(make one with `xbot secrets generate-key`)"
            )
        return value

    @field_validator("admin_token")
    @classmethod
    def _valid_admin_token(cls, value: SecretStr | None) -> SecretStr | None:
        token = value.get_secret_value() if value is not None else None
        if token is not None and not ADMIN_TOKEN_PATTERN.fullmatch(token):
            raise ValueError(
                "must be 16 to 512 visible characters without spaces "
                "(make one with `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
            )
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Precedence: arguments, then XBOT_* variables, then xbot.toml."""
        del dotenv_settings, file_secret_settings
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_path())
        return (init_settings, env_settings, toml)

    @field_validator("accounts")
    @classmethod
    def _one_entry_per_account(cls, accounts: list[AccountSettings]) -> list[AccountSettings]:
        seen: set[tuple[str, str]] = set()
        for account in accounts:
            key = (account.platform, account.handle.removeprefix("@").lower())
            if key in seen:
                raise ValueError(
                    f"{account.platform}:{account.handle} is listed twice; "
                    "keep one [[accounts]] entry per platform and handle"
                )
            seen.add(key)
        return accounts

    def secret_values(self) -> tuple[str, ...]:
        """Return every configured secret value: for the guard to refuse, for logs to mask.

        Every SecretStr field at any depth (so a new secret setting is covered as it is added),
        each key of XBOT_SECRET_KEY, the value of every account's credential variables and of
        the LLM key's variable, and the database password (user info or query parameters).
        """
        values = [*_secret_fields(self), *secret_keys(self.secret_key)]
        values += url_passwords(self.database_url)
        variables = [self.llm.api_key_env]
        variables += [name for account in self.accounts for name in account.credentials.values()]
        values += [os.environ.get(name, "") for name in variables]
        return tuple(dict.fromkeys(value for value in values if value.strip()))


def secret_keys(value: SecretStr | None) -> list[str]:
    """Split XBOT_SECRET_KEY into its keys, newest first (empty when unset)."""
    text = value.get_secret_value() if value is not None else ""
    return [key.strip() for key in text.split(",") if key.strip()]


def _is_fernet_key(key: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32 and len(key) == 44
    except (ValueError, UnicodeEncodeError):
        return False


def load_settings(**overrides: Any) -> Settings:
    """Build the settings once, or raise ConfigError naming the key, its source and the fix."""
    path = config_path()
    check_config_file(os.environ)
    try:
        loaded = Settings(**overrides)
    except ValidationError as exc:
        rules = field_rules(Settings)
        message = describe_validation_error(exc, os.environ, path, rules, given=overrides)
        raise ConfigError(message) from None
    except SettingsError as exc:
        raise ConfigError(describe_settings_error(exc, os.environ, path)) from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}. Fix the file or XBOT_CONFIG.") from None
    check_variables(os.environ, Settings.model_fields, known_variables(loaded))
    return loaded


def known_variables(settings: Settings) -> frozenset[str]:
    """Return the XBOT_* names this configuration reads besides its own fields."""
    named = {settings.llm.api_key_env, *SHA_ENVIRONMENT_VARIABLES}
    for account in settings.accounts:
        named.update(account.credentials.values())
    return frozenset(name.upper() for name in named)


def _secret_fields(model: BaseModel) -> list[str]:
    found = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        items = _members(value)
        for item in items:
            if isinstance(item, SecretStr):
                found.append(item.get_secret_value())
            elif isinstance(item, BaseModel):
                found.extend(_secret_fields(item))
    return found


def _members(value: object) -> list[object]:
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list | tuple | set | frozenset):
        return list(value)
    return [value]


def sha_from_environment() -> tuple[str, str] | None:
    """Return (sha, variable name) from the first deploy variable that is set, if it is a SHA."""
    for name in SHA_ENVIRONMENT_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value and not GIT_SHA.fullmatch(value):
            raise ConfigError(
                f"{name} is not a git SHA ({len(value)} characters): give 7 to 64 hex digits, "
                "e.g. `git rev-parse HEAD`, or unset it."
            )
        if value:
            return value, name
    return None


def secret_from_environment(variable: str) -> SecretStr | None:
    """Return the secret held by one named environment variable, if set."""
    value = os.environ.get(variable)
    return SecretStr(value) if value else None


def redacted(settings: Settings) -> dict[str, Any]:
    """Return the settings as data with every secret and URL password masked."""
    shown: dict[str, Any] = redact_data(settings.model_dump(mode="json"))
    return shown


def credential_variables(settings: Settings) -> dict[str, str]:
    """Whether each variable the settings name as holding a credential is set; never its value."""
    names = [settings.llm.api_key_env]
    names += [name for account in settings.accounts for name in account.credentials.values()]
    return {
        name: "set" if os.environ.get(name, "").strip() else "not set"
        for name in dict.fromkeys(names)
    }
