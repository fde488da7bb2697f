"""A worker's lanes on the in-memory store (the same cases run on SQLite and PostgreSQL)."""

from __future__ import annotations

from runner_pool_cases import check_lanes_overlap_accounts_but_never_one_pair
from xbot.store.memory import MemoryStore


def test_lanes_overlap_accounts_but_never_two_runs_of_one_pair() -> None:
    check_lanes_overlap_accounts_but_never_one_pair(MemoryStore())


def test_lanes_claim_the_jobs_that_follow_the_work_first() -> None:
    from xbot.config import Settings
    from xbot.jobs.registry import job_specs
    from xbot.jobs.runner_pool import pipeline_first

    order = pipeline_first(job_specs(Settings()))
    assert order == ["schedule", "post"]
