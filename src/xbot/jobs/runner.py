"""The job runner: slots, fenced leases and back-off on the database; no broker (DESIGN §7)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import structlog

from xbot.domain.audit import NewEvent, Severity
from xbot.domain.errors import StoreError
from xbot.domain.job_runs import JobRun, JobRunStatus
from xbot.events import JobPhase, JobPrefix, job_event_type
from xbot.jobs.backoff import REPEATED_FAILURES, consecutive_failures
from xbot.jobs.base import Account, JobContext, JobSpec, summary_data
from xbot.jobs.heartbeat import LeaseHeartbeat
from xbot.jobs.platform_faults import fault_reason, note_platform_outcome
from xbot.jobs.scheduler import SharedOpener
from xbot.redact import redact_text
from xbot.telemetry import observe_job_run

log = structlog.get_logger("xbot.runner")


@dataclass(frozen=True, kw_only=True, slots=True)
class RunOutcome:
    """What one run of one job did."""

    job: str
    account_id: int
    status: JobRunStatus
    summary: Mapping[str, Any]
    error: str | None
    duration_ms: int


class JobRunner:
    """Creates each job's slot runs, claims them one at a time and runs them.

    One runner is one lane: one run at a time. A worker runs several lanes in threads
    (xbot.jobs.runner_pool) that share one `SharedOpener`.
    """

    def __init__(
        self,
        context: JobContext,
        specs: Sequence[JobSpec],
        accounts: Callable[[], Sequence[Account]],
        opener: SharedOpener | None = None,
        first: Sequence[str] = (),
    ) -> None:
        self.context = context
        self.specs = {spec.name: spec for spec in specs}
        #: a claim takes these jobs' runs before the others' (xbot.jobs.runner_pool)
        self.first = list(first)
        self.accounts = accounts
        self.lease = timedelta(seconds=context.settings.lease_seconds)
        self.opener = opener or SharedOpener(context.store, self.specs)
        self.current_run: JobRun | None = None
        #: the run claimed together with the previous run's outcome, to run next
        self.next_run: JobRun | None = None
        self.store = context.store
        self.heartbeat = LeaseHeartbeat(self.store.job_runs, self.lease)

    def now(self) -> datetime:
        """Return the shared clock (the database's on PostgreSQL)."""
        return self.store.now()

    def run_due(self) -> list[RunOutcome]:
        """Create the current slot of every due job and run every claimable run once.

        One pass runs in order (fetch, schedule, post): an idle account's jobs run too.
        """
        self.schedule(self.now(), every_account=True)
        outcomes = []
        try:
            while not self.context.stop.is_set():
                outcome = self.claim_and_run()
                if outcome is None:
                    break
                outcomes.append(outcome)
        finally:
            self.close()
        return outcomes

    def schedule(self, now: datetime, *, every_account: bool = False) -> int:
        """Open the slots due at `now` (staggered per account, xbot.jobs.slots) in one call.

        Returns how many runs to claim it created; a pair backing off opens none.
        """
        opened = self.opener.open_due(now, self._account_ids(), every_account=every_account)
        return opened + self.open_woken(now)

    def open_woken(self, now: datetime) -> int:
        """Open a run of each (job, account) woken since the last pass (xbot.jobs.wakeups)."""
        if not self.context.wakeups.pending():
            return 0
        return self.opener.open_woken(now, self.context.wakeups.take())

    def schedule_if_stale(self) -> int:
        """Schedule again when the last pass is over a second old (between runs of a burst).

        Wake-ups are opened at once, stale or not.
        """
        opened = self.opener.open_if_stale(self.now, self._account_ids())
        return opened + (self.open_woken(self.now()) if self.context.wakeups.pending() else 0)

    def _account_ids(self) -> list[int]:
        return [account.account_id for account in self.accounts()]

    def claim_and_run(self) -> RunOutcome | None:
        """Claim one run and execute it; None when nothing is claimable."""
        run, self.next_run = self.next_run, None
        if run is None:
            run = self.store.job_runs.claim(
                self.context.worker.worker_id, list(self.specs), self.lease, first=self.first
            )
        if run is None:
            return None
        self.current_run = run
        try:
            return self._execute(run)
        finally:
            self.current_run = None

    def release_current(self) -> bool:
        """Give the run in progress and the one claimed next back (shutdown); True if any."""
        released = False
        for run in (self.current_run, self.next_run):
            if run is not None:
                released = self.store.job_runs.release(run) or released
        self.next_run = None
        return released

    def release_next(self) -> bool:
        """Give back the run claimed to run next (the loop stops); True when one was released."""
        run, self.next_run = self.next_run, None
        return run is not None and self.store.job_runs.release(run)

    def close(self) -> None:
        """Give back a run claimed ahead and end the heartbeat thread."""
        self.release_next()
        self.heartbeat.close()

    def _execute(self, run: JobRun) -> RunOutcome:
        spec = self.specs[run.job]
        account = self._account(run.account_id)
        started = time.monotonic()
        self._event(
            spec, JobPhase.STARTED, {"job_run_id": run.job_run_id, "slot": run.slot}, run.account_id
        )
        self.heartbeat.watch(run)
        status, summary, error, failure = JobRunStatus.DONE, {}, None, None
        try:
            context = replace(
                self.context,
                now=run.claimed_at,
                account=account,
                job_run_id=run.job_run_id,
                slot=run.slot,
            )
            summary = summary_data(spec.run_once(context))
        except Exception as exc:
            status, error, failure = (
                JobRunStatus.FAILED,
                redact_text(f"{type(exc).__name__}: {exc}"),
                exc,
            )
            log.exception("job_failed", job=spec.name, account_id=run.account_id)
        finally:
            self.heartbeat.unwatch()
        seconds = time.monotonic() - started
        observe_job_run(spec.name, seconds)
        duration_ms = int(seconds * 1000)
        outcome = RunOutcome(
            job=spec.name,
            account_id=run.account_id,
            status=status,
            summary=summary,
            error=error,
            duration_ms=duration_ms,
        )
        self._finish(spec, run, outcome)
        if spec.calls_platform and run.account_id:
            self._note_platform(spec, run.account_id, failure)
        return outcome

    def _note_platform(self, spec: JobSpec, account_id: int, failure: Exception | None) -> None:
        # a completed run of an account without a fault has nothing to clear: no write
        if failure is None and not self.opener.may_be_faulted(account_id):
            return
        note_platform_outcome(self.context, spec.name, account_id, failure)
        if failure is None:
            self.opener.note_fault(account_id, faulted=False)
        elif fault_reason(failure) is not None:
            self.opener.note_fault(account_id, faulted=True)

    def _finish(self, spec: JobSpec, run: JobRun, outcome: RunOutcome) -> None:
        summary = {**outcome.summary, "duration_ms": outcome.duration_ms}
        if not self._record(run, outcome.status, summary, outcome.error):
            self._event(
                spec, JobPhase.LEASE_LOST, {"job_run_id": run.job_run_id}, run.account_id,
                "warning",
            )  # fmt: skip
        if outcome.status is JobRunStatus.FAILED:
            self._report_failure(spec, run, outcome)
        else:
            data = {**summary, "job_run_id": run.job_run_id}
            self._event(spec, JobPhase.COMPLETED, data, run.account_id)
        # a run that found nothing to do (`claimed: 0`) is most runs: debug, not info
        emit = log.debug if idle(outcome) else log.info
        emit(
            "job_completed",
            job=spec.name,
            account=self._account_key(run.account_id),
            account_id=run.account_id,
            status=outcome.status.value,
            duration_ms=outcome.duration_ms,
            # nested: a job's summary may use any key, including the ones above
            summary=dict(outcome.summary),
        )

    def _record(
        self, run: JobRun, status: JobRunStatus, summary: dict[str, object], error: str | None
    ) -> bool:
        """Finish the run and, unless stopping, claim the next in the same round trip."""
        job_runs = self.store.job_runs
        if self.context.stop.is_set():
            return job_runs.finish(run, status, summary, error)
        finished, self.next_run = job_runs.finish_and_claim(
            run,
            status,
            summary,
            error,
            jobs=list(self.specs),
            lease=self.lease,
            first=self.first,
        )
        return finished

    def _report_failure(self, spec: JobSpec, run: JobRun, outcome: RunOutcome) -> None:
        self.opener.note_failure(spec.name, run.account_id)
        outcomes = self.store.job_runs.recent_outcomes(spec.name, run.account_id)
        failures = consecutive_failures([row.status for row in outcomes])
        severity: Severity = "error" if failures >= REPEATED_FAILURES else "warning"
        data = {
            "reason": outcome.error,
            "consecutive_failures": failures,
            "job_run_id": run.job_run_id,
        }
        self._event(spec, JobPhase.FAILED, data, run.account_id, severity, always=True)

    def _event(  # noqa: PLR0913 - the event's parts, all needed
        self,
        spec: JobSpec,
        phase: JobPhase,
        data: Mapping[str, Any],
        account_id: int,
        severity: Severity = "info",
        *,
        always: bool = False,
    ) -> None:
        if spec.event_prefix is None and not always:
            return
        event_type = job_event_type(spec.event_prefix or JobPrefix.QUIET, phase)
        self.store.events.append(
            NewEvent(
                event_type=event_type,
                data={"job": spec.name, **data},
                severity=severity,
                component="runner",
                account_id=account_id or None,
                worker_id=self.context.worker.worker_id,
            )
        )

    def _account_key(self, account_id: int) -> str | None:
        names = {account.account_id: account.key for account in self.accounts()}
        return names.get(account_id)

    def _account(self, account_id: int) -> Account | None:
        if account_id == 0:
            return None
        for account in self.accounts():
            if account.account_id == account_id:
                return account
        raise StoreError(f"account {account_id} is not enabled any more")


def idle(outcome: RunOutcome) -> bool:
    """Return True for a completed run whose every count is zero: it found nothing to do."""
    counts = [
        value
        for value in outcome.summary.values()
        if isinstance(value, int | float) and not isinstance(value, bool)
    ]
    return outcome.status is JobRunStatus.DONE and not any(counts)
