"""JSON shapes of the fake X: posts, users, includes, fields, expansions (platform-facts §1.3)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from xbot.sim.core.world import SimUser
from xbot.sim.x.state import Tweet, XStore

#: every post field the API accepts; the fake renders the ones it models
TWEET_FIELDS = frozenset(
    (
        "article",
        "attachments",
        "author_id",
        "card_uri",
        "community_id",
        "context_annotations",
        "conversation_id",
        "created_at",
        "display_text_range",
        "edit_controls",
        "edit_history_tweet_ids",
        "entities",
        "geo",
        "id",
        "in_reply_to_user_id",
        "lang",
        "media_metadata",
        "non_public_metrics",
        "note_tweet",
        "organic_metrics",
        "possibly_sensitive",
        "promoted_metrics",
        "public_metrics",
        "referenced_tweets",
        "reply_settings",
        "scopes",
        "source",
        "text",
        "withheld",
    )
)
USER_FIELDS = frozenset(
    (
        "affiliation",
        "confirmed_email",
        "connection_status",
        "created_at",
        "description",
        "entities",
        "id",
        "is_identity_verified",
        "location",
        "most_recent_tweet_id",
        "name",
        "parody",
        "pinned_tweet_id",
        "profile_banner_url",
        "profile_image_url",
        "protected",
        "public_metrics",
        "receives_your_dm",
        "subscription",
        "subscription_type",
        "url",
        "username",
        "verified",
        "verified_followers_count",
        "verified_type",
        "withheld",
    )
)
TWEET_EXPANSIONS = frozenset(
    (
        "article.cover_media",
        "article.media_entities",
        "attachments.media_keys",
        "attachments.media_source_tweet",
        "attachments.poll_ids",
        "author_id",
        "edit_history_tweet_ids",
        "entities.mentions.username",
        "geo.place_id",
        "in_reply_to_user_id",
        "entities.note.mentions.username",
        "referenced_tweets.id",
        "referenced_tweets.id.attachments.media_keys",
        "referenced_tweets.id.author_id",
    )
)
USER_EXPANSIONS = frozenset(("affiliation.user_id", "most_recent_tweet_id", "pinned_tweet_id"))
#: X's SDK (xdk) names the post fields parameter `post.fields`; both are accepted
TWEET_FIELDS_PARAMETERS = ("tweet.fields", "post.fields")


@dataclass(frozen=True, kw_only=True, slots=True)
class Shape:
    """Which fields and expansions a request asked for."""

    tweet_fields: frozenset[str] = frozenset()
    user_fields: frozenset[str] = frozenset()
    expansions: frozenset[str] = frozenset()


#: the fields and expansions that say what a post replies to
REPLY_FIELDS = frozenset(("in_reply_to_user_id", "referenced_tweets"))
REPLY_EXPANSIONS = frozenset(
    (
        "in_reply_to_user_id",
        "referenced_tweets.id",
        "referenced_tweets.id.attachments.media_keys",
        "referenced_tweets.id.author_id",
    )
)


def without_reply_metadata(shape: Shape) -> Shape:
    """Return the shape with nothing that says what a post replies to (a lossy read-back)."""
    return replace(
        shape,
        tweet_fields=shape.tweet_fields - REPLY_FIELDS,
        expansions=shape.expansions - REPLY_EXPANSIONS,
    )


def x_time(moment: datetime) -> str:
    """Format a moment as X does: `2022-02-22T04:31:34.000Z`."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def tweet_json(tweet: Tweet, shape: Shape, store: XStore) -> dict[str, Any]:
    """Render one post: `id`, `text`, `edit_history_tweet_ids` plus the fields asked for."""
    body: dict[str, Any] = {
        "id": tweet.id,
        "text": tweet.text,
        "edit_history_tweet_ids": [tweet.id],
    }
    optional: dict[str, Any] = {
        "author_id": tweet.author_id,
        "created_at": x_time(tweet.created_at),
        "conversation_id": tweet.conversation_id,
        "in_reply_to_user_id": tweet.in_reply_to_user_id,
        "referenced_tweets": _references(tweet) or None,
        "entities": _entities(tweet) or None,
        "reply_settings": tweet.reply_settings,
        "lang": tweet.lang,
        "possibly_sensitive": False,
    }
    body |= {
        name: value
        for name, value in optional.items()
        if name in shape.tweet_fields and value is not None
    }
    if "public_metrics" in shape.tweet_fields:  # counted only when asked: it scans every post
        body["public_metrics"] = {
            "retweet_count": 0,
            "reply_count": store.count_references(tweet.id, quotes=False),
            "like_count": tweet.like_count,
            "quote_count": store.count_references(tweet.id, quotes=True),
            "bookmark_count": 0,
            "impression_count": 0,
        }
    return body


def user_json(user: SimUser, shape: Shape) -> dict[str, Any]:
    """Render one user: `id`, `name`, `username` plus the fields asked for."""
    body: dict[str, Any] = {"id": user.user_id, "name": user.name, "username": user.handle}
    optional: dict[str, Any] = {
        "created_at": x_time(user.created_at),
        "description": user.description,
        "protected": False,
        "verified": False,
        "verified_type": "none",
        "public_metrics": {
            "followers_count": user.followers,
            "following_count": user.following,
            "tweet_count": 0,
            # ⚠ X's own SDK (xdk 0.10) requires `post_count`; the docs name `tweet_count`: send both
            "post_count": 0,
            "listed_count": 0,
            "like_count": 0,
        },
    }
    body |= {name: value for name, value in optional.items() if name in shape.user_fields}
    return body


def includes_json(tweets: Sequence[Tweet], shape: Shape, store: XStore) -> dict[str, Any]:
    """Return the `includes` object for a page of posts, or {} when nothing was expanded."""
    expansions = shape.expansions
    referenced: list[Tweet] = []
    if "referenced_tweets.id" in expansions:
        referenced = _unique(_referenced(tweets, store))
    user_ids: list[str] = []
    if "author_id" in expansions:
        user_ids += [tweet.author_id for tweet in tweets]
    if "in_reply_to_user_id" in expansions:
        user_ids += [t.in_reply_to_user_id for t in tweets if t.in_reply_to_user_id]
    if "entities.mentions.username" in expansions:
        user_ids += [mention.user_id for tweet in tweets for mention in tweet.mentions]
    if "referenced_tweets.id.author_id" in expansions:
        user_ids += [tweet.author_id for tweet in _referenced(tweets, store)]
    users = [user for uid in dict.fromkeys(user_ids) if (user := store.user(uid)) is not None]
    includes: dict[str, Any] = {}
    if users:
        includes["users"] = [user_json(user, shape) for user in users]
    if referenced:
        includes["tweets"] = [tweet_json(tweet, shape, store) for tweet in referenced]
    return includes


def _references(tweet: Tweet) -> list[dict[str, str]]:
    found = []
    if tweet.in_reply_to_tweet_id:
        found.append({"type": "replied_to", "id": tweet.in_reply_to_tweet_id})
    if tweet.quote_of:
        found.append({"type": "quoted", "id": tweet.quote_of})
    return found


def _entities(tweet: Tweet) -> dict[str, Any]:
    entities: dict[str, Any] = {}
    if tweet.mentions:
        entities["mentions"] = [
            {"start": m.start, "end": m.end, "username": m.username, "id": m.user_id}
            for m in tweet.mentions
        ]
    if tweet.urls:
        entities["urls"] = [
            {
                "start": link.start,
                "end": link.end,
                "url": link.url,
                "expanded_url": link.expanded_url,
                "display_url": link.expanded_url.split("://", 1)[-1][:30],
            }
            for link in tweet.urls
        ]
    return entities


def _referenced(tweets: Iterable[Tweet], store: XStore) -> list[Tweet]:
    found = []
    for tweet in tweets:
        for reference_id in (tweet.in_reply_to_tweet_id, tweet.quote_of):
            referenced = store.get(reference_id) if reference_id else None
            if referenced is not None and not referenced.deleted:
                found.append(referenced)
    return found


def _unique(tweets: list[Tweet]) -> list[Tweet]:
    return list({tweet.id: tweet for tweet in tweets}.values())
