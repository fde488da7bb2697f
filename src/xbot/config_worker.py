"""The `[worker]` settings: how many job runs one worker process has in flight at once."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class WorkerSettings(BaseModel):
    """How a worker process runs its jobs (xbot.jobs.runner_pool)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    #: runs are I/O-bound (platform calls, the database): this many run at once, each in its
    #: own thread; runs of one (job, account) never overlap, whatever the number
    concurrency: int = Field(
        4, ge=1, le=32, description="job runs in flight at once per worker process, 1 to 32"
    )
