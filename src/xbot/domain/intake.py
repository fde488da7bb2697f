"""The intake contract: how a platform pushes mentions to xbot, and how xbot takes them in.

A platform adapter that can push mentions implements `Streaming`; its `MentionStream` yields
`StreamItem`s. The intake supervisor holds one stream per (account, stream) under a lease, runs the
account's normal fetch as backfill on every (re)connect, and admits each pushed post together with
the stream's cursor in one store transaction.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

from xbot.domain.errors import XbotError
from xbot.domain.posts import Post


class IntakeMode(StrEnum):
    """How an account takes in mentions: `auto` streams where the platform offers it."""

    AUTO = "auto"
    STREAM = "stream"
    POLL = "poll"


@dataclass(frozen=True, kw_only=True, slots=True)
class StreamItem:
    """One delivery from a stream, with the position to store once its post is committed.

    `post` is a post that summons the account (None for a keep-alive or an event that does not
    concern it); `cursor` is the stream position to store once the post is committed (None: the
    position is unchanged).
    """

    post: Post | None
    cursor: str | None
    #: when xbot read it (for latency)
    received_at: datetime


class StreamDisconnected(XbotError):
    """The stream dropped; the supervisor reconnects with back-off."""


class StreamUnavailable(XbotError):
    """The account's access has no stream; intake falls back to polling."""


class MentionStream(Protocol):
    """A platform's push channel for one account."""

    #: "jetstream" | "mastodon_user" | "x_activity"
    name: str

    def listen(self, cursor: str | None, stop: threading.Event) -> Iterator[StreamItem]:
        """Connect and yield items until `stop` is set.

        Resume from `cursor` minus the platform's safety margin. Raise StreamDisconnected when the
        connection drops, StreamUnavailable when the account's access has no stream.
        """
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


@runtime_checkable
class Streaming(Protocol):
    """Implemented by a platform adapter that can push mentions (like BotLabels, optional)."""

    def mention_stream(self) -> MentionStream:
        """Return the account's push channel (raise StreamUnavailable when its access has none)."""
        ...
