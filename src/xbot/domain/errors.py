"""The one error hierarchy of xbot. The docstring of each class is its default message."""

from __future__ import annotations

from datetime import datetime


class XbotError(Exception):
    """Something went wrong in xbot."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())


class ConfigError(XbotError):
    """The configuration is invalid. Fix xbot.toml or the XBOT_* environment variables."""


class SecretKeyMissing(ConfigError):
    """XBOT_SECRET_KEY is not set, so saved platform sessions cannot be encrypted. Make one with `xbot secrets generate-key` (or `python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`) and set XBOT_SECRET_KEY to it."""  # noqa: E501 - one line on purpose: it is the message


class SecretKeyWrong(ConfigError):
    """A saved platform session cannot be decrypted with XBOT_SECRET_KEY. Put the key it was saved with after the new one (XBOT_SECRET_KEY=new,old) and run `xbot secrets rotate`."""  # noqa: E501 - one line on purpose: it is the message


class StoreError(XbotError):
    """The database failed."""


class DatabaseUnreachable(StoreError):
    """The database cannot be reached. Check XBOT_DATABASE_URL and that the server is running."""


class SchemaBehind(StoreError):
    """The database schema is older than this code. Run `xbot migrate`."""


class LeaseLost(StoreError):
    """Another worker took over this lease; the current work must stop."""


class DuplicateDecision(StoreError):
    """A decision for this target exists already: one reply per interaction."""


class PortInUse(XbotError):
    """The port is already in use. Stop the other process or set PORT to a free port."""


# --- platform errors: one taxonomy at every adapter edge (DESIGN §9) ---


class PlatformError(XbotError):
    """The platform answered with an error."""

    def __init__(
        self, message: str | None = None, *, status: int | None = None, excerpt: str = ""
    ) -> None:
        super().__init__(message)
        self.status = status
        self.excerpt = excerpt


class RateLimited(PlatformError):
    """The platform's rate limit is exhausted; wait until reset_at."""

    def __init__(
        self,
        message: str | None = None,
        *,
        reset_at: datetime | None = None,
        status: int | None = 429,
        excerpt: str = "",
    ) -> None:
        super().__init__(message, status=status, excerpt=excerpt)
        self.reset_at = reset_at


class AuthFailed(PlatformError):
    """The platform rejected the credentials. Check the account's tokens."""


class PlatformMisconfigured(XbotError):
    """The account's platform service is misconfigured (a PDS with no AppView): fix base_url."""


class ForbiddenByPolicy(PlatformError):
    """The platform's policy forbids this action (e.g. a reply to a post that did not summon us)."""


class DuplicateContent(PlatformError):
    """The platform refused duplicate content: the post probably exists already. Read back."""


class NotFound(PlatformError):
    """The platform has no such resource."""


class CreditsDepleted(PlatformError):
    """The platform account is out of credits. Buy credits or raise the spending limit."""


class UsageCapExceeded(CreditsDepleted):
    """The platform's usage cap is reached. Raise the cap in the developer console, or wait."""


class Transient(PlatformError):
    """A transient failure; the request surely was not applied. Retry later."""


class Ambiguous(PlatformError):
    """The request may or may not have been applied. Read back before any retry."""


class BadResponse(PlatformError):
    """The platform answered with something we cannot read."""


class InvalidRequest(PlatformError):
    """The platform refused the request as invalid (a 400 on a read): xbot asked wrongly."""


class GeneratorFailed(XbotError):
    """The reply generator failed."""


class ReviewError(XbotError):
    """The review action cannot be done now: see `xbot review list`."""
