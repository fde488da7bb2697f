"""A worker's lanes on a real SQLite file and a real PostgreSQL: overlap across accounts only."""

from __future__ import annotations

from sqlalchemy import Engine

from runner_pool_cases import check_lanes_overlap_accounts_but_never_one_pair
from xbot.store.sql import SqlStore


def test_lanes_overlap_accounts_but_never_two_runs_of_one_pair(engine: Engine) -> None:
    check_lanes_overlap_accounts_but_never_one_pair(SqlStore(engine))
