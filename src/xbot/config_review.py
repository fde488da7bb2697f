"""The `[review]` settings: where to tell a person that a reply waits for them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from xbot.config_types import OptionalUrl


class ReviewSettings(BaseModel):
    """Optional notification when a permit waits for review (issue 14)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    #: a JSON POST goes here for every permit that starts waiting; empty sends nothing
    webhook_url: OptionalUrl = Field(
        "", description="an http(s) URL up to 2048 characters, or empty"
    )
    #: the console's base URL, for the link the notification carries; empty sends no link
    console_url: OptionalUrl = Field(
        "", description="an http(s) URL up to 2048 characters, or empty"
    )
    webhook_timeout_seconds: float = Field(
        5.0, gt=0, le=60, description="seconds, above 0 and up to 60"
    )
