"""Every bad configuration value: exit non-zero, one line naming key and source, nothing lost.

The whole table runs in-process through Typer's CliRunner (`xbot config show`); the issue's cases
run again as real subprocesses, and a few through `xbot run --once` and `xbot worker`, against a
database holding rows, whose bytes must not change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

import pytest
from typer.testing import CliRunner

from acceptance.config_cases import CASES, CONFIG, SERVING_CASES, Case
from acceptance.conftest import free_port, http_get, run_xbot, wait_for
from xbot.cli import app
from xbot.config import Settings
from xbot.config_errors import field_paths


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database with a deployment and a kill switch in it."""
    folder = tmp_path_factory.mktemp("stored")
    (folder / "xbot.toml").touch()
    env = _clean_env(folder, folder / "xbot.db")
    for args in (["migrate"], ["deploy", "mark", "--sha", "abc1234"], ["pause", "--by", "test"]):
        done = run_xbot(args, env, folder)
        assert done.returncode == 0, done.stderr
    return folder / "xbot.db"


def _clean_env(folder: Path, database: Path) -> dict[str, str]:
    import os

    env = {name: value for name, value in os.environ.items() if not name.startswith("XBOT_")}
    env.pop("PORT", None)
    env.update(
        {
            "XBOT_CONFIG": str(folder / "xbot.toml"),
            "XBOT_DATABASE_URL": f"sqlite:///{database}",
            "XBOT_HOST": "127.0.0.1",
            "PORT": str(free_port()),
        }
    )
    return env


def checksum(database: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(database.parent.glob(database.name + "*")):  # the file, -wal, -shm
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def prepare(case: Case, folder: Path, base: Mapping[str, str]) -> tuple[dict[str, str], Path]:
    """Write the case's xbot.toml; return its environment and the config path it names."""
    config = folder / "xbot.toml"
    config.write_text(case.toml, encoding="utf-8")
    env = {**base, "XBOT_CONFIG": str(config)}
    env.update({name: value.replace("{tmp}", str(folder)) for name, value in case.env.items()})
    return env, Path(env["XBOT_CONFIG"])


def assert_one_line(case: Case, stderr: str, config: Path) -> str:
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    line = lines[0]
    assert line.startswith("error: ")
    for text in case.named:
        assert text.replace(CONFIG, str(config)) in line, (text, line)
    return line


def test_every_settings_field_has_a_row() -> None:
    covered = {case.key for case in CASES}
    missing = sorted(set(field_paths(Settings)) - covered)
    assert not missing, f"add a row to acceptance/config_cases.py for: {missing}"


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_bad_value_in_process(case: Case, tmp_path: Path, stored: Path) -> None:
    before = checksum(stored)
    env, config = prepare(case, tmp_path, {"XBOT_DATABASE_URL": f"sqlite:///{stored}"})
    result = CliRunner().invoke(app, ["config", "show"], env=env)
    assert result.exit_code != 0, result.stdout
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    assert_one_line(case, result.stderr, config)
    assert checksum(stored) == before


@pytest.mark.parametrize("case", [case for case in CASES if case.process], ids=lambda c: c.id)
def test_bad_value_as_subprocess(case: Case, tmp_path: Path, stored: Path) -> None:
    before = checksum(stored)
    env, config = prepare(case, tmp_path, _clean_env(tmp_path, stored))
    done = run_xbot(["config", "show"], env, tmp_path)
    assert done.returncode == 1
    assert done.stdout == ""
    assert_one_line(case, done.stderr, config)
    assert checksum(stored) == before


@pytest.mark.parametrize(
    ("label", "command"),
    [
        ("duplicate_accounts", ["run", "--once"]),
        ("env:XBOT_ENABLED_JOBS=['nope']", ["run", "--once"]),
        ("file:accounts.budgets.min_gap_seconds=inf", ["worker"]),
        ("env:PORT=99999", ["worker"]),
        ("config_missing", ["worker"]),
        ("deploy_sha_variable", ["run", "--once"]),
    ],
)
def test_serving_commands_refuse_before_touching_the_database(
    label: str, command: list[str], tmp_path: Path, stored: Path
) -> None:
    (case,) = [case for case in CASES + SERVING_CASES if case.id == label]
    before = checksum(stored)
    env, config = prepare(case, tmp_path, _clean_env(tmp_path, stored))
    done = run_xbot(command, env, tmp_path)
    assert done.returncode == 1
    assert_one_line(case, done.stderr, config)
    assert checksum(stored) == before


def test_health_listens_where_xbot_toml_says(tmp_path: Path, start_xbot: object) -> None:
    port = free_port()
    env = _clean_env(tmp_path, tmp_path / "own.db")
    del env["PORT"], env["XBOT_HOST"]
    (tmp_path / "xbot.toml").write_text(f'host = "127.0.0.1"\nport = {port}\n', encoding="utf-8")
    worker = start_xbot(["worker"], env)  # type: ignore[operator]
    assert wait_for(lambda: http_get(port, "/health")[0] == 200, timeout=10)
    announced = f"[HEALTH] listening on 127.0.0.1:{port}"
    assert wait_for(lambda: announced in worker.stderr(), timeout=10)


def test_a_variable_beats_xbot_toml_for_the_health_port(tmp_path: Path, start_xbot: object) -> None:
    file_port, variable_port = free_port(), free_port()
    env = _clean_env(tmp_path, tmp_path / "own.db")
    env["PORT"] = str(variable_port)
    del env["XBOT_HOST"]
    (tmp_path / "xbot.toml").write_text(
        f'host = "127.0.0.1"\nport = {file_port}\n', encoding="utf-8"
    )
    start_xbot(["worker"], env)  # type: ignore[operator]
    assert wait_for(lambda: http_get(variable_port, "/health")[0] == 200, timeout=10)


def test_a_bad_option_is_blamed_on_the_option(xbot_env: dict[str, str], tmp_path: Path) -> None:
    done = run_xbot(["demo", "--database-url", "nonsense"], xbot_env, tmp_path)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.splitlines()
    assert "'database_url' in the command's options" in line


def snapshot(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, in a stable order."""
    from sqlalchemy import MetaData, create_engine, select

    engine = create_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            return {
                name: sorted(map(tuple, connection.execute(select(table))), key=repr)
                for name, table in metadata.tables.items()
            }
    finally:
        engine.dispose()


@pytest.mark.parametrize("label", ["duplicate_accounts", "env:XBOT_ENABLED_JOBS=['nope']"])
def test_nothing_stored_changes_on_either_dialect(
    label: str, database_url: str, tmp_path: Path
) -> None:
    env = _clean_env(tmp_path, tmp_path / "unused.db")
    env["XBOT_DATABASE_URL"] = database_url
    (tmp_path / "xbot.toml").touch()
    assert run_xbot(["deploy", "mark", "--sha", "abc1234"], env, tmp_path).returncode == 0
    before = snapshot(database_url)
    assert before["deployments"]
    (case,) = [case for case in CASES if case.id == label]
    env, config = prepare(case, tmp_path, env)
    done = run_xbot(["run", "--once"], env, tmp_path)
    assert done.returncode == 1
    assert_one_line(case, done.stderr, config)
    assert snapshot(database_url) == before
