"""A deterministic world for the fakes: users, the bot's accounts, secrets, all from one seed.

`build_world(seed)` always returns the same users (handles, names, follower counts, languages,
some flagged as automated) and the same bot accounts, so a test, `xbot sim serve` and
`xbot demo` agree on who exists. Platform fakes (X, Bluesky) build their own ids, posts and
credentials on top of it; `World.secret(label)` gives them stable token material.
"""

from __future__ import annotations

import hashlib
import random
import string
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from xbot.domain.errors import XbotError

#: syllables for pronounceable handles
_SYLLABLES = (
    "an", "bel", "cor", "da", "el", "fin", "ga", "hal", "io", "jun", "ka", "lo",
    "mi", "nor", "ol", "pa", "qui", "ra", "sol", "ta", "ul", "vi", "wen", "yo", "zu",
)  # fmt: skip
_FIRST_NAMES = (
    "Ann", "Ben", "Chidi", "Dana", "Emeka", "Fatima", "Gus", "Hana", "Ivan", "Jia",
    "Kofi", "Lena", "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq",
)  # fmt: skip
#: language of each generated user, weighted towards English like a typical audience
_LANGUAGES = ("en",) * 7 + ("es", "de", "ja", "fr", "pt")
#: share of generated users that are themselves automated accounts
AUTOMATED_SHARE = 0.12


class UnknownUserError(XbotError):
    """No such user in the simulated world."""


@dataclass(frozen=True, kw_only=True, slots=True)
class SimUser:
    """One account in the simulated world (a person, another bot, or one of ours)."""

    user_id: str
    handle: str
    name: str
    followers: int
    following: int
    language: str
    #: flagged as an automated account (X "Automated" label, Bluesky `bot` self-label)
    automated: bool
    #: one of the accounts xbot operates
    is_bot_account: bool
    created_at: datetime
    description: str


@dataclass(frozen=True, kw_only=True, slots=True)
class World:
    """Everyone who exists in one simulation."""

    seed: int
    users: tuple[SimUser, ...]
    bot_accounts: tuple[SimUser, ...]

    @property
    def everyone(self) -> tuple[SimUser, ...]:
        """The bot accounts followed by the other users."""
        return self.bot_accounts + self.users

    def user(self, handle: str) -> SimUser:
        """Return the user with this handle (case-insensitive, leading @ ignored)."""
        wanted = handle.lstrip("@").lower()
        for user in self.everyone:
            if user.handle.lower() == wanted:
                return user
        raise UnknownUserError(f"no user @{wanted} in the simulated world")

    def user_by_id(self, user_id: str) -> SimUser:
        """Return the user with this id."""
        for user in self.everyone:
            if user.user_id == user_id:
                return user
        raise UnknownUserError(f"no user with id {user_id} in the simulated world")

    def secret(self, label: str, length: int = 40) -> str:
        """Return stable alphanumeric token material for `label` (same seed, same secret)."""
        alphabet = string.ascii_letters + string.digits
        digest = b""
        counter = 0
        while len(digest) < length:
            digest += hashlib.sha256(f"{self.seed}:{label}:{counter}".encode()).digest()
            counter += 1
        return "".join(alphabet[byte % len(alphabet)] for byte in digest[:length])


def build_world(
    seed: int = 0,
    *,
    bot_handles: tuple[str, ...] = ("replybot",),
    user_count: int = 40,
    epoch: datetime = datetime(2020, 1, 1, tzinfo=UTC),
) -> World:
    """Create the same world for the same arguments."""
    rng = random.Random(seed)
    taken = {handle.lower() for handle in bot_handles}
    bots = tuple(
        _bot_account(handle, rng, index, epoch) for index, handle in enumerate(bot_handles)
    )
    users = []
    for index in range(user_count):
        handle = _fresh_handle(rng, taken)
        taken.add(handle)
        users.append(_person(handle, rng, index, epoch))
    return World(seed=seed, users=tuple(users), bot_accounts=bots)


def _fresh_handle(rng: random.Random, taken: set[str]) -> str:
    while True:
        parts = rng.randint(2, 3)
        handle = "".join(rng.choice(_SYLLABLES) for _ in range(parts))
        if rng.random() < 0.4:
            handle += str(rng.randint(1, 99))
        if handle not in taken:
            return handle


def _user_id(rng: random.Random) -> str:
    # X user ids are decimal strings of varying length; keep them unique by drawing wide
    return str(rng.randint(10**9, 10**18))


def _person(handle: str, rng: random.Random, index: int, epoch: datetime) -> SimUser:
    automated = rng.random() < AUTOMATED_SHARE
    name = rng.choice(_FIRST_NAMES) + ("bot" if automated else "")
    description = "Automated account. Posts deals every hour." if automated else "Just here."
    return SimUser(
        user_id=_user_id(rng),
        handle=handle,
        name=name,
        followers=int(rng.lognormvariate(5.0, 1.6)),
        following=rng.randint(10, 900),
        language=rng.choice(_LANGUAGES),
        automated=automated,
        is_bot_account=False,
        created_at=epoch + timedelta(days=index * 7 + rng.randint(0, 6)),
        description=description,
    )


def _bot_account(handle: str, rng: random.Random, index: int, epoch: datetime) -> SimUser:
    return SimUser(
        user_id=_user_id(rng),
        handle=handle,
        name=f"{handle} (bot)",
        followers=rng.randint(100, 5000),
        following=rng.randint(0, 50),
        language="en",
        automated=True,
        is_bot_account=True,
        created_at=epoch + timedelta(days=index),
        description="Automated replies. Run by xbot.",
    )
