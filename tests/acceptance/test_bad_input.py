"""Bad input ends in one clear line, a non-zero exit, and nothing lost."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from acceptance.conftest import run_xbot


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line and "[HEALTH] listening" not in line]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("XBOT_POLL_INTERVAL", "soon", "XBOT_POLL_INTERVAL"),
        ("XBOT_ROLE", "boss", "XBOT_ROLE"),
        ("PORT", "http", "PORT"),
    ],
)
def test_invalid_config_value(
    xbot_env: dict[str, str], tmp_path: Path, variable: str, value: str, named: str
) -> None:
    xbot_env[variable] = value
    done = run_xbot(["worker"], xbot_env, tmp_path)
    assert done.returncode == 1
    line = one_line(done.stderr)
    assert line.startswith("error: ")
    assert named in line


def test_unreachable_database_exits_3(xbot_env: dict[str, str], tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    xbot_env["XBOT_DATABASE_URL"] = f"postgresql://postgres:s3cret@127.0.0.1:{dead_port}/x"
    done = run_xbot(["worker"], xbot_env, tmp_path)
    assert done.returncode == 3
    line = one_line(done.stderr)
    assert "cannot be reached" in line
    assert "XBOT_DATABASE_URL" in line
    assert "s3cret" not in done.stderr


def test_port_in_use(xbot_env: dict[str, str], tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", int(xbot_env["PORT"])))
        taken.listen()
        done = run_xbot(["worker"], xbot_env, tmp_path)
    assert done.returncode == 1
    line = one_line(done.stderr)
    assert "already in use" in line
    assert xbot_env["PORT"] in line


def test_bad_deploy_sha_keeps_what_is_stored(xbot_env: dict[str, str], tmp_path: Path) -> None:
    assert run_xbot(["migrate"], xbot_env, tmp_path).returncode == 0
    assert run_xbot(["deploy", "mark", "--sha", "abc1234"], xbot_env, tmp_path).returncode == 0
    bad = run_xbot(["deploy", "mark", "--sha", "not a sha; drop table"], xbot_env, tmp_path)
    assert bad.returncode == 1
    assert "git SHA" in one_line(bad.stderr)
    import sqlite3

    with sqlite3.connect(tmp_path / "xbot.db") as connection:
        assert connection.execute("SELECT sha FROM deployments").fetchall() == [("abc1234",)]


def test_config_show_redacts(xbot_env: dict[str, str], tmp_path: Path) -> None:
    xbot_env["XBOT_DATABASE_URL"] = "postgresql://bot:hunter2@db.internal:5432/xbot"
    done = run_xbot(["config", "show"], xbot_env, tmp_path)
    assert done.returncode == 0
    assert "hunter2" not in done.stdout
    assert "bot:***@db.internal" in done.stdout


def test_unknown_command_is_an_error(xbot_env: dict[str, str], tmp_path: Path) -> Any:
    done = run_xbot(["frobnicate"], xbot_env, tmp_path)
    assert done.returncode == 2
    assert "No such command" in done.stderr
