"""A small HTTP listener with a bounded worker pool, for the health routes (standard library only).

`ThreadingHTTPServer` starts one thread per connection, so 400 idle connections meant 400
threads. Here one thread accepts and watches every open connection with a selector; a
connection reaches one of a fixed number of workers only once it has sent something, and
one that stays silent for `idle_seconds` is closed. A worker reads the request under a
per-read timeout, answers it and closes the connection (HTTP/1.0, no keep-alive); an exchange
still running after `request_seconds` is cut off.
"""

from __future__ import annotations

import contextlib
import queue
import selectors
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: how often the accepting thread looks for idle connections and a stop request
TICK_SECONDS = 0.2


@dataclass(frozen=True, kw_only=True, slots=True)
class ListenerLimits:
    """How much one listener may hold at once."""

    #: threads that read and answer requests (the accepting thread comes on top)
    workers: int = 4
    #: a connection that sends nothing for this long is closed
    idle_seconds: float = 10.0
    #: once it has sent something, each read of its request may wait this long
    read_seconds: float = 5.0
    #: and the whole exchange must end within this long, so a client dripping one byte at a
    #: time (each read well within `read_seconds`) cannot hold a worker for ever
    request_seconds: float = 15.0
    #: connections waiting for their first byte; beyond it the oldest is closed
    max_waiting: int = 1024


class BoundedListener:
    """Accepts connections on one thread and hands each request to a bounded pool."""

    def __init__(
        self,
        address: tuple[str, int],
        handle: Callable[[socket.socket, Any], None],
        limits: ListenerLimits | None = None,
    ) -> None:
        host, port = address
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.socket = socket.create_server((host, port), family=family, backlog=128)
        self.socket.setblocking(False)  # noqa: FBT003 - the stdlib signature
        self.limits = limits or ListenerLimits()
        self._handle = handle
        # daemon threads, unlike a ThreadPoolExecutor's: exiting never waits for a slow client
        self._queue: queue.SimpleQueue[tuple[socket.socket, Any] | None] = queue.SimpleQueue()
        self._workers = [
            threading.Thread(target=self._work, name=f"health-worker-{number}", daemon=True)
            for number in range(self.limits.workers)
        ]
        self._waiting: dict[socket.socket, tuple[float, Any]] = {}
        self._serving: dict[socket.socket, float] = {}
        self._serving_lock = threading.Lock()
        self._stopping = threading.Event()
        self._wake_reader, self._wake_writer = socket.socketpair()

    @property
    def server_address(self) -> tuple[str, int]:
        """Return the (host, port) actually bound."""
        host, port = self.socket.getsockname()[:2]
        return str(host), int(port)

    def serve_forever(self) -> None:
        """Accept and dispatch until `shutdown()`."""
        for worker in self._workers:
            worker.start()
        with selectors.DefaultSelector() as selector:
            selector.register(self.socket, selectors.EVENT_READ)
            selector.register(self._wake_reader, selectors.EVENT_READ)
            while not self._stopping.is_set():
                for key, _events in selector.select(TICK_SECONDS):
                    self._on_readable(selector, key.fileobj)
                self._close_idle(selector, time.monotonic())
                self._cut_off_slow(time.monotonic())
            for connection in list(self._waiting):
                self._forget(selector, connection)
                connection.close()
        for _worker in self._workers:
            self._queue.put(None)  # each worker ends after the answers queued before it

    def shutdown(self) -> None:
        """Stop accepting, close waiting connections and let running answers finish."""
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._wake_writer.send(b"x")

    def server_close(self) -> None:
        """Release the listening socket."""
        for closable in (self.socket, self._wake_reader, self._wake_writer):
            closable.close()

    def _on_readable(self, selector: selectors.BaseSelector, source: Any) -> None:
        if source is self.socket:
            self._accept(selector)
        elif source is not self._wake_reader:
            self._forget(selector, source)
            _, client = self._waiting.pop(source)
            self._queue.put((source, client))

    def _accept(self, selector: selectors.BaseSelector) -> None:
        while True:
            try:
                connection, client = self.socket.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return  # e.g. out of file descriptors: the oldest waiting ones go below
            if len(self._waiting) >= self.limits.max_waiting:
                oldest = min(self._waiting, key=lambda waiting: self._waiting[waiting][0])
                self._forget(selector, oldest)
                self._waiting.pop(oldest)
                oldest.close()
            self._waiting[connection] = (time.monotonic(), client)
            selector.register(connection, selectors.EVENT_READ)

    def _close_idle(self, selector: selectors.BaseSelector, now: float) -> None:
        cutoff = now - self.limits.idle_seconds
        for connection, (accepted, _) in list(self._waiting.items()):
            if accepted < cutoff:
                self._forget(selector, connection)
                self._waiting.pop(connection)
                connection.close()

    def _cut_off_slow(self, now: float) -> None:
        cutoff = now - self.limits.request_seconds
        with self._serving_lock:
            slow = [connection for connection, began in self._serving.items() if began < cutoff]
        for connection in slow:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)  # wakes the worker blocked reading it

    def _forget(self, selector: selectors.BaseSelector, connection: socket.socket) -> None:
        with contextlib.suppress(KeyError, ValueError):
            selector.unregister(connection)

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            self._serve(*item)

    def _serve(self, connection: socket.socket, client: Any) -> None:
        with self._serving_lock:
            self._serving[connection] = time.monotonic()
        try:
            connection.setblocking(True)  # noqa: FBT003 - the stdlib signature
            self._handle(connection, client)
        except OSError:
            pass  # the client went away or timed out: nothing to answer
        finally:
            with self._serving_lock:
                self._serving.pop(connection, None)
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_WR)
            connection.close()
