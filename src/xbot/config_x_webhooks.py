"""The `[x_webhooks]` settings: X Activity API events delivered to the web role's `/webhooks/x`.

Off by default: X accounts then take events over the persistent stream (`GET /2/activity/stream`)
from the worker, and poll when the access has no Activity API. On, the web role answers X's CRC
challenge and takes signed deliveries at `/webhooks/x`, the worker opens no stream for X, and at
start the web role asks X to replay the last `replay_minutes` (needs `webhook_id` and a
`bearer_token` credential); the mentions poll fills any other gap.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class XWebhookSettings(BaseModel):
    """Webhook delivery of X Activity API events (issue 16)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    #: serve GET/POST /webhooks/x on the web role and take X events from it instead of the stream
    enabled: bool = False
    #: the id X answered when the webhook was registered (POST /2/webhooks); empty: no replay
    webhook_id: str = Field(
        "", pattern=r"^[0-9]{0,19}$", description="X's numeric webhook id, or empty"
    )
    #: at web start, X re-delivers this many minutes of events (0: none)
    replay_minutes: int = Field(60, ge=0, le=7 * 24 * 60, description="minutes, 0 to 10080")
