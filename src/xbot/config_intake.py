"""The `[intake]` settings and each account's `intake` mode: streams with polling as gap filler.

`auto` streams where the platform offers it (Bluesky Jetstream, the Mastodon streaming API, X's
Activity API when the access includes it) and polls otherwise; `stream` streams and says on
/ready why it cannot; `poll` only polls (issue 16).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: how an account takes in mentions (xbot.domain.intake.IntakeMode)
IntakeModeSetting = Literal["auto", "stream", "poll"]


class IntakeSettings(BaseModel):
    """How streams are held, resumed and backed by the poll."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    #: while an account's stream is connected, the fetch job polls every this many fetch
    #: intervals (gap filler); a dropped stream backfills with the same poll on reconnect
    gap_fill_factor: int = Field(5, ge=1, le=1000, description="fetch intervals, 1 to 1000")
    #: seconds a worker holds an account's stream without renewing it; another worker takes
    #: the stream over once a dead holder's lease expires
    lease_seconds: float = Field(30.0, ge=2, le=3600, description="seconds, 2 to 3600")
    #: a second backfill this long after each (re)connect: a platform lists a mention in its
    #: notifications a little after its stream carries it (Bluesky's AppView lags by seconds),
    #: so a mention made just before a reconnect is only seen by a later poll; 0 turns it off
    backfill_again_seconds: float = Field(2.5, ge=0, le=600, description="seconds, 0 (off) to 600")
    #: the first reconnect waits about this long, doubling (with jitter) up to the maximum;
    #: a connection that delivered starts over at this step (the mentions made while the
    #: stream is down wait for the reconnect's backfill)
    reconnect_initial_seconds: float = Field(
        0.25, gt=0, le=3600, description="seconds, above 0 and up to 3600"
    )
    #: how a Mastodon account's stream is carried: the websocket (`/api/v1/streaming`), or
    #: server-sent events (`/api/v1/streaming/user/notification`) where a proxy passes plain
    #: HTTP streams but not websockets
    mastodon_transport: Literal["websocket", "sse"] = Field(
        "websocket", description='"websocket" or "sse"'
    )
    reconnect_max_seconds: float = Field(
        60.0, gt=0, le=86400, description="seconds, above 0 and up to 86400"
    )
