"""Workers against one real PostgreSQL: schema check, slots run once across workers, crashes."""

from __future__ import annotations

import collections
import json
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from acceptance.conftest import run_xbot, wait_for
from dbsupport import POSTGRES_URL


def rows(url: str, sql: str) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql)))
    finally:
        engine.dispose()


def test_old_schema_stops_boot_until_migrate(
    xbot_env: dict[str, str], empty_postgres_url: str, start_xbot: Any, tmp_path: Path
) -> None:
    xbot_env["XBOT_DATABASE_URL"] = empty_postgres_url
    refused = run_xbot(["worker"], xbot_env, tmp_path)
    assert refused.returncode == 1
    assert "Run `xbot migrate`" in refused.stderr
    assert "Traceback" not in refused.stderr
    migrated = run_xbot(["migrate"], xbot_env, tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    worker = start_xbot(["worker"], xbot_env)
    assert worker.wait_ready()["database"].startswith("postgresql")


def test_runner_death_turns_health_red_and_exits_non_zero(
    xbot_env: dict[str, str], empty_postgres_url: str, start_xbot: Any, tmp_path: Path
) -> None:
    xbot_env.update(
        {
            "XBOT_DATABASE_URL": empty_postgres_url,
            "XBOT_POLL_INTERVAL": "0.2",
            "XBOT_DATABASE_OUTAGE_SECONDS": "1",
        }
    )
    assert run_xbot(["migrate"], xbot_env, tmp_path).returncode == 0
    worker = start_xbot(["worker"], xbot_env)
    worker.wait_ready()
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = empty_postgres_url.rsplit("/", 1)[1]
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()
    assert worker.process.wait(20) == 1
    assert "runner_died" in worker.stderr()


@pytest.mark.slow
def test_three_workers_run_every_slot_once_and_reclaim_after_kill(
    xbot_env: dict[str, str], postgres_url: str, start_xbot: Any
) -> None:
    xbot_env.update(
        {
            "XBOT_DATABASE_URL": postgres_url,
            "XBOT_ENABLED_JOBS": '["probe"]',
            "XBOT_JOBS__PROBE": "1",
            "XBOT_PROBE_SECONDS": "0.6",
            "XBOT_POLL_INTERVAL": "0.1",
            "XBOT_LEASE_SECONDS": "3",
        }
    )
    workers = []
    for number in range(3):
        env = dict(xbot_env, PORT=str(int(xbot_env["PORT"]) + number), XBOT_WORKER_ID=f"w{number}")
        workers.append(start_xbot(["worker"], env))
    for worker in workers:
        worker.wait_ready()
    time.sleep(6)
    victim_run = wait_for(
        lambda: rows(
            postgres_url, "SELECT id FROM job_runs WHERE owner = 'w0' AND status = 'running'"
        ),
        15,
        0.02,
    )
    workers[0].process.send_signal(signal.SIGKILL)
    workers[0].process.wait(10)
    run_id = victim_run[0].id
    time.sleep(14)
    for worker in workers[1:]:
        assert worker.stop() == 0

    reclaimed = rows(
        postgres_url, f"SELECT owner, attempts, status FROM job_runs WHERE id = {run_id}"
    )
    assert reclaimed[0].status == "done"
    assert reclaimed[0].attempts == 2
    assert reclaimed[0].owner in {"w1", "w2"}

    done = rows(
        postgres_url, "SELECT slot, COUNT(*) AS n FROM job_runs WHERE status = 'done' GROUP BY slot"
    )
    assert len(done) >= 15
    assert all(row.n == 1 for row in done)
    ran = collections.Counter(
        json.loads(row.event_data)["slot"]
        if isinstance(row.event_data, str)
        else row.event_data["slot"]
        for row in rows(
            postgres_url, "SELECT event_data FROM system_events WHERE event_type = 'probe_ran'"
        )
    )
    assert ran, "the probe never ran"
    assert max(ran.values()) == 1, f"a slot ran twice: {ran.most_common(3)}"
    assert set(ran) == {row.slot for row in done}
    owners = {row.owner for row in rows(postgres_url, "SELECT DISTINCT owner FROM job_runs")}
    assert {"w1", "w2"} <= owners
