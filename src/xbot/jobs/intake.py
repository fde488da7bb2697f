"""The intake supervisor: one thread per streaming account, the stream's only consumer (issue 16).

Each thread holds the account's stream under a lease in the store (renewed by a heartbeat; a
lost lease stops the consumer, and the store refuses its writes by fence). On every (re)connect
(the stream's first item) it starts the account's fetch as backfill, through the same admit
path, in a thread beside the stream (xbot.jobs.intake_backfill), and once more
`backfill_again_seconds` later (notifications lag behind the stream); meanwhile it admits each
delivered post together with the stream's cursor in one store call, so the cursor never runs
ahead of a committed candidate. A dropped stream reconnects after a jittered exponential
back-off, which starts over once a connection has delivered; a stream the access does not offer
is recorded `unavailable` and the account polls. An admitted candidate wakes the account's
schedule job (xbot.jobs.wakeups): its reply need not wait for the job's next slot. Keep-alives
move the cursor at most every CURSOR_FLUSH_SECONDS (a replay after a crash is a no-op, so a
slightly old cursor costs nothing but a few duplicates).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from xbot.domain.audit import NewEvent, Severity
from xbot.domain.candidates import NewCandidate
from xbot.domain.errors import LeaseLost, XbotError
from xbot.domain.intake import (
    Delivery,
    IntakeMode,
    MentionStream,
    ResumesBackfill,
    StreamDisconnected,
    Streaming,
    StreamItem,
    StreamLease,
    StreamState,
    StreamUnavailable,
)
from xbot.domain.ports import Platform
from xbot.domain.posts import Post
from xbot.events import EventType
from xbot.jobs import fetch
from xbot.jobs.admit import Admission, admission, admit
from xbot.jobs.base import Account, JobContext, log_event, require_platform, wake
from xbot.jobs.intake_backfill import Backfiller

log = structlog.get_logger("xbot.intake")

COMPONENT = "intake"
#: keep-alives and events that concern no one move the stored cursor at most this often
CURSOR_FLUSH_SECONDS = 2.0
#: streamed posts are admitted against the account's rules and answered threads read at most
#: this long ago (one read per post cost half of each admit at 10 mentions a second)
ADMISSION_SECONDS = 1.0


@dataclass(frozen=True, kw_only=True, slots=True)
class Backoff:
    """Jittered exponential back-off: about `initial`, doubling up to `maximum`."""

    initial: float
    maximum: float
    jitter: Callable[[], float] = random.random

    def delay(self, attempt: int) -> float:
        """Return the seconds to wait before reconnect number `attempt` (0 first)."""
        ceiling = min(max(self.maximum, self.initial), self.initial * 2 ** min(attempt, 30))
        return float(ceiling * (0.5 + self.jitter() / 2))


def stream_of(context: JobContext, account: Account) -> MentionStream | str:
    """Return the account's stream, or why it polls instead (`poll` mode, no stream, ...)."""
    if IntakeMode(account.settings.intake) is IntakeMode.POLL:
        return "intake = poll"
    platform = require_platform(context, account)
    if not isinstance(platform, Streaming):
        return f"the {account.platform} adapter has no stream"
    try:
        return platform.mention_stream()
    except StreamUnavailable as exc:
        return str(exc)


class StreamSupervisor:
    """Holds one account's stream until `stop`: lease, backfill, admit, reconnect."""

    def __init__(
        self,
        base: JobContext,
        account: Account,
        stream: MentionStream,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.base = replace(base, account=account, job_run_id=None, slot=None)
        self.account = account
        self.stream = stream
        self.clock = clock
        settings = base.settings.intake
        self.lease = timedelta(seconds=settings.lease_seconds)
        self.backoff = Backoff(
            initial=settings.reconnect_initial_seconds, maximum=settings.reconnect_max_seconds
        )
        self.stop = base.stop

    def run(self) -> None:
        """Hold the stream until the worker stops; wait for the lease while another holds it."""
        store = self.base.store
        while not self.stop.is_set():
            held = store.intake.acquire(
                self.account.account_id, self.stream.name, self.base.worker.worker_id, self.lease
            )
            if held is None:
                self.stop.wait(self.lease.total_seconds() / 3)
                continue
            if self._hold(held) == "unavailable":
                return
        self.stream.close()

    def _hold(self, held: StreamLease) -> str:
        """Consume while the lease is ours; return why it ended: stop, lost or unavailable."""
        lost = threading.Event()
        signal = _Either(self.stop, lost)
        renewer = threading.Thread(target=self._renew, args=(held, lost, signal), daemon=True,
                                   name=f"intake-lease-{self.account.key}")  # fmt: skip
        renewer.start()
        connection = _Connection(self, held, signal.event)
        try:
            return connection.consume_until_done(lost)
        except LeaseLost:
            lost.set()
            return "lost"
        finally:
            signal.event.set()
            connection.backfiller.join()
            renewer.join()
            if not lost.is_set():
                self._release(held)

    def _renew(self, held: StreamLease, lost: threading.Event, signal: _Either) -> None:
        current = held
        while not signal.event.wait(self.lease.total_seconds() / 3):
            try:
                renewed = self.base.store.intake.renew(current, self.lease)
            except XbotError as exc:
                log.warning("intake_lease_not_renewed", account=self.account.key, error=str(exc))
                continue
            if renewed is None:
                log.warning("intake_lease_lost", account=self.account.key, stream=current.stream)
                lost.set()
                signal.event.set()
                return
            current = renewed

    def _release(self, held: StreamLease) -> None:
        try:
            self.base.store.intake.release(held)
        except XbotError as exc:
            log.warning("intake_lease_not_released", account=self.account.key, error=str(exc))

    def context(self) -> JobContext:
        """Return a context at the current time, for one admit or backfill."""
        return replace(self.base, now=self.clock())

    def event(
        self, event_type: EventType, data: Mapping[str, Any], severity: Severity = "info"
    ) -> NewEvent:
        """Return one of the stream's events, logged as it is returned."""
        context = self.context()
        fields = {"stream": self.stream.name, **data}
        log_event(context, event_type, fields, component=COMPONENT,
                  account_id=self.account.account_id, severity=severity)  # fmt: skip
        return NewEvent(event_type=event_type, data=fields, now=context.now, severity=severity,
                        component=COMPONENT, account_id=self.account.account_id,
                        worker_id=self.base.worker.worker_id)  # fmt: skip


class _Either:
    """An event set when the worker stops or the lease is lost (what `listen` watches)."""

    def __init__(self, stop: threading.Event, lost: threading.Event) -> None:
        self.event = threading.Event()
        self._sources = (stop, lost)
        threading.Thread(target=self._watch, daemon=True, name="intake-stop").start()

    def _watch(self) -> None:
        while not self.event.wait(0.2):
            if any(source.is_set() for source in self._sources):
                self.event.set()


class _Connection:
    """The connect, backfill, admit and reconnect loop of one held lease."""

    def __init__(self, owner: StreamSupervisor, held: StreamLease, signal: threading.Event) -> None:
        self.owner = owner
        self.held = held
        self.signal = signal
        self.cursor = held.cursor
        self.pending = 0
        self.pending_cursor: str | None = None
        self.flushed_at = time.monotonic()
        #: the (re)connects' backfills, beside the stream (xbot.jobs.intake_backfill)
        self.backfiller = Backfiller(self._backfill, signal, f"intake-backfill-{owner.account.key}")
        #: whether the current connection delivered its first item (then a drop resets back-off)
        self.delivered = False
        #: (monotonic time read, the account's admission rules) for the stream's admits
        self._admitting: tuple[float, Admission] | None = None
        #: (monotonic time due, the stream's cursor at that connect) of each backfill asked for
        self._resumes: list[tuple[float, str | None]] = []
        self._resumes_lock = threading.Lock()

    def consume_until_done(self, lost: threading.Event) -> str:
        """Connect and consume until the signal; reconnect with back-off after each drop."""
        attempt = 0
        store = self.owner.base.store.intake
        while not self.signal.is_set():
            self.delivered = False
            try:
                self._listen()
            except StreamUnavailable as exc:
                event = self.owner.event(EventType.INTAKE_STREAM_UNAVAILABLE,
                                         {"reason": str(exc)}, "warning")  # fmt: skip
                store.mark(self.held, StreamState.UNAVAILABLE, str(exc), [event])
                return "unavailable"
            except LeaseLost:
                raise
            except (StreamDisconnected, XbotError) as exc:
                if self.delivered:  # a connection that delivered drops: reconnect at once
                    attempt = 0
                reason = str(exc) or type(exc).__name__
                data = {"reason": reason, "attempt": attempt}
                event = self.owner.event(EventType.INTAKE_STREAM_DISCONNECTED, data, "warning")
                store.mark(self.held, StreamState.DISCONNECTED, reason, [event])
                self.signal.wait(self.owner.backoff.delay(attempt))
                attempt += 1
            else:
                attempt = 0 if self.delivered else attempt
        self.backfiller.raise_if_lost()
        return "lost" if lost.is_set() else "stop"

    def _listen(self) -> None:
        """One connection (`delivered` once it delivered its first item)."""
        for item in self.owner.stream.listen(self.cursor, self.signal):
            if not self.delivered:
                self.delivered = True
                self._connected()
            self._take(item)
            self.backfiller.raise_if_lost()
            if self.signal.is_set():
                break
        self._flush()

    def _connected(self) -> None:
        intake = self.owner.base.store.intake
        event = self.owner.event(EventType.INTAKE_STREAM_CONNECTED, {"cursor": self.cursor})
        intake.mark(self.held, StreamState.CONNECTED, None, [event])
        # the cursor as this connection opened: what the stream delivers later may be newer
        # than the mentions lost while it was down, so the backfill must not read from that
        self.pending_cursor = None
        again = self.owner.base.settings.intake.backfill_again_seconds
        now = time.monotonic()
        with self._resumes_lock:
            self._resumes.append((now, self.cursor))
            if again > 0:
                self._resumes.append((now + again, self.cursor))
        self.backfiller.ask()
        if again > 0:
            self.backfiller.ask(again)

    def _resume_from(self) -> str | None:
        """Return the oldest connect cursor of the backfills due now (all of them if none is)."""
        now = time.monotonic()
        with self._resumes_lock:
            due = [entry for entry in self._resumes if entry[0] <= now] or list(self._resumes)
            self._resumes = [entry for entry in self._resumes if entry not in due]
        cursors = [cursor for _due, cursor in due]
        if not cursors or None in cursors:
            return None
        return min(cursors, key=lambda cursor: (len(cursor or ""), cursor or ""))

    def _backfill(self) -> None:
        intake = self.owner.base.store.intake
        stream = self.owner.stream
        cursor = self._resume_from()
        resume = None
        if cursor is not None and isinstance(stream, ResumesBackfill):
            resume = lambda watermark: stream.backfill_since(cursor, watermark)  # noqa: E731
        summary = fetch.run_once(self.owner.context(), resume=resume)
        if summary.queued:
            wake(self.owner.base, "schedule", self.owner.account)
        backfilled = self.owner.event(EventType.INTAKE_STREAM_BACKFILLED, summary.backfill_data())
        intake.backfilled(self.held, summary.new, [backfilled])

    def _take(self, item: StreamItem) -> None:
        self.pending += 1
        if item.cursor is not None:
            self.pending_cursor = item.cursor
        if item.post is None:
            if time.monotonic() - self.flushed_at >= CURSOR_FLUSH_SECONDS:
                self._flush()
            return
        lag = max(0.0, (item.received_at - item.post.created_at).total_seconds())
        self._write([item.post], Delivery(cursor=self.pending_cursor, received_at=item.received_at,
                                          events=self.pending, lag_seconds=lag))  # fmt: skip

    def _admission(self, context: JobContext, platform: Platform) -> Admission:
        """Return what admitting needs (three reads), read again at most every ADMISSION_SECONDS.

        A stream delivers many posts a second at peaks; the answered threads it holds may be
        that much older, which is safe: the schedule job refuses a thread already replied to.
        """
        clock = time.monotonic()
        if self._admitting is None or clock - self._admitting[0] >= ADMISSION_SECONDS:
            self._admitting = (clock, admission(context, self.owner.account, platform))
        return self._admitting[1]

    def _flush(self) -> None:
        if self.pending == 0:
            return
        self._write([], Delivery(cursor=self.pending_cursor, received_at=self.owner.clock(),
                                 events=self.pending))  # fmt: skip

    def _write(self, posts: list[Post], delivery: Delivery) -> None:
        context = self.owner.context()
        account = self.owner.account
        store = context.store.intake
        keep = account.settings.max_queue

        def write(found: Sequence[NewCandidate]) -> int:
            counted = replace(delivery, duplicates=len(posts) - len(found))
            return store.admit(self.held, found, keep, counted)

        if posts:
            platform = require_platform(context, account)
            admitted = admit(context, account, self._admission(context, platform), posts, write)
            if admitted.queued:  # a reply within seconds, not at the schedule job's next slot
                wake(context, "schedule", account)
        else:
            write([])
        if delivery.cursor is not None:
            self.cursor = delivery.cursor
        self.pending, self.pending_cursor, self.flushed_at = 0, None, time.monotonic()
