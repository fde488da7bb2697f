"""Every job the runner knows, with its cadence from the settings."""

from __future__ import annotations

from xbot.config import Settings
from xbot.jobs import probe
from xbot.jobs.base import JobSpec


def job_specs(settings: Settings) -> list[JobSpec]:
    """Return the job specs; which of them a process runs is `enabled_jobs`' business."""
    intervals = settings.jobs
    return [
        JobSpec(
            name="probe",
            interval_seconds=intervals.probe,
            per_account=False,
            run_once=probe.run_once,
            event_prefix="probe_job",
        ),
    ]
