"""The review webhook: one JSON POST per permit that starts waiting for a person (issue 14).

The body names the permit, the account, the deadline and a link to the console's review page;
never the text's secrets (the text passed the guard) nor any credential. Failures are returned,
not raised: a notification is a courtesy, the review queue is the source of truth.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx2

from xbot.config_review import ReviewSettings


class ReviewWebhook:
    """POSTs `{"event": "review_requested", ...}` to `review.webhook_url`."""

    def __init__(self, settings: ReviewSettings, client: httpx2.Client | None = None) -> None:
        self.url = settings.webhook_url
        self.console_url = settings.console_url.rstrip("/")
        self.client = client or httpx2.Client(timeout=settings.webhook_timeout_seconds)

    def __call__(self, request: Mapping[str, Any]) -> str | None:
        """Send one notification; return why it failed, or None."""
        body = {"event": "review_requested", **request, "link": self.link(request["permit_id"])}
        try:
            response = self.client.post(self.url, json=body)
        except httpx2.HTTPError as exc:
            return f"{type(exc).__name__}: the webhook did not answer"
        if not response.is_success:
            return f"the webhook answered {response.status_code}"
        return None

    def link(self, permit_id: str) -> str | None:
        """Return the console's page for the permit, or None without a console URL."""
        if not self.console_url:
            return None
        return f"{self.console_url}/review/{permit_id}"

    def close(self) -> None:
        """Release connections."""
        self.client.close()


def review_webhook(settings: ReviewSettings) -> ReviewWebhook | None:
    """Return the notifier when a webhook URL is configured, else None."""
    return ReviewWebhook(settings) if settings.webhook_url else None
