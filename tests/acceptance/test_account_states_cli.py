"""Per-account state on /ready and in the watchdog; `xbot run --once` fails on a failed job."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from acceptance.conftest import ADMIN_TOKEN, XBOT, http_get, run_xbot, wait_for


def quiet_now() -> str:
    """Quiet hours from one hour ago to two hours ahead, in UTC."""
    now = datetime.now(UTC)
    return f"{now - timedelta(hours=1):%H:%M}-{now + timedelta(hours=2):%H:%M}"


def error_lines(stderr: str) -> list[str]:
    """The lines meant for the operator (the rest of stderr is the JSON log)."""
    return [line for line in stderr.splitlines() if not line.startswith(("{", "[HEALTH]"))]


def write_config(tmp_path: Path, text: str) -> None:
    (tmp_path / "xbot.toml").write_text(text, encoding="utf-8")


TWO_ACCOUNTS = (
    'enabled_jobs = ["probe"]\n\n'
    "[x]\nautomated_label_attested = true\n\n"
    '[[accounts]]\nplatform = "x"\nhandle = "replybot"\n\n'
    '[accounts.budgets]\nquiet_hours = "{quiet}"\n\n'
    '[[accounts]]\nplatform = "mastodon"\nhandle = "helper"\nbase_url = "https://example.social"\n'
)


def test_ready_lists_each_accounts_state_and_posting_allowed(
    xbot_env: dict[str, str], start_xbot: Any, tmp_path: Path
) -> None:
    write_config(tmp_path, TWO_ACCOUNTS.format(quiet=quiet_now()))
    xbot_env["XBOT_POLL_INTERVAL"] = "0.2"
    worker = start_xbot(["worker"], xbot_env)
    ready = worker.wait_ready()
    accounts = {item["account"]: item for item in ready["accounts"]}
    held = accounts["x:replybot"]
    assert (held["state"], held["reason"], held["posting_allowed"]) == (
        "held",
        "quiet_hours",
        False,
    )
    assert datetime.fromisoformat(held["until"]) > datetime.now(UTC)
    assert accounts["mastodon:helper"]["state"] == "posting"
    assert accounts["mastodon:helper"]["posting_allowed"] is True
    assert ready["posting_allowed"] is True  # one account can post

    assert run_xbot(["pause", "--by", "alice"], xbot_env, tmp_path).returncode == 0

    def paused() -> dict[str, Any] | None:
        body = http_get(worker.port, "/ready", token=ADMIN_TOKEN)[1]
        states = {item["account"]: item for item in body["accounts"]}
        return body if states["mastodon:helper"]["state"] == "blocked" else None

    body = wait_for(paused, timeout=5)
    assert body["posting_allowed"] is False
    helper = {item["account"]: item for item in body["accounts"]}["mastodon:helper"]
    assert helper["reason"] == "kill_switch"
    assert helper["since"] is not None
    assert helper["detail"].endswith("set by alice")


def test_no_account_able_to_post_turns_posting_allowed_off(
    xbot_env: dict[str, str], start_xbot: Any, tmp_path: Path
) -> None:
    write_config(
        tmp_path,
        'enabled_jobs = ["probe"]\n\n'
        "[x]\nautomated_label_attested = true\n\n"
        '[[accounts]]\nplatform = "x"\nhandle = "replybot"\n\n'
        f'[accounts.budgets]\nquiet_hours = "{quiet_now()}"\n',
    )
    xbot_env["XBOT_POLL_INTERVAL"] = "0.2"
    worker = start_xbot(["worker"], xbot_env)
    ready = worker.wait_ready()
    assert ready["posting_allowed"] is False
    assert ready["reasons"] == ["no_account_posting", "deploy_unmarked"]  # the latter a note

    def report() -> Any:
        with sqlite3.connect(tmp_path / "xbot.db") as connection:
            return connection.execute(
                "SELECT event_data FROM system_events "
                "WHERE event_type = 'production_watchdog_report' LIMIT 1"
            ).fetchone()

    data = json.loads(wait_for(report, timeout=10)[0])
    assert [(item["account"], item["state"]) for item in data["accounts"]] == [
        ("x:replybot", "held")
    ]


def test_run_once_with_an_unset_credential_variable_exits_1_with_one_line(
    xbot_env: dict[str, str], tmp_path: Path
) -> None:
    write_config(
        tmp_path,
        'enabled_jobs = ["fetch"]\n\n'
        '[[accounts]]\nplatform = "mastodon"\nhandle = "helper"\n'
        'base_url = "https://example.social"\n\n'
        '[accounts.credentials]\naccess_token = "HELPER_TOKEN_NOT_SET"\n',
    )
    done = run_xbot(["run", "--once"], xbot_env, tmp_path)
    assert done.returncode == 1
    (line,) = error_lines(done.stderr)
    assert line.startswith("error: job fetch for mastodon:helper failed: ConfigError: ")
    assert "HELPER_TOKEN_NOT_SET" in line


@pytest.fixture
def sim(xbot_env: dict[str, str], tmp_path: Path) -> Iterator[dict[str, Any]]:
    process = subprocess.Popen(
        [XBOT, "sim", "serve", "--json", "--seed", "3", "--speed", "0", "--traffic", "0"],
        env=xbot_env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    yield json.loads(process.stdout.readline())
    process.terminate()
    process.communicate(timeout=15)


def test_run_once_against_a_fake_refusing_the_credentials_exits_1(
    sim: dict[str, Any], xbot_env: dict[str, str], tmp_path: Path
) -> None:
    (account,) = [item for item in sim["accounts"] if item["platform"] == "x"]
    credentials = "".join(
        f'{name} = "{variable}"\n' for name, variable in account["credentials"].items()
    )
    write_config(
        tmp_path,
        'enabled_jobs = ["fetch"]\n\n'
        f'[[accounts]]\nplatform = "x"\nhandle = "{account["handle"]}"\n'
        f'base_url = "{account["base_url"]}"\n\n[accounts.credentials]\n{credentials}',
    )
    xbot_env.update(dict.fromkeys(sim["env"], "refused"))
    done = run_xbot(["run", "--once"], xbot_env, tmp_path)
    assert done.returncode == 1
    (line,) = error_lines(done.stderr)
    assert line.startswith(f"error: job fetch for x:{account['handle']} failed: AuthFailed: ")
    assert "refused" not in line  # the secret value never shows
