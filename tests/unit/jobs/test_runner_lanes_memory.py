"""A worker's lanes on the in-memory store (the same cases run on SQLite and PostgreSQL)."""

from __future__ import annotations

from runner_pool_cases import check_lanes_overlap_accounts_but_never_one_pair
from xbot.store.memory import MemoryStore


def test_lanes_overlap_accounts_but_never_two_runs_of_one_pair() -> None:
    check_lanes_overlap_accounts_but_never_one_pair(MemoryStore())
