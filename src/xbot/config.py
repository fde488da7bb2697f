"""One typed settings object, read once, from xbot.toml and XBOT_* variables (CONVENTIONS 3.8).

This is the only module that reads the environment.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from xbot.domain.budgets import parse_quiet_hours, parse_timezone
from xbot.domain.errors import ConfigError

Role = Literal["all", "worker", "web"]

#: where a deploy platform tells a process which commit it runs, in the order we trust them
SHA_ENVIRONMENT_VARIABLES = (
    "XBOT_GIT_SHA",
    "RAILWAY_GIT_COMMIT_SHA",
    "SOURCE_COMMIT",
    "RENDER_GIT_COMMIT",
    "HEROKU_BUILD_COMMIT",
    "GITHUB_SHA",
)


class JobIntervals(BaseModel):
    """Seconds between runs of each job, per account."""

    model_config = ConfigDict(extra="forbid")

    fetch: float = Field(300.0, gt=0)
    schedule: float = Field(60.0, gt=0)
    post: float = Field(5.0, gt=0)
    reconcile: float = Field(60.0, gt=0)
    ghost_scan: float = Field(900.0, gt=0)
    watchdog: float = Field(300.0, gt=0)
    #: the canary job; runs only when listed in enabled_jobs
    probe: float = Field(1.0, gt=0)


class BudgetSettings(BaseModel):
    """How much one account may post (DESIGN §4.2)."""

    model_config = ConfigDict(extra="forbid")

    per_hour: int = Field(4, ge=0)
    per_day: int = Field(30, ge=0)
    author_cooldown_minutes: float = Field(240.0, ge=0)
    min_gap_seconds: float = Field(60.0, ge=0)
    #: "23:00-07:00" in the account's time zone, or empty for none
    quiet_hours: str = ""
    timezone: str = "UTC"

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

    model_config = ConfigDict(extra="forbid")

    platform: Literal["x", "bluesky", "mastodon"]
    handle: str = Field(min_length=1)
    enabled: bool = True
    #: the API base URL; empty means the platform's public default
    base_url: str = ""
    #: credential name -> name of the environment variable that holds it
    credentials: dict[str, str] = Field(default_factory=dict)
    topics: list[str] = Field(default_factory=list)
    persona: str = ""
    generator: Literal["bank", "llm"] = "bank"
    bank_file: str = ""
    languages: list[str] = Field(default_factory=list)
    known_bots: list[str] = Field(default_factory=list)
    blocked_authors: list[str] = Field(default_factory=list)
    budgets: BudgetSettings = Field(default_factory=BudgetSettings)
    allow_links: bool = False
    banned_terms: list[str] = Field(default_factory=list)
    candidate_ttl_minutes: float = Field(30.0, gt=0)
    max_queue: int = Field(200, gt=0)
    max_candidate_age_hours: float = Field(24.0, gt=0)
    max_thread_depth: int = Field(6, ge=1)
    visibility: Literal["public", "unlisted", "private", "direct"] = "public"
    #: answer only posts that summoned the account (etiquette; X self-serve requires it anyway)
    opt_in_only: bool = True
    #: the platform's reply length limit when it differs from the default (a Mastodon
    #: instance's max_characters); 0 means the platform default
    max_reply_characters: int = Field(0, ge=0)
    #: similarity in (0, 1] to a recent reply at which the guard refuses a reply as a duplicate
    duplicate_threshold: float = Field(0.8, gt=0, le=1)


class XSettings(BaseModel):
    """Operator attestations and choices for X (DESIGN §9)."""

    model_config = ConfigDict(extra="forbid")

    #: X approved this app for AI-generated replies (developer guidelines)
    ai_replies_approved: bool = False
    #: self_serve tiers may reply only to summoned posts; enterprise may reply to any
    tier: Literal["self_serve", "enterprise"] = "self_serve"


class LlmSettings(BaseModel):
    """An OpenAI-compatible endpoint for the `llm` generator."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = "https://api.openai.com/v1"
    model: str = "gpt-4o-mini"
    api_key_env: str = "OPENAI_API_KEY"
    temperature: float = Field(0.7, ge=0, le=2)
    max_tokens: int = Field(120, gt=0)
    timeout_seconds: float = Field(20.0, gt=0)


def config_path() -> Path:
    """Return the path of xbot.toml: `XBOT_CONFIG`, else ./xbot.toml."""
    return Path(os.environ.get("XBOT_CONFIG", "xbot.toml"))


class Settings(BaseSettings):
    """Everything xbot reads from its configuration."""

    model_config = SettingsConfigDict(
        env_prefix="XBOT_",
        env_nested_delimiter="__",
        extra="forbid",
        populate_by_name=True,
    )

    database_url: str = "sqlite:///./xbot.db"
    host: str = "0.0.0.0"  # noqa: S104 - a worker must be reachable by the platform's health check
    port: int = Field(8080, ge=0, le=65535, validation_alias=AliasChoices("PORT", "XBOT_PORT"))
    role: Role = "all"
    git_sha: str = ""
    worker_id: str = ""
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["auto", "console", "json"] = "auto"
    #: seconds between polls of the job runner (and of the kill switch)
    poll_interval: float = Field(1.0, gt=0)
    #: seconds a claimed job run or permit stays ours without a heartbeat
    lease_seconds: float = Field(60.0, gt=0)
    #: seconds the database may stay unusable before a worker exits non-zero
    database_outage_seconds: float = Field(120.0, gt=0)
    #: seconds the probe job works for (tests use it to crash a worker mid-run)
    probe_seconds: float = Field(0.0, ge=0)
    jobs: JobIntervals = Field(default_factory=JobIntervals)
    #: job names this process runs; empty means all
    enabled_jobs: list[str] = Field(default_factory=list)
    accounts: list[AccountSettings] = Field(default_factory=list)
    x: XSettings = Field(default_factory=XSettings)
    llm: LlmSettings = Field(default_factory=LlmSettings)
    #: bearer token for /ready details and the console (XBOT_ADMIN_TOKEN)
    admin_token: SecretStr | None = None

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


def load_settings(**overrides: Any) -> Settings:
    """Build the settings once, or raise ConfigError naming the key and the fix."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"cannot read {config_path()}: {exc}. Fix the file or XBOT_CONFIG."
        ) from None


def describe_validation_error(exc: ValidationError) -> str:
    """Return one line naming the first bad key, its rule and where to fix it."""
    first = exc.errors()[0]
    key = ".".join(str(part) for part in first["loc"])
    env_name = "XBOT_" + key.upper().replace(".", "__")
    if key.lower() == "port":
        env_name = "PORT"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return (
        f"invalid configuration value for '{key}': {first['msg']}{more}. "
        f"Set {env_name} or '{key}' in {config_path()} to a valid value."
    )


def sha_from_environment() -> tuple[str, str] | None:
    """Return (sha, variable name) from the first deploy variable that is set."""
    for name in SHA_ENVIRONMENT_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            return value, name
    return None


def secret_from_environment(variable: str) -> SecretStr | None:
    """Return the secret held by one named environment variable, if set."""
    value = os.environ.get(variable)
    return SecretStr(value) if value else None


def redacted(settings: Settings) -> dict[str, Any]:
    """Return the settings as data with every secret and database password masked."""
    data = settings.model_dump(mode="json")
    data["database_url"] = redact_url(settings.database_url)
    return data


def redact_url(url: str) -> str:
    """Mask the password in a database URL."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else url
