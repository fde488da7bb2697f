"""Error bodies of the fake X, verbatim from platform-facts.md §1.6."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from starlette.responses import JSONResponse

TWITTER_PROBLEMS = "https://api.twitter.com/2/problems/"
X_PROBLEMS = "https://api.x.com/2/problems/"
JSON_MEDIA_TYPE = "application/json; charset=utf-8"

_SERVER_TITLES = {
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def x_json(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """Return a JSON response the way X sends it."""
    return JSONResponse(
        body, status_code=status, headers=dict(headers or {}), media_type=JSON_MEDIA_TYPE
    )


def unauthorized() -> dict[str, Any]:
    """401: missing or bad credentials."""
    return {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}


def unsupported_authentication() -> dict[str, Any]:
    """403: an app-only Bearer token on a user-context endpoint."""
    return {
        "title": "Unsupported Authentication",
        "detail": "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  "
        "Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].",
        "type": TWITTER_PROBLEMS + "unsupported-authentication",
        "status": 403,
    }


def missing_scope() -> dict[str, Any]:
    """403: an OAuth 2 user token without the scope the endpoint needs (⚠ body not documented)."""
    return {"title": "Forbidden", "type": "about:blank", "status": 403, "detail": "Forbidden"}


def oauth1_permissions() -> dict[str, Any]:
    """403: a read-only app tried to write."""
    return {
        "title": "Forbidden",
        "status": 403,
        "detail": "Your client app is not configured with the appropriate oauth1 app permissions "
        "for this endpoint.",
        "type": TWITTER_PROBLEMS + "oauth1-permissions",
    }


def forbidden(detail: str) -> dict[str, Any]:
    """403 with X's plain `about:blank` problem."""
    return {"detail": detail, "type": "about:blank", "title": "Forbidden", "status": 403}


DUPLICATE_CONTENT = "You are not allowed to create a Tweet with duplicate content."
DELETE_NOT_OWN = "You are not authorized to delete this Tweet."
TEXT_TOO_LONG = "Your Tweet text is too long."
REPLY_TARGET_GONE = "You attempted to reply to a Tweet that is deleted or not visible to you."
REPLY_RESTRICTED = (
    "Reply to this conversation is not allowed because you have not been mentioned or otherwise "
    "engaged by the author of the post you are replying to."
)


def not_summoned() -> dict[str, Any]:
    """403: the self-serve summoned-reply rule."""
    return {
        "detail": "You can only reply to or quote posts where you are mentioned or are the author.",
        "type": X_PROBLEMS + "not-authorized-for-resource",
        "title": "Forbidden",
        "status": 403,
    }


def invalid_request(parameter: str, values: Sequence[str], message: str) -> dict[str, Any]:
    """400: a bad query parameter or body field."""
    return {
        "errors": [{"parameters": {parameter: list(values)}, "message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": TWITTER_PROBLEMS + "invalid-request",
    }


def tweet_not_found(tweet_id: str) -> dict[str, Any]:
    """Return the `errors` entry for a missing post (lookup answers 200 with only this)."""
    return {
        "value": tweet_id,
        "detail": f"Could not find tweet with id: [{tweet_id}].",
        "title": "Not Found Error",
        "resource_type": "tweet",
        "parameter": "id",
        "resource_id": tweet_id,
        "type": TWITTER_PROBLEMS + "resource-not-found",
    }


def user_not_found(user_id: str) -> dict[str, Any]:
    """Return the `errors` entry for a missing user."""
    return {
        "value": user_id,
        "detail": f"Could not find user with id: [{user_id}].",
        "title": "Not Found Error",
        "resource_type": "user",
        "parameter": "id",
        "resource_id": user_id,
        "type": TWITTER_PROBLEMS + "resource-not-found",
    }


def too_many_requests() -> dict[str, Any]:
    """429: a rate limit is exhausted."""
    return {
        "title": "Too Many Requests",
        "detail": "Too Many Requests",
        "type": "about:blank",
        "status": 429,
    }


def usage_capped() -> dict[str, Any]:
    """429: the monthly product cap is used up."""
    return {
        "title": "UsageCapExceeded",
        "detail": "Usage cap exceeded: Monthly product cap",
        "type": TWITTER_PROBLEMS + "usage-capped",
        "period": "Monthly",
        "scope": "Product",
    }


def credits_depleted() -> dict[str, Any]:
    """402: the pay-per-use balance is empty."""
    return {
        "detail": "credits depleted",
        "status": 402,
        "title": "Payment Required",
        "type": X_PROBLEMS + "credits-depleted",
    }


def server_error(status: int) -> dict[str, Any]:
    """5xx, unknown routes (404, 405) and any other injected status in X's problem shape."""
    title = _SERVER_TITLES.get(status, "Error")
    detail = "Something is broken. Please try again later." if status == 500 else title
    return {"title": title, "detail": detail, "type": "about:blank", "status": status}


def oauth_error(description: str) -> dict[str, str]:
    """400 from the OAuth 2 token endpoint."""
    return {"error": "invalid_request", "error_description": description}


def client_forbidden(client_id: str) -> dict[str, Any]:
    """403: the app's access level has no such product (e.g. no Activity API) [OBS]."""
    return {
        "client_id": client_id,
        "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use keys "
        "and tokens from a Twitter developer App that is attached to a Project. You can create a "
        "project via the developer portal.",
        "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
        "required_enrollment": "Appropriate Level of API Access",
        "reason": "client-not-enrolled",
        "title": "Client Forbidden",
        "type": TWITTER_PROBLEMS + "client-forbidden",
    }
