"""One thread per runner that extends the lease of the run in progress (DESIGN §7)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import structlog

from xbot.domain.job_runs import JobRun
from xbot.domain.stores import JobRunStore

log = structlog.get_logger("xbot.runner")


class LeaseHeartbeat:
    """Extends the watched run's lease every third of its length while the job works.

    The thread starts with the first run and lives as long as the runner, so a run costs no
    thread start; `watch` and `unwatch` only swap the run it looks after.
    """

    def __init__(self, job_runs: JobRunStore, lease: timedelta) -> None:
        self.job_runs = job_runs
        self.lease = lease
        self.interval = lease.total_seconds() / 3
        self._lock = threading.Lock()
        self._run: JobRun | None = None
        self._beaten = 0.0
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, run: JobRun) -> None:
        """Look after `run` from now on (its lease was just granted)."""
        with self._lock:
            self._run, self._beaten = run, time.monotonic()
        if self._thread is None:
            self._thread = threading.Thread(target=self._beat, name="lease-heartbeat", daemon=True)
            self._thread.start()

    def unwatch(self) -> None:
        """Stop looking after the current run (it finished or was given back)."""
        with self._lock:
            self._run = None

    def close(self) -> None:
        """End the thread; a later `watch` starts a new one."""
        thread, closed = self._thread, self._closed
        if thread is None:
            return
        closed.set()
        thread.join(timeout=5)
        self._thread, self._closed = None, threading.Event()

    def _due(self) -> JobRun | None:
        with self._lock:
            if self._run is None or time.monotonic() - self._beaten < self.interval:
                return None
            return self._run

    def _beat(self) -> None:
        closed = self._closed
        while not closed.wait(self.interval / 3):
            run = self._due()
            if run is None:
                continue
            try:
                held = self.job_runs.extend_lease(run, self.lease)
            except Exception:
                log.exception("lease_heartbeat_failed", job_run_id=run.job_run_id)
                continue
            with self._lock:
                if self._run is not run:
                    continue  # finished meanwhile: a refusal now says nothing
                self._beaten = time.monotonic()
                if not held:
                    self._run = None
            if not held:
                log.warning("lease_lost", job=run.job, job_run_id=run.job_run_id)
