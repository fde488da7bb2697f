"""`xbot worker` as a subprocess: health first, readiness with the SHA, the boot event, stopping."""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

from acceptance.conftest import http_get, run_xbot, wait_for

SHA = "5a8a81ca" + "0" * 32


def sqlite_rows(path: Path, sql: str) -> list[Any]:
    with sqlite3.connect(path) as connection:
        return connection.execute(sql).fetchall()


def test_health_first_then_ready_with_sha_and_boot_event(
    xbot_env: dict[str, str], start_xbot: Any, tmp_path: Path
) -> None:
    xbot_env["XBOT_GIT_SHA"] = SHA
    worker = start_xbot(["worker"], xbot_env)
    wait_for(lambda: worker.health()[0] == 200, timeout=5, interval=0.01)
    ready = worker.wait_ready()
    assert ready["git_sha"] == SHA
    assert ready["sha_source"] == "env:XBOT_GIT_SHA"
    assert ready["role"] == "worker"
    assert ready["posting_allowed"] is True
    assert {"worker_id", "database", "reasons"} <= set(ready)
    boot = sqlite_rows(
        tmp_path / "xbot.db",
        "SELECT event_data FROM system_events WHERE event_type = 'production_watchdog_boot'",
    )
    assert len(boot) == 1
    data = json.loads(boot[0][0])
    assert data["git_sha"] == SHA
    assert data["sha_source"] == "env:XBOT_GIT_SHA"
    assert data["worker_id"] == ready["worker_id"]
    assert "[HEALTH] listening on 127.0.0.1:" in worker.stderr()
    assert worker.stop() == 0


def test_sigterm_stops_cleanly_within_ten_seconds(
    xbot_env: dict[str, str], start_xbot: Any, tmp_path: Path
) -> None:
    xbot_env.update(
        {"XBOT_ENABLED_JOBS": '["probe"]', "XBOT_PROBE_SECONDS": "30", "XBOT_POLL_INTERVAL": "0.1"}
    )
    worker = start_xbot(["worker"], xbot_env)
    worker.wait_ready()
    database = tmp_path / "xbot.db"
    wait_for(lambda: sqlite_rows(database, "SELECT 1 FROM job_runs WHERE status = 'running'"), 10)
    began = time.monotonic()
    assert worker.stop(signal.SIGTERM) == 0
    assert time.monotonic() - began < 10
    stopped = sqlite_rows(
        database, "SELECT event_data FROM system_events WHERE event_type = 'worker_stopped'"
    )
    assert len(stopped) == 1
    assert json.loads(stopped[0][0])["abandoned_job"] is False
    # the probe honours the stop request, so its run finishes instead of being abandoned
    runs = sqlite_rows(database, "SELECT status FROM job_runs WHERE status != 'pending'")
    assert runs == [("done",)]
    interrupted = sqlite_rows(
        database, "SELECT event_data FROM system_events WHERE event_type = 'probe_ran'"
    )
    assert json.loads(interrupted[0][0])["interrupted"] is True


def test_web_role_never_runs_jobs(
    xbot_env: dict[str, str], start_xbot: Any, tmp_path: Path
) -> None:
    xbot_env.update({"XBOT_ENABLED_JOBS": '["probe"]', "XBOT_POLL_INTERVAL": "0.1"})
    web = start_xbot(["web"], xbot_env)
    ready = web.wait_ready()
    assert ready["role"] == "web"
    assert ready["posting_allowed"] is False
    assert ready["reasons"] == ["wrong_role", "deploy_unmarked"]
    time.sleep(1.5)
    assert sqlite_rows(tmp_path / "xbot.db", "SELECT COUNT(*) FROM job_runs") == [(0,)]
    assert web.stop() == 0


def test_worker_with_role_web_in_environment_runs_no_jobs(
    xbot_env: dict[str, str], start_xbot: Any, tmp_path: Path
) -> None:
    xbot_env.update({"XBOT_ROLE": "web", "XBOT_ENABLED_JOBS": '["probe"]'})
    process = start_xbot(["worker"], xbot_env)
    assert process.wait_ready()["role"] == "web"
    time.sleep(1.0)
    assert sqlite_rows(tmp_path / "xbot.db", "SELECT COUNT(*) FROM job_runs") == [(0,)]


def test_run_once_runs_every_due_job_and_exits(xbot_env: dict[str, str], tmp_path: Path) -> None:
    xbot_env["XBOT_ENABLED_JOBS"] = '["probe"]'
    done = run_xbot(["run", "--once"], xbot_env, tmp_path)
    assert done.returncode == 0, done.stderr
    outcomes = json.loads(done.stdout)
    assert [(item["job"], item["status"]) for item in outcomes] == [("probe", "done")]


def test_kill_switch_and_deployment_reach_ready_within_a_poll(
    xbot_env: dict[str, str], start_xbot: Any, tmp_path: Path
) -> None:
    xbot_env.update({"XBOT_GIT_SHA": SHA, "XBOT_POLL_INTERVAL": "0.2"})
    worker = start_xbot(["worker"], xbot_env)
    worker.wait_ready()

    def reasons() -> list[str]:
        return list(http_get(worker.port, "/ready")[1]["reasons"])

    # no deployment declared: posting is allowed, and /ready and the console say so
    assert reasons() == ["deploy_unmarked"]
    assert "deploy_unmarked" in worker.stderr()
    assert run_xbot(["pause", "--by", "alice"], xbot_env, tmp_path).returncode == 0
    wait_for(lambda: reasons() == ["kill_switch", "deploy_unmarked"], timeout=5)
    assert run_xbot(["resume"], xbot_env, tmp_path).returncode == 0
    wait_for(lambda: reasons() == ["deploy_unmarked"], timeout=5)
    marked = run_xbot(["deploy", "mark", "--sha", "fdf00f1e"], xbot_env, tmp_path)
    assert marked.returncode == 0, marked.stderr
    wait_for(lambda: reasons() == ["stale_code"], timeout=5)
    # seven digits of the SHA the worker booted with: stored in full, and the fence opens
    short = run_xbot(["deploy", "mark", "--sha", SHA[:7]], xbot_env, tmp_path)
    assert short.stdout == f"active deployment: {SHA} (from {SHA[:7]} via workers)\n"
    wait_for(lambda: reasons() == [], timeout=5)
    kinds = sqlite_rows(
        tmp_path / "xbot.db",
        "SELECT event_type FROM system_events "
        "WHERE event_type IN ('kill_switch_on', 'kill_switch_off', "
        "'deployment_marked') ORDER BY id",
    )
    assert [row[0] for row in kinds] == [
        "kill_switch_on",
        "kill_switch_off",
        "deployment_marked",
        "deployment_marked",
    ]


def test_require_deploy_mark_keeps_posting_closed_until_a_deployment_is_declared(
    xbot_env: dict[str, str], start_xbot: Any, tmp_path: Path
) -> None:
    xbot_env.update(
        {"XBOT_GIT_SHA": SHA, "XBOT_POLL_INTERVAL": "0.2", "XBOT_REQUIRE_DEPLOY_MARK": "true"}
    )
    worker = start_xbot(["worker"], xbot_env)
    ready = worker.wait_ready()
    assert (ready["posting_allowed"], ready["reasons"]) == (False, ["deploy_unmarked"])
    assert f"xbot deploy mark --sha {SHA}" in worker.stderr()
    assert run_xbot(["deploy", "mark", "--sha", SHA], xbot_env, tmp_path).returncode == 0
    wait_for(lambda: http_get(worker.port, "/ready")[1]["posting_allowed"] is True, timeout=5)
    assert http_get(worker.port, "/ready")[1]["reasons"] == []


def test_ready_shows_each_accounts_platform_policy(
    xbot_env: dict[str, str], start_xbot: Any, tmp_path: Path
) -> None:
    (tmp_path / "xbot.toml").write_text(
        'enabled_jobs = ["probe"]\n\n'
        '[[accounts]]\nplatform = "x"\nhandle = "ReplyBot"\ngenerator = "llm"\n\n'
        '[[accounts]]\nplatform = "mastodon"\nhandle = "helper"\nbase_url = "https://example.social"\n',
        encoding="utf-8",
    )
    worker = start_xbot(["worker"], xbot_env)
    accounts = {item["handle"]: item for item in worker.wait_ready()["accounts"]}
    assert accounts["replybot"]["summoned_only"] is True
    assert accounts["replybot"]["posting_allowed"] is False
    assert accounts["replybot"]["blocked_by"] == "llm_not_approved_on_x"
    assert accounts["helper"]["platform"] == "mastodon"
    assert accounts["helper"]["posting_allowed"] is True


def test_ready_details_need_the_admin_token(xbot_env: dict[str, str], start_xbot: Any) -> None:
    worker = start_xbot(["worker"], xbot_env)
    details = worker.wait_ready()
    assert {"worker_id", "database", "accounts", "sha_source"} <= set(details)
    status, public = http_get(worker.port, "/ready")
    assert status == 200
    assert set(public) == {"ready", "role", "git_sha", "posting_allowed", "reasons"}
    assert http_get(worker.port, "/ready", token="not-the-token")[0] == 401
    assert worker.stop() == 0


def test_without_an_admin_token_ready_never_serves_details(
    xbot_env: dict[str, str], start_xbot: Any
) -> None:
    del xbot_env["XBOT_ADMIN_TOKEN"]
    worker = start_xbot(["worker"], xbot_env)
    public = worker.wait_ready()
    assert set(public) == {"ready", "role", "git_sha", "posting_allowed", "reasons"}
    status, refusal = http_get(worker.port, "/ready", token="acceptance-admin-token")
    assert status == 403
    assert "XBOT_ADMIN_TOKEN" in refusal["error"]
    assert worker.stop() == 0
