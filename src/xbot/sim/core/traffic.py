"""The traffic generator: posts that appear over (fake) time, the same for the same seed.

A platform fake implements `PostBoard` (where posts live and get their ids) and calls
`Traffic.run_until(now, board)` before it answers a request; every post scheduled up to `now`
is then created with its scheduled time. Kinds: mentions of a bot account, replies to a bot
post, quotes of a bot post, thread replies between users, plain chatter; some in other
languages, some with links, some by automated authors.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from xbot.sim.core.world import SimUser, World

#: how often each kind of post is drawn
KIND_WEIGHTS = {"mention": 5, "reply_to_bot": 2, "quote": 2, "thread_reply": 2, "chatter": 3}
#: share of posts that carry a link
LINK_SHARE = 0.2
#: most posts one catch-up creates, so a huge clock jump cannot stall a request
MAX_POSTS_PER_RUN = 2000

_QUESTIONS = {
    "en": ("what is the best way to learn {topic}?", "can you explain {topic} simply?",
           "any tips on {topic} for beginners?", "is {topic} worth it in 2026?"),
    "es": ("¿cuál es la mejor forma de aprender {topic}?", "¿me explicas {topic}?"),
    "de": ("wie lerne ich am besten {topic}?", "kannst du {topic} erklären?"),
    "ja": ("{topic}について教えてください。", "{topic}のおすすめは何ですか?"),
    "fr": ("quelle est la meilleure façon d'apprendre {topic} ?",),
    "pt": ("qual é a melhor forma de aprender {topic}?",),
}  # fmt: skip
_REACTIONS = ("thanks, that helps!", "I disagree, {topic} is overrated.",
              "good point about {topic}.", "could you say more?", "source?")  # fmt: skip
_CHATTER = ("Lovely morning for some {topic}.", "Reading about {topic} again.",
            "Hot take: {topic} is underrated.", "Day 12 of learning {topic}.")  # fmt: skip
_SPAM = ("Deal of the hour on {topic}! Click now", "Follow for daily {topic} giveaways")
_TOPICS = ("python", "databases", "sourdough", "chess", "rust", "gardening", "postgres", "jazz")


@dataclass(frozen=True, kw_only=True, slots=True)
class PostRef:
    """A post the generator may reply to or quote."""

    post_id: str
    author_handle: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Draft:
    """A post to create on the board, platform-neutral."""

    author: str
    text: str
    created_at: datetime
    language: str
    in_reply_to: str | None = None
    quote_of: str | None = None


class PostBoard(Protocol):
    """Where a platform fake keeps its posts."""

    def recent_posts(self, *, by_bot_accounts: bool, limit: int) -> Sequence[PostRef]:
        """Return recent posts by bot accounts (True) or by everyone else (False)."""
        ...

    def add_post(self, draft: Draft) -> str:
        """Create a post and return its id."""
        ...


class Traffic:
    """Creates posts at seeded random moments of fake time."""

    def __init__(
        self, world: World, *, start: datetime, posts_per_minute: float = 1.0, seed: int = 0
    ) -> None:
        self._world = world
        self._rng = random.Random(f"traffic:{world.seed}:{seed}")
        self._rate = posts_per_minute
        self._lock = threading.Lock()
        self._next_at = start + self._gap()

    def run_until(self, now: datetime, board: PostBoard) -> int:
        """Create every post scheduled up to `now`; return how many."""
        if self._rate <= 0:
            return 0
        created = 0
        with self._lock:
            while self._next_at <= now and created < MAX_POSTS_PER_RUN:
                board.add_post(self._draft(self._next_at, board))
                self._next_at += self._gap()
                created += 1
        return created

    def seed_history(self, board: PostBoard, *, before: datetime, per_bot: int = 3) -> None:
        """Give each bot account a few older posts, so there is something to quote."""
        for bot in self._world.bot_accounts:
            for index in range(per_bot):
                at = before - timedelta(hours=per_bot - index)
                topic = self._rng.choice(_TOPICS)
                text = f"Tip #{index + 1}: ask me anything about {topic}."
                board.add_post(Draft(author=bot.handle, text=text, created_at=at, language="en"))

    def _gap(self) -> timedelta:
        if self._rate <= 0:
            return timedelta(days=3650)
        return timedelta(minutes=self._rng.expovariate(self._rate))

    def _draft(self, at: datetime, board: PostBoard) -> Draft:
        author = self._rng.choice(self._world.users)
        kind = self._rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]
        bot = self._rng.choice(self._world.bot_accounts)
        topic = self._rng.choice(_TOPICS)
        bot_posts = board.recent_posts(by_bot_accounts=True, limit=20)
        other_posts = board.recent_posts(by_bot_accounts=False, limit=20)
        if kind in {"reply_to_bot", "quote"} and not bot_posts:
            kind = "mention"
        if kind == "thread_reply" and not other_posts:
            kind = "chatter"
        text, reply_to, quote_of = self._content(
            kind=kind, author=author, bot=bot, topic=topic,
            bot_posts=bot_posts, other_posts=other_posts,
        )  # fmt: skip
        if self._rng.random() < LINK_SHARE:
            text += f" https://example.com/{topic}/{self._rng.randint(1, 999)}"
        return Draft(
            author=author.handle,
            text=text,
            created_at=at,
            language=author.language,
            in_reply_to=reply_to,
            quote_of=quote_of,
        )

    def _content(  # noqa: PLR0913 - one draw needs all of the context
        self,
        *,
        kind: str,
        author: SimUser,
        bot: SimUser,
        topic: str,
        bot_posts: Sequence[PostRef],
        other_posts: Sequence[PostRef],
    ) -> tuple[str, str | None, str | None]:
        if author.automated:
            return f"@{bot.handle} " + self._rng.choice(_SPAM).format(topic=topic), None, None
        if kind == "mention":
            return f"@{bot.handle} " + self._question(author, topic), None, None
        if kind == "reply_to_bot":
            target = self._rng.choice(bot_posts)
            return f"@{target.author_handle} " + self._reaction(topic), target.post_id, None
        if kind == "quote":
            return self._reaction(topic), None, self._rng.choice(bot_posts).post_id
        if kind == "thread_reply":
            target = self._rng.choice(other_posts)
            extra = f" @{bot.handle}" if self._rng.random() < 0.5 else ""
            text = f"@{target.author_handle}{extra} " + self._reaction(topic)
            return text, target.post_id, None
        return self._rng.choice(_CHATTER).format(topic=topic), None, None

    def _question(self, author: SimUser, topic: str) -> str:
        templates = _QUESTIONS.get(author.language, _QUESTIONS["en"])
        return self._rng.choice(templates).format(topic=topic)

    def _reaction(self, topic: str) -> str:
        return self._rng.choice(_REACTIONS).format(topic=topic)
