"""The `[bluesky]` settings: what every Bluesky account shares, i.e. where Jetstream is."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

#: a ws:// or wss:// URL
WebsocketUrl = Annotated[str, StringConstraints(max_length=2048, pattern=r"^wss?://[^\s/?#]+\S*$")]
#: Bluesky's public Jetstream (also jetstream1.us-east, jetstream{1,2}.us-west)
PUBLIC_JETSTREAM = "wss://jetstream2.us-east.bsky.network"


class BlueskySettings(BaseModel):
    """Jetstream, the push channel of Bluesky accounts (issue 16)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    #: where mentions stream from; `/subscribe` is added
    jetstream_url: WebsocketUrl = Field(
        PUBLIC_JETSTREAM, description="a ws:// or wss:// URL up to 2048 characters"
    )
    #: on (re)connect, resume this long before the stored cursor (posts seen twice are no-ops)
    jetstream_margin_seconds: float = Field(5.0, ge=0, le=3600, description="seconds, 0 to 3600")
