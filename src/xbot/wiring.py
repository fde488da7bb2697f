"""The composition root: `build_service` makes a serving process and every part it needs.

`cli.py` and the demo call `build_service`; jobs receive only the callables it hands over.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx2
import structlog
from pydantic import SecretStr
from sqlalchemy import Engine
from starlette.applications import Starlette

from xbot.config import AccountSettings, Settings, secret_from_environment
from xbot.console_service import ConsoleService
from xbot.domain.errors import ConfigError, SecretKeyMissing
from xbot.domain.meter import Meter
from xbot.domain.ports import Platform, ReplyGenerator
from xbot.domain.rate_card import rate_card
from xbot.generate import build_generator
from xbot.jobs.base import Account, JobSpec, WorkerIdentity
from xbot.jobs.registry import job_specs
from xbot.monitoring import MetricsSource, no_rate_limits
from xbot.notify.webhook import review_webhook
from xbot.platforms.bluesky.factory import PASSWORD_CREDENTIAL, build_bluesky_platform
from xbot.platforms.bluesky.stream import JetstreamOptions
from xbot.platforms.http import HttpOptions
from xbot.platforms.mastodon.factory import build_mastodon_platform
from xbot.platforms.x.credentials import (
    OAUTH1_NAMES,
    OAuth2Credentials,
    XCredentials,
    credentials_from,
)
from xbot.platforms.x.factory import build_x_platform
from xbot.platforms.x.stream import StreamOptions
from xbot.provenance import running_sha
from xbot.serve import Service
from xbot.store.engine import make_engine
from xbot.store.secretbox import SessionCipher
from xbot.store.sessions import DatabaseSessionStore
from xbot.store.sql import SqlStore
from xbot.web.app import create_app
from xbot.web.auth import Sessions
from xbot.web.bridge import AsgiBridge
from xbot.web.health import HealthServer, HealthState, current
from xbot.web.x_webhooks import WEBHOOK_PATH
from xbot.wiring_x_webhooks import x_webhook_routes

log = structlog.get_logger("xbot.wiring")

X_SESSION_KEY = "x_oauth2"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
#: what `xbot accounts add` stored (credential name -> value), under `accounts.session_state`
STORED_CREDENTIALS = "credentials"


@dataclass(kw_only=True)
class Overrides:
    """What a demo or test hands in instead of the environment and the network."""

    #: handle -> credential name -> secret value
    credentials: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    transport: Callable[[Account], httpx2.BaseTransport | None] | None = None
    visibility_grace_seconds: float | None = None
    #: HTTP timeouts for every adapter (the demo shortens the read timeout)
    http: HttpOptions | None = None


def build_service(settings: Settings, role: str, overrides: Overrides | None = None) -> Service:
    """Build a complete serving process: database, identity, jobs, adapters, generators, health.

    A web process gets no platform adapter and no generator: it can never post.
    """
    posting = role != "web"
    if posting:
        require_secret_key(settings)
    engine = make_engine(settings.database_url)
    platforms = PlatformCache(settings, engine, overrides) if posting else None
    service = Service(
        settings,
        role=role,
        engine=engine,
        store=SqlStore(engine),
        worker=identity(settings, role),
        specs=enabled_jobs(settings),
        state=health_state(settings),
        platform_for=platforms,
        generator_for=generator_factory(settings, overrides) if posting else None,
        notify_review=review_webhook(settings.review) if posting else None,
    )
    serve_metrics(service, platforms)
    return service


def serve_metrics(service: Service, platforms: PlatformCache | None) -> MetricsSource | None:
    """Serve /metrics on the health port to the admin token; without a token, say how to."""
    if service.settings.admin_token is None:
        log.info("metrics_not_served", how="set XBOT_ADMIN_TOKEN to serve /metrics to a bearer")
        service.state.set_metrics(None)
        return None
    source = MetricsSource(
        engine=service.engine,
        settings=service.settings,
        worker=service.worker,
        posting_state=service.posting_state,
        rate_limits=platforms.rate_limits if platforms is not None else no_rate_limits,
    )
    service.state.set_metrics(source.answer)
    return source


def serve_console(service: Service, server: HealthServer | None = None) -> bool:
    """Mount the console on the listener /health answers from; False when it is not served."""
    server = server or current()
    if server is None:
        return False
    webhooks = x_webhook_routes(service)
    console = console_app(service.settings, service.engine)
    if console is None and not webhooks:
        return False
    app = console or Starlette()
    app.router.routes.extend(webhooks)
    server.mount(AsgiBridge(app))
    host, port = server.address
    if webhooks:
        log.info("x_webhooks_served", url=f"http://{host}:{port}{WEBHOOK_PATH}")
    if console is not None:
        log.info("console_served", url=f"http://{host}:{port}/console")
    return True


def x_stream_options(settings: Settings) -> StreamOptions:
    """Return how X accounts take Activity API events: the stream, or webhooks ([x_webhooks])."""
    hooks = settings.x_webhooks
    return StreamOptions(
        by_webhook=hooks.enabled, webhook_id=hooks.webhook_id, replay_minutes=hooks.replay_minutes
    )


def console_app(settings: Settings, engine: Engine) -> Any:
    """Return the console's ASGI app, or None (logged once, with how to enable it)."""
    token = settings.admin_token.get_secret_value() if settings.admin_token else None
    local = settings.console.local_without_token and settings.host in LOOPBACK_HOSTS
    if token is None and not local:
        log.info(
            "console_not_served",
            how="set XBOT_ADMIN_TOKEN (16+ characters) to serve /console and /api/v1, or "
            "console.local_without_token = true with a loopback host (XBOT_HOST=127.0.0.1)",
        )
        return None
    console = ConsoleService(engine, settings)
    return create_app(console, Sessions(token), public_read=settings.console.public_read)


def identity(settings: Settings, role: str) -> WorkerIdentity:
    """Return who this process is, with the SHA and the source that answered."""
    provenance = running_sha(configured=settings.git_sha)
    host = socket.gethostname()
    pid = os.getpid()
    worker_id = settings.worker_id or f"{host}-{pid}-{uuid.uuid4().hex[:6]}"
    return WorkerIdentity(
        worker_id=worker_id,
        role=role,
        git_sha=provenance.git_sha,
        sha_source=provenance.sha_source,
        host=host,
        pid=pid,
    )


def enabled_jobs(settings: Settings) -> list[JobSpec]:
    """Return the jobs this deployment runs: `enabled_jobs` when set, else all but the probe."""
    specs = job_specs(settings)
    if settings.enabled_jobs:
        return [spec for spec in specs if spec.name in settings.enabled_jobs]
    return [spec for spec in specs if spec.name != "probe"]


def health_state(settings: Settings) -> HealthState:
    """Return the state /health and /ready answer from, with the admin token for /ready details.

    The listener was bound before the settings existed (entry.py); its token arrives here.
    """
    server = current()
    state = server.state if server else HealthState()
    token = settings.admin_token
    state.set_admin_token(token.get_secret_value() if token else None)
    return state


class PlatformCache:
    """Builds one adapter per account on first use and keeps it (connections are reused)."""

    def __init__(
        self, settings: Settings, engine: Engine, overrides: Overrides | None = None
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.overrides = overrides or Overrides()
        self.cipher = SessionCipher(settings.secret_key)
        self._built: dict[int, Platform] = {}
        self._accounts: dict[int, Account] = {}
        self._meters: dict[int, Meter] = {}
        self._meters_lock = threading.Lock()  # meter() runs inside __call__'s lock too
        self._lock = threading.Lock()

    def __call__(self, account: Account) -> Platform:
        """Return the account's adapter."""
        with self._lock:
            if account.account_id not in self._built:
                self._built[account.account_id] = self._build(account)
                self._accounts[account.account_id] = account
            return self._built[account.account_id]

    def rate_limits(self) -> list[tuple[str, str, str, float]]:
        """Return (platform, endpoint, account, remaining) for each limit the adapters saw."""
        with self._lock:
            built = [(self._accounts[key], platform) for key, platform in self._built.items()]
        return [
            (account.platform, endpoint, account.key, float(state.remaining))
            for account, platform in built
            for endpoint, state in platform.rate_limits().items()
            if state.remaining is not None
        ]

    def meter(self, account: Account) -> Meter:
        """Return the tally of the account's priced calls (one per account, shared by its jobs)."""
        with self._meters_lock:
            if account.account_id not in self._meters:
                prices = self.settings.cost.prices_for(account.platform)
                self._meters[account.account_id] = Meter(rate_card(account.platform, prices))
            return self._meters[account.account_id]

    def close(self) -> None:
        """Close every adapter's connections."""
        with self._lock:
            for platform in self._built.values():
                platform.close()
            self._built.clear()

    def _build(self, account: Account) -> Platform:
        extra = self._extra(account)
        if account.platform == "x":
            store = DatabaseSessionStore(
                self.engine, account.account_id, X_SESSION_KEY, self.cipher
            )
            extra["meter"] = self.meter(account)
            if "transport" not in extra:  # an in-process fake has no stream to hold open
                extra["stream"] = x_stream_options(self.settings)
            return _x(account, store, self._secrets(account), extra)
        if account.platform in {"bluesky", "mastodon"}:
            extra["meter"] = self.meter(account)
        if account.platform == "bluesky":
            store = DatabaseSessionStore(self.engine, account.account_id, "bluesky", self.cipher)
            password = self._secrets(account).get(PASSWORD_CREDENTIAL)
            bluesky = self.settings.bluesky
            if "transport" not in extra:  # an in-process fake has no Jetstream to stream from
                extra["jetstream"] = JetstreamOptions(
                    url=bluesky.jetstream_url,
                    margin=timedelta(seconds=bluesky.jetstream_margin_seconds),
                )
            return build_bluesky_platform(account.settings, password, store, **extra)
        if account.platform == "mastodon":
            token = self._secrets(account).get("access_token")
            extra["stream_transport"] = self.settings.intake.mastodon_transport
            return build_mastodon_platform(account.settings, token, **extra)
        raise ConfigError(f"account @{account.handle}: unknown platform {account.platform!r}")

    def _secrets(self, account: Account) -> dict[str, SecretStr]:
        """Return the overrides, else what `xbot accounts add` stored (set variables win).

        With neither, nothing: the adapter reads the named variables itself.
        """
        given = self.overrides.credentials.get(account.handle) or self._stored(account)
        return {name: SecretStr(value) for name, value in given.items()}

    def _stored(self, account: Account) -> dict[str, str]:
        store = DatabaseSessionStore(
            self.engine, account.account_id, STORED_CREDENTIALS, self.cipher
        )
        stored = {name: str(value) for name, value in (store.load() or {}).items() if value}
        if not stored:
            return {}
        for name, variable in account.settings.credentials.items():
            value = secret_from_environment(variable)
            if value is not None:
                stored[name] = value.get_secret_value()
        return stored

    def _extra(self, account: Account) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if self.overrides.transport is not None:
            extra["transport"] = self.overrides.transport(account)
        if self.overrides.http is not None:
            extra["http"] = self.overrides.http
        if self.overrides.visibility_grace_seconds is not None:
            extra["visibility_grace"] = timedelta(seconds=self.overrides.visibility_grace_seconds)
        return extra


def _x(
    account: Account,
    store: DatabaseSessionStore,
    secrets: dict[str, SecretStr],
    extra: dict[str, Any],
) -> Platform:
    credentials = credentials_from(secrets) if secrets else None
    saved = store.load()
    if saved and (credentials is None or isinstance(credentials, OAuth2Credentials)):
        credentials = _saved_oauth2(saved, credentials)

    def save(token: OAuth2Credentials) -> None:
        refresh = token.refresh_token
        store.save({
            "client_id": token.client_id,
            "access_token": token.access_token.get_secret_value(),
            "refresh_token": refresh.get_secret_value() if refresh else None,
            "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        })  # fmt: skip

    return build_x_platform(account.settings, credentials, on_token_refresh=save, **extra)


def _saved_oauth2(saved: Mapping[str, Any], configured: XCredentials | None) -> OAuth2Credentials:
    refresh = saved.get("refresh_token")
    return OAuth2Credentials(
        client_id=str(saved["client_id"]),
        access_token=SecretStr(str(saved["access_token"])),
        refresh_token=SecretStr(refresh) if refresh else None,
        client_secret=configured.client_secret
        if isinstance(configured, OAuth2Credentials)
        else None,
        expires_at=datetime.fromisoformat(saved["expires_at"]) if saved.get("expires_at") else None,
    )


def require_secret_key(settings: Settings) -> None:
    """Raise SecretKeyMissing when an enabled account keeps a session and no key is set.

    Bluesky always saves its session; X does when it runs on an OAuth 2 token (OAuth 1.0a
    tokens do not expire); Mastodon never.
    """
    if SessionCipher(settings.secret_key).has_key:
        return
    needing = [account for account in settings.accounts if account.enabled and _keeps(account)]
    if needing:
        first = needing[0]
        default = (SecretKeyMissing.__doc__ or "").strip()
        raise SecretKeyMissing(f"{first.platform}:@{first.handle} keeps a session; {default}")


def _keeps(account: AccountSettings) -> bool:
    if account.platform == "bluesky":
        return True
    oauth1 = all(name in account.credentials for name in OAUTH1_NAMES)
    return account.platform == "x" and bool(account.credentials) and not oauth1


def generator_factory(
    settings: Settings, overrides: Overrides | None = None
) -> Callable[[Account], ReplyGenerator]:
    """Return `generator_for(account)`, building each account's generator once."""
    given = (overrides or Overrides()).credentials
    built: dict[int, ReplyGenerator] = {}
    lock = threading.Lock()

    def generator_for(account: Account) -> ReplyGenerator:
        with lock:
            if account.account_id not in built:
                key = given.get("llm", {}).get("api_key")
                api_key = (
                    SecretStr(key) if key else secret_from_environment(settings.llm.api_key_env)
                )
                built[account.account_id] = build_generator(account.settings, settings.llm, api_key)
            return built[account.account_id]

    return generator_for
