"""Authentication of the fake X: OAuth 1.0a signatures (oauthlib), OAuth 2 user tokens, app Bearer.

One developer app (consumer key/secret, OAuth 2 client id/secret, app Bearer) serves every
bot account; each bot account has an OAuth 1.0a access token pair and an OAuth 2 access and
refresh token. OAuth 2 access tokens expire on the fake clock; a refresh rotates both tokens
and the old refresh token stops working after `refresh_grace_seconds`.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from oauthlib.oauth1 import RequestValidator, ResourceEndpoint
from typing_extensions import override

from xbot.sim.core.clock import SimClock
from xbot.sim.core.world import SimUser, World

OAUTH2_SCOPE = "tweet.read tweet.write users.read offline.access"


@dataclass(frozen=True, kw_only=True, slots=True)
class Principal:
    """Who a request acts as."""

    kind: Literal["user", "app"]
    via: Literal["oauth1", "oauth2", "bearer"]
    user_id: str | None = None
    #: the scopes of an OAuth 2 user token (space-separated)
    scope: str = ""

    @property
    def limit_key(self) -> str:
        """Return the key rate limits are counted under."""
        return f"user:{self.user_id}" if self.kind == "user" else "app"


@dataclass(kw_only=True, slots=True)
class _UserToken:
    user_id: str
    expires_at: datetime | None
    revoked: bool = False
    scope: str = OAUTH2_SCOPE


class XAuth:
    """Credentials of the fake X and the checks every request goes through."""

    def __init__(
        self,
        world: World,
        clock: SimClock,
        *,
        access_token_seconds: float = 7200,
        refresh_grace_seconds: float = 0,
    ) -> None:
        self.world = world
        self.clock = clock
        self.access_token_seconds = access_token_seconds
        self.refresh_grace_seconds = refresh_grace_seconds
        self._lock = threading.Lock()
        self.consumer_key = world.secret("x:consumer_key", 25)
        self.consumer_secret = world.secret("x:consumer_secret", 50)
        self.client_id = world.secret("x:client_id", 34)
        self.client_secret = world.secret("x:client_secret", 50)
        self.bearer_token = "AAAAAAAAAAAAAAAAAAAAA" + world.secret("x:bearer", 60)
        self._oauth1: dict[str, tuple[str, str]] = {}
        self._revoked: set[str] = set()
        self._access: dict[str, _UserToken] = {}
        self._refresh: dict[str, _UserToken] = {}
        self._generation = 0
        self._nonces: dict[tuple[str, str], float] = {}
        self._endpoint = ResourceEndpoint(_Validator(self))
        self.reset()

    def reset(self) -> None:
        """Issue the seeded credentials again; every refreshed token is forgotten."""
        with self._lock:
            self._oauth1.clear()
            self._revoked.clear()
            self._access.clear()
            self._refresh.clear()
            self._generation = 0
            for bot in self.world.bot_accounts:
                token = f"{bot.user_id}-{self.world.secret(f'x:oauth1:{bot.handle}', 40)}"
                secret = self.world.secret(f"x:oauth1_secret:{bot.handle}", 45)
                self._oauth1[token] = (bot.user_id, secret)
                self._issue(bot.user_id, label=bot.handle)

    def credentials(self, bot: SimUser) -> dict[str, str]:
        """Return the current credentials of one bot account, named as xbot's settings name them."""
        with self._lock:
            # the newest tokens issued to the account (a refresh rotates them)
            token = _newest(t for t, (uid, _) in self._oauth1.items() if uid == bot.user_id)
            access = _newest(t for t, v in self._access.items() if v.user_id == bot.user_id)
            refresh = _newest(t for t, v in self._refresh.items() if v.user_id == bot.user_id)
            return {
                "user_id": bot.user_id,
                "consumer_key": self.consumer_key,
                "consumer_secret": self.consumer_secret,
                "access_token": token,
                "access_token_secret": self._oauth1[token][1],
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "oauth2_access_token": access,
                "oauth2_refresh_token": refresh,
                "bearer_token": self.bearer_token,
            }

    def revoke(self, user_id: str) -> None:
        """Revoke every token of one user (the user removed the app)."""
        with self._lock:
            self._revoked |= {t for t, (uid, _) in self._oauth1.items() if uid == user_id}
            for table in (self._access, self._refresh):
                for record in table.values():
                    if record.user_id == user_id:
                        record.revoked = True

    def authenticate(
        self, *, uri: str, method: str, headers: Mapping[str, str], body: bytes
    ) -> Principal | None:
        """Return the request's principal, or None when its credentials are not valid."""
        authorization = headers.get("authorization", "")
        if authorization.startswith("OAuth "):
            return self._oauth1_principal(uri, method, headers, body)
        if authorization.startswith("Bearer "):
            return self._bearer_principal(authorization.removeprefix("Bearer ").strip())
        return None

    def refresh(self, form: Mapping[str, str], basic: str | None) -> dict[str, Any] | str:
        """Rotate a refresh token; return the token JSON or an OAuth error description."""
        client_id = form.get("client_id") or _basic_user(basic)
        if client_id != self.client_id:
            return "Missing valid authorization header"
        with self._lock:
            record = self._refresh.get(form.get("refresh_token", ""))
            now = self.clock.now()
            if record is None or record.revoked or _expired(record, now):
                return "Value passed for the token was invalid."
            record.expires_at = min(
                record.expires_at or now + timedelta(days=3650),
                now + timedelta(seconds=self.refresh_grace_seconds),
            )
            scope = record.scope
            access, refresh = self._issue(
                record.user_id, label=f"refresh:{record.user_id}", scope=scope
            )
        return {
            "token_type": "bearer",
            "expires_in": int(self.access_token_seconds),
            "access_token": access,
            "scope": scope,
            "refresh_token": refresh,
        }

    def grant(self, user_id: str, scope: str) -> tuple[str, str | None]:
        """Issue tokens for an authorization code; a refresh token only with offline.access."""
        with self._lock:
            access, refresh = self._issue(user_id, label=f"grant:{user_id}", scope=scope)
            if "offline.access" not in scope.split():
                del self._refresh[refresh]
                return access, None
            return access, refresh

    def grant_oauth1(self, user_id: str) -> tuple[str, str]:
        """Issue a new OAuth 1.0a access token pair for a user (the PIN flow's end)."""
        with self._lock:
            self._generation += 1
            token = f"{user_id}-{self.world.secret(f'x:oauth1:pin:{self._generation}', 40)}"
            secret = self.world.secret(f"x:oauth1_secret:pin:{self._generation}", 45)
            self._oauth1[token] = (user_id, secret)
            return token, secret

    def scope_of(self, token: str) -> str | None:
        """Return the scope of a live OAuth 2 access token."""
        with self._lock:
            record = self._access.get(token)
            return None if record is None or record.revoked else record.scope

    def _issue(self, user_id: str, *, label: str, scope: str = OAUTH2_SCOPE) -> tuple[str, str]:
        self._generation += 1
        stem = f"x:oauth2:{label}:{self._generation}"
        access = self.world.secret(stem + ":access", 80)
        refresh = self.world.secret(stem + ":refresh", 80)
        expires = self.clock.now() + timedelta(seconds=self.access_token_seconds)
        self._access[access] = _UserToken(user_id=user_id, expires_at=expires, scope=scope)
        self._refresh[refresh] = _UserToken(user_id=user_id, expires_at=None, scope=scope)
        return access, refresh

    def _bearer_principal(self, token: str) -> Principal | None:
        if token == self.bearer_token:
            return Principal(kind="app", via="bearer")
        with self._lock:
            record = self._access.get(token)
            if record is None or record.revoked or _expired(record, self.clock.now()):
                return None
            return Principal(kind="user", via="oauth2", user_id=record.user_id, scope=record.scope)

    def _oauth1_principal(
        self, uri: str, method: str, headers: Mapping[str, str], body: bytes
    ) -> Principal | None:
        valid, request = self._endpoint.validate_protected_resource_request(
            uri, http_method=method, body=body.decode("latin-1"), headers=dict(headers)
        )
        if not valid or request is None:
            return None
        with self._lock:
            owner = self._oauth1.get(request.resource_owner_key)
        return None if owner is None else Principal(kind="user", via="oauth1", user_id=owner[0])

    # --- used by the oauthlib validator ---

    def oauth1_secret(self, token: str) -> str | None:
        """Return the secret of an OAuth 1.0a access token, if the token is live."""
        with self._lock:
            owner = None if token in self._revoked else self._oauth1.get(token)
        return None if owner is None else owner[1]

    def use_nonce(self, client_key: str, timestamp: str, nonce: str, lifetime: int) -> bool:
        """Remember a nonce; False when it was seen before (a replayed request)."""
        now = time.time()
        with self._lock:
            self._nonces = {k: at for k, at in self._nonces.items() if now - at < 2 * lifetime}
            key = (client_key, f"{timestamp}:{nonce}")
            if key in self._nonces:
                return False
            self._nonces[key] = now
            return True


def _newest(tokens: Iterable[str]) -> str:
    found = list(tokens)
    return found[-1] if found else ""


def _expired(record: _UserToken, now: datetime) -> bool:
    return record.expires_at is not None and now >= record.expires_at


def _basic_user(header: str | None) -> str | None:
    if not header or not header.startswith("Basic "):
        return None
    try:
        decoded = base64.b64decode(header.removeprefix("Basic ")).decode()
    except ValueError:
        return None
    return decoded.partition(":")[0]


class _Validator(RequestValidator):  # type: ignore[misc]  # oauthlib is untyped
    """Answers oauthlib's questions from the fake's credentials."""

    enforce_ssl = False
    safe_characters = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
    client_key_length = (10, 100)
    access_token_length = (10, 120)
    nonce_length = (6, 64)
    dummy_client = "dummyclientkey0000000000"
    dummy_access_token = "0-dummyaccesstoken00000000000"  # noqa: S105 - not a secret

    def __init__(self, auth: XAuth) -> None:
        super().__init__()
        self.auth = auth

    @override
    def validate_client_key(self, client_key: str, request: object) -> bool:
        return client_key == self.auth.consumer_key

    @override
    def validate_access_token(self, client_key: str, token: str, request: object) -> bool:
        return self.auth.oauth1_secret(token) is not None

    @override
    def validate_timestamp_and_nonce(
        self,
        client_key: str,
        timestamp: str,
        nonce: str,
        request: object,
        request_token: str | None = None,
        access_token: str | None = None,
    ) -> bool:
        return self.auth.use_nonce(client_key, timestamp, nonce, self.timestamp_lifetime)

    @override
    def validate_realms(self, *args: object, **kwargs: object) -> bool:
        return True

    @override
    def get_client_secret(self, client_key: str, request: object) -> str:
        if client_key == self.auth.consumer_key:
            return self.auth.consumer_secret
        return "dummy-client-secret"

    @override
    def get_access_token_secret(self, client_key: str, token: str, request: object) -> str:
        return self.auth.oauth1_secret(token) or "dummy-token-secret"
