"""The worker's main loop: open due slots, beat and report on a cadence; the lanes run the jobs.

The loop's thread only schedules (xbot.jobs.scheduler) and reports; the runs happen in the
pool's lanes (xbot.jobs.runner_pool), `worker.concurrency` at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import structlog

from xbot.domain.errors import StoreError
from xbot.jobs import watchdog
from xbot.jobs.runner_pool import RunnerPool

log = structlog.get_logger("xbot.loop")

HEARTBEAT_SECONDS = 15.0


class WorkerLoop:
    """Runs until `stop` is set; raises when the database stays unusable too long."""

    def __init__(
        self,
        runner: RunnerPool,
        posting_state: Callable[[], Mapping[str, Any]],
        on_tick: Callable[[], None] = lambda: None,
    ) -> None:
        self.runner = runner
        self.context = runner.context
        self.posting_state = posting_state
        self.on_tick = on_tick
        self._next_report = 0.0
        self._next_beat = 0.0
        self._outage_started: float | None = None

    def run(self) -> None:
        """Poll until stopped."""
        settings = self.context.settings
        self._next_report = time.monotonic()  # the first report right after boot
        self.runner.start()
        try:
            while not self.context.stop.is_set():
                try:
                    self.tick()
                    self._outage_started = None
                except StoreError as exc:
                    self._note_outage(exc)
                if self.runner.failures:
                    raise self.runner.failures[0]
                # a wake-up (xbot.jobs.wakeups) ends the wait before the poll interval
                self.context.wakeups.wait(settings.poll_interval, self.context.stop)
        finally:
            self.runner.halt()
            self.runner.join()  # each lane finishes its run (or serve abandons it at the grace)
            self._close_runner()

    def _close_runner(self) -> None:
        try:
            self.runner.close()
        except StoreError as exc:  # the lease of a run claimed ahead simply expires
            log.warning("claimed_run_not_released", error=str(exc))

    def tick(self) -> None:
        """One poll: heartbeat and report when due, then open the due slots for the lanes."""
        now = self.runner.now()
        self.on_tick()
        self._beat_and_report(now)
        self.runner.schedule(now)

    def _beat_and_report(self, now: Any) -> None:
        clock = time.monotonic()
        if clock >= self._next_report:
            watchdog.write_report(replace(self.context, now=now), self.posting_state())
            self._next_report = clock + self.context.settings.jobs.watchdog
            self._next_beat = clock + HEARTBEAT_SECONDS
        elif clock >= self._next_beat:
            self.context.store.workers.beat(self.context.worker.worker_id, now)
            self._next_beat = clock + HEARTBEAT_SECONDS

    def _note_outage(self, exc: StoreError) -> None:
        started = self._outage_started = self._outage_started or time.monotonic()
        log.error("database_unusable", error=str(exc), seconds=round(time.monotonic() - started))
        limit = self.context.settings.database_outage_seconds
        if time.monotonic() - started > limit:
            raise StoreError(f"the database stayed unusable for over {limit:.0f} s: {exc}") from exc
