"""The `[console]` settings: who may read the web console without the admin token."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ConsoleSettings(BaseModel):
    """How the web console (/console, /api/v1) admits readers; actions always need the token."""

    model_config = ConfigDict(extra="forbid")

    #: read-only pages and GET API routes without logging in (actions still need the token)
    public_read: bool = False
    #: serve the console without XBOT_ADMIN_TOKEN, but only when `host` is a loopback address
    local_without_token: bool = False
