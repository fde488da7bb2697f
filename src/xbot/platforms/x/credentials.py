"""Credentials of one X account: OAuth 1.0a user context, or an OAuth 2 user token with refresh.

Settings name each credential and the environment variable that holds it
(`[accounts.credentials] consumer_key = "XBOT_X_CONSUMER_KEY"`, ...). The names are:

- OAuth 1.0a (preferred: X does not expire these): `consumer_key`, `consumer_secret`,
  `access_token`, `access_token_secret`;
- OAuth 2 user context: `client_id`, `oauth2_access_token`, and for refresh
  `oauth2_refresh_token` (plus `client_secret` for a confidential client).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from pydantic import SecretStr

from xbot.config import secret_from_environment
from xbot.domain.errors import ConfigError

OAUTH1_NAMES = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
OAUTH2_NAMES = ("client_id", "oauth2_access_token")


@dataclass(frozen=True, kw_only=True, slots=True)
class OAuth1Credentials:
    """OAuth 1.0a user context: the app's consumer pair and the user's access pair."""

    consumer_key: SecretStr
    consumer_secret: SecretStr
    access_token: SecretStr
    access_token_secret: SecretStr


@dataclass(frozen=True, kw_only=True, slots=True)
class OAuth2Credentials:
    """An OAuth 2 user token; with a refresh token it can be renewed (X rotates both)."""

    client_id: str
    access_token: SecretStr
    refresh_token: SecretStr | None = None
    client_secret: SecretStr | None = None
    #: when the access token expires, if known (X: two hours after issue)
    expires_at: datetime | None = None


XCredentials = OAuth1Credentials | OAuth2Credentials
#: called with the new token pair after every refresh, so the caller can persist it
TokenSaver = Callable[[OAuth2Credentials], None]


def credentials_from(values: Mapping[str, SecretStr | None]) -> XCredentials:
    """Pick OAuth 1.0a when all four of its values are present, else the OAuth 2 token."""
    present = {name: value for name, value in values.items() if value is not None}
    if all(name in present for name in OAUTH1_NAMES):
        return OAuth1Credentials(**{name: present[name] for name in OAUTH1_NAMES})
    if all(name in present for name in OAUTH2_NAMES):
        return OAuth2Credentials(
            client_id=present["client_id"].get_secret_value(),
            access_token=present["oauth2_access_token"],
            refresh_token=present.get("oauth2_refresh_token"),
            client_secret=present.get("client_secret"),
        )
    missing1 = [name for name in OAUTH1_NAMES if name not in present]
    missing2 = [name for name in OAUTH2_NAMES if name not in present]
    raise ConfigError(
        "X credentials are incomplete: OAuth 1.0a lacks "
        f"{', '.join(missing1)}; OAuth 2 lacks {', '.join(missing2)}. "
        "Name each in the account's [credentials] and set those environment variables."
    )


def credentials_from_environment(variables: Mapping[str, str]) -> XCredentials:
    """Read each credential from the environment variable the settings name for it."""
    values = {name: secret_from_environment(variable) for name, variable in variables.items()}
    unset = sorted(variables[name] for name, value in values.items() if value is None)
    try:
        return credentials_from(values)
    except ConfigError as exc:
        hint = f" Unset variables: {', '.join(unset)}." if unset else ""
        raise ConfigError(f"{exc}{hint}") from None
