"""The fake X's posts ("tweets" on the wire): snowflake ids, threads, entities, visibility."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from twitter_text import extract_urls_with_indices

from xbot.sim.core.traffic import Draft, PostRef
from xbot.sim.core.unicode import well_formed
from xbot.sim.core.world import SimUser, UnknownUserError, World

#: X's snowflake epoch (2010-11-04T01:42:54.657Z) in Unix milliseconds
SNOWFLAKE_EPOCH_MS = 1288834974657
#: the worker/datacenter bits the fake stamps into every id
SNOWFLAKE_WORKER = 7
_MENTION = re.compile(r"(?<![\w@])@(\w{1,15})")
_TOKEN = re.compile(r"\S+")
#: longer runs without a space are not scanned for links: twitter-text's URL regex takes time
#: quadratic in a run such as "a.a.a." (minutes for 8 000 characters); X caps a domain at 253
#: characters and no test needs a longer link
MAX_LINK_RUN = 512


def snowflake_time(post_id: str) -> datetime | None:
    """Return the moment encoded in a snowflake id, or None for a non-snowflake."""
    try:
        value = int(post_id)
    except ValueError:
        return None
    return datetime.fromtimestamp(((value >> 22) + SNOWFLAKE_EPOCH_MS) / 1000, UTC)


@dataclass(frozen=True, kw_only=True, slots=True)
class Mention:
    """An @mention entity: UTF-16-free code point offsets, like X's `entities.mentions`."""

    start: int
    end: int
    username: str
    user_id: str


@dataclass(frozen=True, kw_only=True, slots=True)
class LinkEntity:
    """A URL entity; quotes carry the quoted post's permalink here."""

    start: int
    end: int
    url: str
    expanded_url: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Tweet:
    """One post on the fake X."""

    id: str
    author_id: str
    text: str
    created_at: datetime
    conversation_id: str
    lang: str
    in_reply_to_tweet_id: str | None = None
    in_reply_to_user_id: str | None = None
    quote_of: str | None = None
    mentions: tuple[Mention, ...] = ()
    urls: tuple[LinkEntity, ...] = ()
    reply_settings: str = "everyone"
    deleted: bool = False
    like_count: int = 0

    @property
    def int_id(self) -> int:
        """The id as a number (X ids compare as integers)."""
        return int(self.id)


@dataclass(kw_only=True, slots=True)
class NewTweet:
    """What a client or the admin API asks to create."""

    author: SimUser
    text: str
    at: datetime
    lang: str = "en"
    in_reply_to: str | None = None
    quote_of: str | None = None
    reply_settings: str = "everyone"
    mentioned: list[str] = field(default_factory=list)


class XStore:
    """All posts of the fake X; thread-safe; also the traffic generator's PostBoard."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._lock = threading.RLock()
        self._tweets: dict[str, Tweet] = {}
        self._users = {user.user_id: user for user in world.everyone}
        self._handles = {user.handle.lower(): user for user in world.everyone}
        #: called with each new post, outside the lock (the Activity API's event source)
        self.observers: list[Callable[[Tweet], None]] = []

    def clear(self) -> None:
        """Forget every post."""
        with self._lock:
            self._tweets.clear()

    def user_by_handle(self, handle: str) -> SimUser:
        """Return a user by handle (case-insensitive)."""
        user = self._handles.get(handle.lstrip("@").lower())
        if user is None:
            raise UnknownUserError(f"no user @{handle.lstrip('@')} in the simulated world")
        return user

    def user(self, user_id: str) -> SimUser | None:
        """Return a user by id, or None."""
        return self._users.get(user_id)

    def get(self, tweet_id: str) -> Tweet | None:
        """Return a post by id, deleted or not."""
        with self._lock:
            return self._tweets.get(tweet_id)

    def add(self, new: NewTweet) -> Tweet:
        """Create a post with a fresh snowflake id and its entities."""
        with self._lock:
            parent = self._tweets.get(new.in_reply_to) if new.in_reply_to else None
            quoted = self._tweets.get(new.quote_of) if new.quote_of else None
            tweet_id = self._next_id(new.at)
            text = well_formed(new.text)
            tweet = Tweet(
                id=tweet_id,
                author_id=new.author.user_id,
                text=text,
                created_at=new.at,
                conversation_id=parent.conversation_id if parent else tweet_id,
                lang=new.lang,
                in_reply_to_tweet_id=parent.id if parent else None,
                in_reply_to_user_id=parent.author_id if parent else None,
                quote_of=quoted.id if quoted else None,
                mentions=self._mentions(text),
                urls=self._links(text, quoted),
                reply_settings=new.reply_settings,
            )
            self._tweets[tweet_id] = tweet
        for observer in list(self.observers):
            observer(tweet)
        return tweet

    def delete(self, tweet_id: str) -> None:
        """Mark a post deleted (it stays listed for the admin API)."""
        with self._lock:
            tweet = self._tweets[tweet_id]
            self._tweets[tweet_id] = replace(tweet, deleted=True)

    def select(self, keep: Callable[[Tweet], bool]) -> list[Tweet]:
        """Return live posts for which `keep` is true, newest first."""
        with self._lock:
            found = [t for t in self._tweets.values() if not t.deleted and keep(t)]
        return sorted(found, key=lambda tweet: tweet.int_id, reverse=True)

    def by_author(self, user_id: str) -> list[Tweet]:
        """Every post of one user, deleted ones too, oldest first."""
        with self._lock:
            found = [t for t in self._tweets.values() if t.author_id == user_id]
        return sorted(found, key=lambda tweet: tweet.int_id)

    def count_references(self, tweet_id: str, *, quotes: bool) -> int:
        """How many live posts reply to (or quote) this one."""
        with self._lock:
            tweets = list(self._tweets.values())
        if quotes:
            return sum(1 for t in tweets if t.quote_of == tweet_id and not t.deleted)
        return sum(1 for t in tweets if t.in_reply_to_tweet_id == tweet_id and not t.deleted)

    # --- PostBoard, for the traffic generator ---

    def recent_posts(self, *, by_bot_accounts: bool, limit: int) -> Sequence[PostRef]:
        """Recent live posts by bot accounts or by everyone else."""

        def wanted(tweet: Tweet) -> bool:
            author = self._users.get(tweet.author_id)
            return author is not None and author.is_bot_account == by_bot_accounts

        refs = []
        for tweet in self.select(wanted)[:limit]:
            author = self._users[tweet.author_id]
            refs.append(PostRef(post_id=tweet.id, author_handle=author.handle))
        return refs

    def add_post(self, draft: Draft) -> str:
        """Create a generated post."""
        author = self.user_by_handle(draft.author)
        new = NewTweet(
            author=author,
            text=draft.text,
            at=draft.created_at,
            lang=draft.language,
            in_reply_to=draft.in_reply_to,
            quote_of=draft.quote_of,
        )
        return self.add(new).id

    # --- helpers ---

    def _next_id(self, at: datetime) -> str:
        milliseconds = int(at.timestamp() * 1000) - SNOWFLAKE_EPOCH_MS
        candidate = (milliseconds << 22) | (SNOWFLAKE_WORKER << 12)
        while str(candidate) in self._tweets:
            candidate += 1
        return str(candidate)

    def _mentions(self, text: str) -> tuple[Mention, ...]:
        found = []
        for match in _MENTION.finditer(text):
            user = self._handles.get(match.group(1).lower())
            if user is not None:  # X only links mentions of accounts that exist
                found.append(
                    Mention(
                        start=match.start(),
                        end=match.end(),
                        username=user.handle,
                        user_id=user.user_id,
                    )
                )
        return tuple(found)

    def _links(self, text: str, quoted: Tweet | None) -> tuple[LinkEntity, ...]:
        links = [
            LinkEntity(
                start=item["indices"][0],
                end=item["indices"][1],
                url=item["url"],
                expanded_url=item["url"],
            )
            for item in _urls(text)
        ]
        if quoted is not None:
            author = self._users[quoted.author_id]
            permalink = f"https://x.com/{author.handle}/status/{quoted.id}"
            # a quote's permalink is an entity beyond the visible text, as X renders it
            links.append(
                LinkEntity(start=len(text), end=len(text), url=permalink, expanded_url=permalink)
            )
        return tuple(links)


def _urls(text: str) -> list[dict[str, Any]]:
    """Return twitter-text's URLs with indices, scanning each run without spaces on its own.

    A link never contains a space, so scanning runs one at a time finds the same links in time
    linear in the text, given the bound on a run's length.
    """
    found: list[dict[str, Any]] = []
    for run in _TOKEN.finditer(text):
        if "." not in run.group() or len(run.group()) > MAX_LINK_RUN:
            continue
        for item in extract_urls_with_indices(run.group()):
            start, end = item["indices"]
            found.append({"url": item["url"], "indices": [run.start() + start, run.start() + end]})
    return found


def within(delay_seconds: float, now: datetime) -> Callable[[Tweet], bool]:
    """Return a filter: posts at least `delay_seconds` old by `now` (the visibility delay)."""
    cutoff = now - timedelta(seconds=delay_seconds)
    return lambda tweet: tweet.created_at <= cutoff
