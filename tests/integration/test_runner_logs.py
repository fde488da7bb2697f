"""The runner's one line per run: idle runs at debug, the account always as platform:handle."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from structlog.testing import capture_logs

from posting_rows import add_account
from xbot.config import AccountSettings, Settings
from xbot.jobs.base import Account, JobContext, JobSpec, WorkerIdentity
from xbot.jobs.runner import JobRunner
from xbot.store.sql import SqlStore

T0 = datetime(2026, 1, 9, 19, 0, tzinfo=UTC)


def _spec(summary: Mapping[str, Any]) -> JobSpec:
    def run_once(context: JobContext) -> Mapping[str, Any]:
        return summary

    return JobSpec(name="post", interval_seconds=60, per_account=True, run_once=run_once)


def _completed(engine: Engine, summary: Mapping[str, Any]) -> dict[str, Any]:
    account_id = add_account(engine, handle="bot")
    account = Account(account_id=account_id, platform="x", handle="bot", platform_user_id="1000",
                      settings=AccountSettings(platform="x", handle="bot"))  # fmt: skip
    worker = WorkerIdentity(
        worker_id="w1", role="worker", git_sha="abc", sha_source="test", host="h", pid=1
    )
    context = JobContext(store=SqlStore(engine), settings=Settings(), worker=worker, now=T0)
    runner = JobRunner(context, [_spec(summary)], lambda: [account])
    assert runner.schedule(T0) == 1
    with capture_logs() as logs:
        assert runner.claim_and_run() is not None
    [line] = [entry for entry in logs if entry["event"] == "job_completed"]
    return line


def test_an_idle_run_logs_at_debug(engine: Engine) -> None:
    line = _completed(engine, {"expired": 0, "claimed": 0})
    assert line["log_level"] == "debug"
    assert line["account"] == "x:bot"


def test_a_run_that_did_something_logs_at_info(engine: Engine) -> None:
    line = _completed(engine, {"expired": 0, "claimed": 1, "status": "USED"})
    assert line["log_level"] == "info"
    assert line["account"] == "x:bot"
    assert line["summary"]["claimed"] == 1
