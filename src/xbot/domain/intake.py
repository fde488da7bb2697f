"""The intake contract: how a platform pushes mentions to xbot, and how xbot takes them in.

A platform adapter that can push mentions implements `Streaming`; its `MentionStream` yields
`StreamItem`s. The intake supervisor holds one stream per (account, stream) under a lease, runs the
account's normal fetch as backfill on every (re)connect, and admits each pushed post together with
the stream's cursor in one store transaction.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

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

        Resume from `cursor` minus the platform's safety margin. Yield one item with `post` None
        as soon as the connection is open: the supervisor runs its backfill then, so nothing
        published during the handshake is missed. Raise StreamDisconnected when the connection
        drops, StreamUnavailable when the account's access has no stream.
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


@runtime_checkable
class ResumesBackfill(Protocol):
    """Implemented by a stream whose backfill can start at the stream's own position (optional).

    The poll's watermark lags while the account streams (the poll only fills gaps), so a
    (re)connect's backfill from it pages through what the stream already delivered.
    """

    def backfill_since(self, cursor: str | None, watermark: str | None) -> str | None:
        """Return where a backfill reads from: a position newer than the poll's `watermark`.

        `cursor` is the stream's stored cursor as the connection opened. None: read from the
        watermark (the cursor adds nothing, or is unknown).
        """
        ...


class StreamState(StrEnum):
    """Where an account's stream stands, as `intake_streams.state` keeps it."""

    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    #: the account's access has no stream: intake polls (the reason is in `detail`)
    UNAVAILABLE = "unavailable"
    STOPPED = "stopped"


@dataclass(frozen=True, kw_only=True, slots=True)
class StreamLease:
    """A worker's hold on one (account, stream): the only consumer while its fence stands."""

    account_id: int
    stream: str
    owner: str
    fence: int
    until: datetime
    #: where the stream resumes, as stored with the last admitted delivery
    cursor: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class Delivery:
    """What a stream delivered since the last write: its newest item's position and times."""

    cursor: str | None
    received_at: datetime
    #: items read (keep-alives and events that do not concern the account included)
    events: int = 1
    #: received_at - created_at of the newest post delivered, when there was one
    lag_seconds: float | None = None
    #: posts delivered that the queue had already (replays, repeats), dropped before the write
    duplicates: int = 0


@dataclass(frozen=True, kw_only=True, slots=True)
class StreamHealth:
    """One (account, stream) row as the watchdog, certify and /ready read it."""

    account_id: int
    stream: str
    state: StreamState
    detail: str | None
    owner: str | None
    lease_until: datetime | None
    cursor: str | None
    connected_since: datetime | None
    last_event_at: datetime | None
    lag_seconds: float | None
    events: int
    admitted: int
    duplicates: int
    connects: int
    backfilled: int


def stream_live(health: StreamHealth, now: datetime) -> bool:
    """Return True when a worker holds the stream (its lease runs past `now`)."""
    return health.owner is not None and health.lease_until is not None and health.lease_until > now


def intake_status(
    mode: IntakeMode, streams: Sequence[StreamHealth], now: datetime
) -> dict[str, Any]:
    """Return how an account takes in mentions now, and why, for /ready.

    `streams` are the account's rows. A stream counts as connected only while its lease is live.
    """
    if mode is IntakeMode.POLL:
        return {"mode": "poll", "why": "intake = poll"}
    for health in streams:
        if health.state is StreamState.CONNECTED and stream_live(health, now):
            return {"mode": "stream", "stream": health.stream, **_times(health, now)}
    for health in streams:
        if health.state is StreamState.UNAVAILABLE:
            return {"mode": "poll", "why": f"{health.stream} unavailable: {health.detail}"}
        if stream_live(health, now):
            why = f"{health.stream} reconnecting ({health.detail or health.state.value})"
            return {"mode": "poll", "why": why}
    return {"mode": "poll", "why": "no stream connected (no worker holds one for this account)"}


def stream_report(health: StreamHealth, now: datetime) -> dict[str, Any]:
    """Return one stream's health for the watchdog report: state, times and counts."""
    return {
        "account_id": health.account_id,
        "stream": health.stream,
        "state": _reported_state(health, now).value,
        "detail": health.detail,
        "owner": health.owner if stream_live(health, now) else None,
        **_times(health, now),
        "events": health.events,
        "admitted": health.admitted,
        "duplicates": health.duplicates,
        "connects": health.connects,
        "backfilled": health.backfilled,
    }


def _times(health: StreamHealth, now: datetime) -> dict[str, Any]:
    since, last = health.connected_since, health.last_event_at
    return {
        "connected_seconds": round((now - since).total_seconds(), 1) if since else None,
        "lag_seconds": None if health.lag_seconds is None else round(health.lag_seconds, 3),
        "last_event_age_seconds": round((now - last).total_seconds(), 1) if last else None,
    }


def _reported_state(health: StreamHealth, now: datetime) -> StreamState:
    """Return the state to report: a stream whose holder died (lease expired) is stopped."""
    if health.state is StreamState.UNAVAILABLE or stream_live(health, now):
        return health.state
    return StreamState.STOPPED
