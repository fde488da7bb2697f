"""`xbot status` and the console's absence without a token, as real subprocesses."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from acceptance.conftest import XBOT, http_get, run_xbot


def test_status_prints_the_overview_as_text_and_json(
    xbot_env: dict[str, str], tmp_path: Path
) -> None:
    assert run_xbot(["migrate"], xbot_env, tmp_path).returncode == 0
    assert run_xbot(["pause", "--by", "carol"], xbot_env, tmp_path).returncode == 0
    done = run_xbot(["status", "--json"], xbot_env, tmp_path)
    assert done.returncode == 0, done.stderr
    overview = json.loads(done.stdout)
    assert overview["verdict"] == "NOT OPERATIONAL"
    assert overview["blocker"]["key"] == "A"
    assert overview["kill_switch"]["on"] is True
    assert overview["kill_switch"]["by"] == "carol"
    text = run_xbot(["status"], xbot_env, tmp_path)
    assert text.returncode == 0, text.stderr
    assert "NOT OPERATIONAL" in text.stdout
    assert "kill switch ON by carol" in text.stdout


def test_status_watch_refreshes_until_interrupted(xbot_env: dict[str, str], tmp_path: Path) -> None:
    assert run_xbot(["migrate"], xbot_env, tmp_path).returncode == 0
    process = subprocess.Popen(
        [XBOT, "status", "--watch", "--interval", "0.5"], env=xbot_env, cwd=tmp_path,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        out, err = process.communicate(timeout=8)  # boot and a few refreshes, then Ctrl-C
    except subprocess.TimeoutExpired:
        process.send_signal(2)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "verdict" in out


def test_status_on_an_unreachable_database_is_one_line(
    xbot_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**xbot_env, "XBOT_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    done = run_xbot(["status"], env, tmp_path)
    assert done.returncode == 3
    assert len(done.stderr.strip().splitlines()) == 1
    assert done.stderr.startswith("error: ")


def test_without_a_token_the_console_answers_404_and_boot_says_how_to_enable_it(
    xbot_env: dict[str, str], start_xbot: Any
) -> None:
    env = {key: value for key, value in xbot_env.items() if key != "XBOT_ADMIN_TOKEN"}
    web = start_xbot(["web"], env)
    web.wait_ready()
    assert http_get(web.port, "/console")[0] == 404
    assert http_get(web.port, "/api/v1/overview")[0] == 404
    assert http_get(web.port, "/health") == (200, {"status": "ok"})
    lines = [line for line in web.stderr().splitlines() if "console_not_served" in line]
    assert len(lines) == 1
    assert "XBOT_ADMIN_TOKEN" in lines[0]


def test_with_a_token_web_serves_the_console_on_the_health_port(
    xbot_env: dict[str, str], start_xbot: Any
) -> None:
    web = start_xbot(["web"], xbot_env)
    web.wait_ready()
    status, overview = http_get(web.port, "/api/v1/overview", token=xbot_env["XBOT_ADMIN_TOKEN"])
    assert status == 200
    assert overview["kill_switch"]["on"] is False
    assert http_get(web.port, "/api/v1/overview")[0] == 401
