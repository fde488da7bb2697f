"""Every job the runner knows, with its cadence from the settings (DESIGN §4)."""

from __future__ import annotations

from xbot.config import Settings
from xbot.domain.stores import Store
from xbot.events import JobPrefix
from xbot.jobs import fetch, ghost_scan, post, probe, reconcile, schedule
from xbot.jobs.base import JobSpec

#: the jobs a worker runs when `enabled_jobs` is empty (the probe is opt-in)
DEFAULT_JOBS = ("fetch", "schedule", "post", "reconcile", "ghost_scan")


def accounts_with_pending_permits(store: Store) -> set[int]:
    """Return the post job's work: the accounts with a PENDING permit."""
    return store.status.accounts_with_pending_permits()


def accounts_to_schedule(store: Store) -> set[int]:
    """Return the schedule job's work: queued candidates, or PENDING permits (review expiry)."""
    return store.status.accounts_with_queued_candidates(store.now()) | (
        store.status.accounts_with_pending_permits()
    )


def job_specs(settings: Settings) -> list[JobSpec]:
    """Return the job specs; which of them a process runs is `enabled_jobs`' business."""
    every = settings.jobs
    return [
        JobSpec(name="fetch", interval_seconds=every.fetch, per_account=True,
                run_once=fetch.run_once, event_prefix=JobPrefix.FETCH,
                calls_platform=True),
        # an account with no queued candidate and no PENDING permit has nothing to schedule
        JobSpec(name="schedule", interval_seconds=every.schedule, per_account=True,
                run_once=schedule.run_once, event_prefix=JobPrefix.SCHEDULE,
                busy_accounts=accounts_to_schedule),
        # posting is frequent and quiet: its events are the permits' own transitions; an
        # account without a PENDING permit has nothing to post, so it runs only in turn
        JobSpec(name="post", interval_seconds=every.post, per_account=True,
                run_once=post.run_once, busy_accounts=accounts_with_pending_permits),
        JobSpec(name="reconcile", interval_seconds=every.reconcile, per_account=True,
                run_once=reconcile.run_once, event_prefix=JobPrefix.RECONCILE),
        # the scan writes `ghost_scan_completed` and a `ghost_scans` row itself
        JobSpec(name="ghost_scan", interval_seconds=every.ghost_scan, per_account=True,
                run_once=ghost_scan.run_once, calls_platform=True),
        JobSpec(name="probe", interval_seconds=every.probe, per_account=False,
                run_once=probe.run_once, event_prefix=JobPrefix.PROBE),
    ]  # fmt: skip
