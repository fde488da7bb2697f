"""Several runs in flight per worker: lanes, each a JobRunner in its own thread (issue 12).

Runs are I/O-bound (platform HTTP, the database), so one worker runs up to
`worker.concurrency` of them at once. Every lane claims and runs on its own, with its own lease
heartbeat; they share one `SharedOpener`, which wakes the idle lanes when a pass opens runs.
That two runs of one (job, account) are never in flight at once is the claim's business (the
database's, across every worker), not the lanes'.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime

import structlog

from xbot.domain.errors import StoreError
from xbot.domain.job_runs import JobRun
from xbot.jobs.base import Account, JobContext, JobSpec
from xbot.jobs.runner import JobRunner

log = structlog.get_logger("xbot.runner")


def pipeline_first(specs: Sequence[JobSpec]) -> list[str]:
    """Return the jobs whose runs the lanes claim before the others': those that follow the work.

    Post and schedule runs exist only while there is work (PENDING permits, queued
    candidates): when more runs are due than the lanes can run, a reply waiting for its run
    is not starved by every account's fetch, and the backlog falls on the periodic jobs, which
    take their turns oldest first among themselves.
    """
    return [spec.name for spec in specs if spec.busy_accounts is not None]


class RunnerPool:
    """`concurrency` lanes over one opener; the worker loop schedules, the lanes run."""

    def __init__(
        self,
        context: JobContext,
        specs: Sequence[JobSpec],
        accounts: Callable[[], Sequence[Account]],
        concurrency: int,
    ) -> None:
        urgent = pipeline_first(specs)
        first = JobRunner(context, specs, accounts, first=urgent)
        self.lanes = [first] + [
            JobRunner(context, specs, accounts, first.opener, urgent)
            for _ in range(concurrency - 1)
        ]
        self.context = context
        self.opener = first.opener
        self.failures: list[BaseException] = []
        self._threads: list[threading.Thread] = []
        #: ends the lanes without the service's stop (the worker loop gave up: outage, crash)
        self._halt = threading.Event()

    def now(self) -> datetime:
        """Return the shared clock (the database's on PostgreSQL)."""
        return self.lanes[0].now()

    def schedule(self, now: datetime) -> int:
        """Open the slots due at `now`; the waiting lanes wake when it opened runs."""
        return self.lanes[0].schedule(now)

    @property
    def in_flight(self) -> list[JobRun]:
        """The runs the lanes are executing right now."""
        return [lane.current_run for lane in self.lanes if lane.current_run is not None]

    def start(self) -> None:
        """Start one thread per lane; each runs until the context's stop is set."""
        for number, lane in enumerate(self.lanes):
            thread = threading.Thread(
                target=self._run_lane, args=(lane,), name=f"job-lane-{number}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def halt(self) -> None:
        """Make every lane stop after its run, even though the service is not stopping."""
        self._halt.set()
        self.opener.wake()

    def join(self) -> None:
        """Wait for the lanes to finish their runs (they stop at the stop event or a halt)."""
        for thread in self._threads:
            thread.join()

    def release_current(self) -> bool:
        """Give every lane's run in progress and run claimed next back (shutdown); True if any."""
        released = [lane.release_current() for lane in self.lanes]
        return any(released)

    def close(self) -> None:
        """Give back the runs claimed ahead and end the heartbeat threads."""
        for lane in self.lanes:
            lane.close()

    def _run_lane(self, lane: JobRunner) -> None:
        stop = self.context.stop
        poll = self.context.settings.poll_interval
        try:
            while not (stop.is_set() or self._halt.is_set()):
                seen = self.opener.generation
                try:
                    ran = lane.claim_and_run() is not None
                except StoreError as exc:  # the worker loop counts the outage and gives up
                    log.warning("lane_store_error", error=str(exc))
                    stop.wait(poll)
                    continue
                if ran:
                    lane.schedule_if_stale()  # a long burst still opens its due slots
                else:
                    self.opener.wait_for_work(seen, poll)
        except BaseException as exc:  # a bug: the worker loop ends the process with it
            self.failures.append(exc)
            log.exception("lane_crashed", lane=threading.current_thread().name)
            self.opener.wake()
