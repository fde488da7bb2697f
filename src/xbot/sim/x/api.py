"""Routes of the fake X API v2 (reads here, writes in `writes`) and its extra admin routes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Scope

from xbot.domain.errors import XbotError
from xbot.sim.core.admin import admin_error, json_object
from xbot.sim.x import problems as x_problems
from xbot.sim.x.gate import Call, admit, query_params
from xbot.sim.x.params import (
    SEARCH_PARAMETERS,
    SHAPE_PARAMETERS,
    TIMELINE_PARAMETERS,
    USER_POSTS_PARAMETERS,
    InvalidParameterError,
    check_names,
    page,
    path_post_id,
    shape_from,
    time_param,
    window_from,
)
from xbot.sim.x.problems import x_json
from xbot.sim.x.query import QueryError, compile_query
from xbot.sim.x.shapes import includes_json, tweet_json, user_json, without_reply_metadata
from xbot.sim.x.state import Tweet, snowflake_time, within
from xbot.sim.x.writes import create_tweet, delete_tweet, oauth2_token

if TYPE_CHECKING:
    from xbot.sim.x.backend import XBackend

#: only the newest N mentions / timeline posts are reachable [XD timelines integrate]
MENTIONS_CAP = 800
TIMELINE_CAP = 3200
TIMELINE_CAP_WITHOUT_REPLIES = 800
SEARCH_DAYS = 7


def x_routes(fake: XBackend) -> list[BaseRoute]:
    """Return the X API v2 routes xbot uses, on their real paths."""
    reads = _Reads(fake)
    return [
        Route("/2/users/me", reads.me, methods=["GET"]),
        Route("/2/users/{user_id}/mentions", reads.mentions, methods=["GET"]),
        Route("/2/users/{user_id}/tweets", reads.user_tweets, methods=["GET"]),
        Route("/2/tweets/search/recent", reads.search, methods=["GET"]),
        Route("/2/tweets/{tweet_id}", reads.lookup, methods=["GET"]),
        Route("/2/tweets/{tweet_id}", partial(delete_tweet, fake), methods=["DELETE"]),
        Route("/2/tweets", partial(create_tweet, fake), methods=["POST"]),
        Route("/2/oauth2/token", partial(oauth2_token, fake), methods=["POST"]),
    ]


def x_status_response(fake: XBackend) -> Callable[[int, Scope], Response]:
    """Return what an injected status fault answers: X's body for it, with limit headers."""

    def respond(status: int, scope: Scope) -> Response:
        del scope
        if status == 429:
            reset = int((fake.clock.now() + timedelta(minutes=15)).timestamp())
            headers = {
                "x-rate-limit-limit": "0",
                "x-rate-limit-remaining": "0",
                "x-rate-limit-reset": str(reset),
            }
            return x_json(x_problems.too_many_requests(), 429, headers)
        bodies = {401: x_problems.unauthorized(), 402: x_problems.credits_depleted()}
        return x_json(bodies.get(status) or x_problems.server_error(status), status)

    return respond


def x_admin_routes(fake: XBackend) -> list[BaseRoute]:
    """Return the X-only admin routes: settings, rate-limit overrides, token revocation."""

    async def settings(request: Request) -> JSONResponse:
        try:
            changed = fake.configure(**await json_object(request))
        except (TypeError, XbotError) as exc:
            return admin_error(exc)
        return JSONResponse({"tier": changed.tier, "credits": fake.balance()})

    async def limits(request: Request) -> JSONResponse:
        try:
            body = await json_object(request)
            fake.set_limit(
                str(body["endpoint"]), int(body["limit"]), int(body.get("window_seconds", 900))
            )
        except (KeyError, TypeError, ValueError, XbotError) as exc:
            return admin_error(exc)
        return JSONResponse({"endpoint": body["endpoint"], "limit": int(body["limit"])})

    async def revoke(request: Request) -> JSONResponse:
        try:
            user = fake.store.user_by_handle(str((await json_object(request))["handle"]))
        except (KeyError, XbotError) as exc:
            return admin_error(exc)
        fake.auth.revoke(user.user_id)
        return JSONResponse({"revoked": user.handle})

    async def billing(request: Request) -> JSONResponse:
        del request
        return JSONResponse(fake.billing())

    return [
        Route("/billing", billing, methods=["GET"]),
        Route("/settings", settings, methods=["POST"]),
        Route("/limits", limits, methods=["POST"]),
        Route("/revoke", revoke, methods=["POST"]),
    ]


@dataclass(frozen=True, kw_only=True, slots=True)
class _Listing:
    """One list endpoint: its name, parameters, bounds, which posts, delay and cap."""

    endpoint: str
    allowed: frozenset[str]
    bounds: tuple[int, int]
    keep: Callable[[Tweet], bool]
    delay: float
    cap: int | None = None
    #: False renders posts without `in_reply_to_user_id` and `referenced_tweets`
    reply_metadata: bool = True


class _Reads:
    def __init__(self, fake: XBackend) -> None:
        self.fake = fake

    async def me(self, request: Request) -> Response:
        call = await admit(self.fake, request, "GET /2/users/me", user_context=True)
        if isinstance(call, Response):
            return call
        try:
            params = query_params(request)
            check_names(params, SHAPE_PARAMETERS)
            shape = shape_from(params, user_endpoint=True)
        except InvalidParameterError as exc:
            return call.answer(exc.body, 400)
        user = self.fake.store.user(call.user_id)
        if user is None:
            return call.answer(x_problems.unauthorized(), 401)
        self.fake.charge_own_user(user.user_id, call.now)
        return call.answer({"data": user_json(user, shape)})

    async def mentions(self, request: Request) -> Response:
        user_id: str = request.path_params["user_id"]

        def mentioned(tweet: Tweet) -> bool:
            return any(mention.user_id == user_id for mention in tweet.mentions)

        listing = _Listing(
            endpoint="GET /2/users/:id/mentions",
            allowed=TIMELINE_PARAMETERS,
            bounds=(5, 100),
            keep=mentioned,
            delay=self.fake.settings.mentions_delay_seconds,
            cap=MENTIONS_CAP,
        )
        return await self._list(request, listing)

    async def user_tweets(self, request: Request) -> Response:
        user_id: str = request.path_params["user_id"]
        excluded = set(request.query_params.get("exclude", "").split(","))

        def authored(tweet: Tweet) -> bool:
            if "replies" in excluded and tweet.in_reply_to_tweet_id is not None:
                return False
            return tweet.author_id == user_id

        listing = _Listing(
            endpoint="GET /2/users/:id/tweets",
            allowed=USER_POSTS_PARAMETERS,
            bounds=(5, 100),
            keep=authored,
            delay=self.fake.settings.timeline_delay_seconds,
            cap=TIMELINE_CAP_WITHOUT_REPLIES if "replies" in excluded else TIMELINE_CAP,
            reply_metadata=self.fake.settings.timeline_reply_metadata,
        )
        return await self._list(request, listing)

    async def search(self, request: Request) -> Response:
        call = await admit(self.fake, request, "GET /2/tweets/search/recent", user_context=False)
        if isinstance(call, Response):
            return call
        params = query_params(request)
        try:
            matches = self._search_query(params, call)
        except InvalidParameterError as exc:
            return call.answer(exc.body, 400)
        except QueryError as exc:
            body = x_problems.invalid_request("query", [params["query"]], str(exc))
            return call.answer(body, 400)
        oldest = call.now - timedelta(days=SEARCH_DAYS)
        listing = _Listing(
            endpoint="GET /2/tweets/search/recent",
            allowed=SEARCH_PARAMETERS,
            bounds=(10, 100),
            keep=lambda tweet: tweet.created_at >= oldest and matches(tweet),
            delay=self.fake.settings.search_delay_seconds,
        )
        return self._respond(call, params, listing, owned=False)

    async def lookup(self, request: Request) -> Response:
        call = await admit(self.fake, request, "GET /2/tweets/:id", user_context=False)
        if isinstance(call, Response):
            return call
        try:
            tweet_id = path_post_id(request.path_params["tweet_id"])
            params = query_params(request)
            check_names(params, SHAPE_PARAMETERS)
            shape = shape_from(params)
        except InvalidParameterError as exc:
            return call.answer(exc.body, 400)
        tweet = self.fake.store.get(tweet_id)
        if tweet is None or tweet.deleted:
            status = self.fake.settings.missing_post_status
            return call.answer({"errors": [x_problems.tweet_not_found(tweet_id)]}, status)
        owned = tweet.author_id == call.principal.user_id
        self.fake.charge_reads([tweet.id], owned=owned, now=call.now)
        body: dict[str, Any] = {"data": tweet_json(tweet, shape, self.fake.store)}
        includes = includes_json([tweet], shape, self.fake.store)
        if includes:
            body["includes"] = includes
        return call.answer(body)

    async def _list(self, request: Request, listing: _Listing) -> Response:
        call = await admit(self.fake, request, listing.endpoint, user_context=False)
        if isinstance(call, Response):
            return call
        params = query_params(request)
        try:
            user_id = path_post_id(request.path_params["user_id"])  # user ids share the pattern
            check_names(params, listing.allowed)
        except InvalidParameterError as exc:
            return call.answer(exc.body, 400)
        if self.fake.store.user(user_id) is None:
            return call.answer({"errors": [x_problems.user_not_found(user_id)]})
        return self._respond(call, params, listing, owned=user_id == call.principal.user_id)

    def _respond(
        self, call: Call, params: Mapping[str, str], listing: _Listing, *, owned: bool
    ) -> Response:
        try:
            shape = shape_from(params)
            window = window_from(params, bounds=listing.bounds)
        except InvalidParameterError as exc:
            return call.answer(exc.body, 400)
        if not listing.reply_metadata:
            shape = without_reply_metadata(shape)
        visible = within(listing.delay, call.now)
        found = self.fake.store.select(lambda tweet: visible(tweet) and listing.keep(tweet))
        chunk, meta = page(found[: listing.cap], window)
        self.fake.charge_reads([tweet.id for tweet in chunk], owned=owned, now=call.now)
        body: dict[str, Any] = {}
        if chunk:
            body["data"] = [tweet_json(tweet, shape, self.fake.store) for tweet in chunk]
            includes = includes_json(chunk, shape, self.fake.store)
            if includes:
                body["includes"] = includes
        body["meta"] = meta
        return call.answer(body)

    def _search_query(self, params: Mapping[str, str], call: Call) -> Callable[[Tweet], bool]:
        check_names(params, SEARCH_PARAMETERS)
        query = params.get("query")
        if not query:
            message = "The `query` query parameter can not be empty"
            raise InvalidParameterError("query", "", message)
        matches = compile_query(query, self.fake.store)
        oldest = call.now - timedelta(days=SEARCH_DAYS)
        _check_reach(params, oldest)
        return matches


def _check_reach(params: Mapping[str, str], oldest: datetime) -> None:
    """Refuse a `since_id` or `start_time` older than recent search reaches, as X words it."""
    since = params.get("since_id", "")
    moment = snowflake_time(since) if since.isdigit() else None
    floor = oldest.strftime("%Y-%m-%dT%H:%MZ")
    if moment is not None and moment < oldest:
        message = (
            f"Invalid 'since_id':'{since}'. 'since_id' must be a tweet id created after {floor}."
        )
        raise InvalidParameterError("since_id", since, message)
    start = time_param(params, "start_time")
    if start is not None and start < oldest:
        raw = params["start_time"]
        message = f"Invalid 'start_time':'{raw}'. 'start_time' must be on or after {floor}"
        raise InvalidParameterError("start_time", raw, message)
