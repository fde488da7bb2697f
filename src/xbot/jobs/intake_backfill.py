"""A stream's backfill in a thread of its own, so the stream is read while the backfill runs.

A (re)connect's backfill pages the platform's notifications (seconds after a long gap); run in
the consumer's thread it held back every event the stream delivered meanwhile, and those
mentions waited for it (issue 16: mention -> candidate p95 <= 2 s). Both paths admit through the
same keyed insert (xbot.jobs.admit), so a mention both find is one candidate row; the backfill
moves only the fetch watermark and the stream only its cursor. One backfill runs at a time per
stream; one asked for while another runs starts when it ends. A lost lease ends the consumer
(`raise_if_lost`); any other failure is logged and the backfill tried again RETRY_SECONDS later.
The thread ends when no backfill is due, or with the consumer's signal.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import structlog

from xbot.domain.errors import LeaseLost, XbotError

log = structlog.get_logger("xbot.intake")

#: a backfill that failed (the platform or the database) is tried again this much later
RETRY_SECONDS = 5.0
#: a thread waiting for its next backfill looks at the consumer's signal this often (seconds)
SIGNAL_CHECK_SECONDS = 0.2


class Backfiller:
    """Runs `backfill` in a background thread, one at a time, each when it falls due."""

    def __init__(self, backfill: Callable[[], None], signal: threading.Event, name: str) -> None:
        self._backfill = backfill
        self._signal = signal
        self._name = name
        self._thread: threading.Thread | None = None
        self._lost: LeaseLost | None = None
        #: monotonic times at which a backfill is due (asked for, or a retry)
        self._due: list[float] = []
        self._lock = threading.Lock()
        self._asked = threading.Event()

    def ask(self, delay: float = 0.0) -> None:
        """Ask for a backfill `delay` seconds from now; raise LeaseLost if one lost the lease."""
        self.raise_if_lost()
        with self._lock:
            self._due.append(time.monotonic() + delay)
            self._asked.set()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, daemon=True, name=self._name)
                self._thread.start()

    def raise_if_lost(self) -> None:
        """Raise the LeaseLost a backfill met: the consumer must stop."""
        if self._lost is not None:
            raise self._lost

    def join(self) -> None:
        """Wait for the running backfill (the consumer is closing); forget the due ones."""
        with self._lock:
            thread, self._due = self._thread, []
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        while not self._signal.is_set():
            with self._lock:
                if not self._due:
                    self._thread = None
                    return
                now = time.monotonic()
                wait = min(self._due) - now
                if wait <= 0:  # every backfill due by now is this one
                    self._due = [moment for moment in self._due if moment > now]
                    self._asked.clear()
            if wait > 0:  # until it is due, a new ask, or a look at the signal
                self._asked.wait(min(wait, SIGNAL_CHECK_SECONDS))
                self._asked.clear()
            elif not self._once():
                return

    def _once(self) -> bool:
        """Run one backfill; False when the lease is lost."""
        try:
            self._backfill()
        except LeaseLost as exc:
            self._lost = exc
            return False
        except XbotError as exc:
            log.warning("intake_backfill_failed", stream=self._name, error=str(exc))
            self._retry()
        except Exception:
            log.exception("intake_backfill_crashed", stream=self._name)
            self._retry()
        return True

    def _retry(self) -> None:
        with self._lock:
            self._due.append(time.monotonic() + RETRY_SECONDS)
