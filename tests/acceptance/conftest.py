"""Run the real `xbot` command as a subprocess, the way an operator or a platform does."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text

from acceptance.installed import Installed, build_and_install, shared_directory
from dbsupport import POSTGRES_URL

XBOT = str(Path(sys.executable).with_name("xbot"))
#: every subprocess gets it, so tests can read /ready's details (tests unset it to check that)
ADMIN_TOKEN = "acceptance-admin-token"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def http_get(
    port: int, path: str, timeout: float = 2.0, token: str | None = None
) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def wait_for(predicate: Any, timeout: float, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except (OSError, urllib.error.URLError):
            value = None
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {predicate}")


class XbotProcess:
    """One `xbot` subprocess with its port, environment and captured stderr."""

    def __init__(self, args: list[str], env: Mapping[str, str], cwd: Path) -> None:
        self.port = int(env.get("PORT", "0"))
        self.admin_token = env.get("XBOT_ADMIN_TOKEN")
        self.stderr_path = cwd / f"stderr-{time.monotonic_ns()}.log"
        self._stderr = self.stderr_path.open("wb")
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [XBOT, *args], env=dict(env), cwd=cwd, stdout=subprocess.DEVNULL, stderr=self._stderr
        )

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def health(self, path: str = "/health") -> tuple[int, dict[str, Any]]:
        return http_get(self.port, path, token=self.admin_token)

    def wait_ready(self, timeout: float = 20.0) -> dict[str, Any]:
        def ready() -> dict[str, Any] | None:
            status, body = self.health("/ready")
            return body if status == 200 else None

        try:
            return dict(wait_for(ready, timeout))
        except AssertionError:
            raise AssertionError(f"not ready; stderr:\n{self.stderr()}") from None

    def stop(self, sig: int = 15, timeout: float = 15.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        finally:
            self.close()

    def close(self) -> None:
        if not self._stderr.closed:
            self._stderr.close()


@pytest.fixture
def xbot_env(tmp_path: Path) -> dict[str, str]:
    """A clean environment for the subprocess: no XBOT_* from the caller, a free port.

    XBOT_CONFIG names an empty xbot.toml, which a test may overwrite.
    """
    (tmp_path / "xbot.toml").touch()
    env = {key: value for key, value in os.environ.items() if not key.startswith("XBOT_")}
    env.pop("PORT", None)
    env.update(
        {
            "PORT": str(free_port()),
            "XBOT_HOST": "127.0.0.1",
            "XBOT_CONFIG": str(tmp_path / "xbot.toml"),
            "XBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'xbot.db'}",
            # saved platform sessions are encrypted: a worker with a Bluesky account needs a key
            "XBOT_SECRET_KEY": Fernet.generate_key().decode(),
            "XBOT_ADMIN_TOKEN": ADMIN_TOKEN,
        }
    )
    return env


@pytest.fixture
def start_xbot(tmp_path: Path) -> Iterator[Any]:
    """Start `xbot ARGS` with an environment; every process is stopped after the test."""
    started: list[XbotProcess] = []

    def start(args: list[str], env: Mapping[str, str]) -> XbotProcess:
        process = XbotProcess(args, env, tmp_path)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.process.poll() is None:
            process.process.kill()
            process.process.wait(10)
        process.close()


def run_xbot(args: list[str], env: Mapping[str, str], cwd: Path, timeout: float = 60) -> Any:
    """Run `xbot ARGS` to completion and return the CompletedProcess."""
    return subprocess.run(
        [XBOT, *args],
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel `python -m build` makes, in a clean venv with no extras (built once a session)."""
    return build_and_install(shared_directory(tmp_path_factory))


@pytest.fixture
def empty_postgres_url(postgres_template: str | None) -> Iterator[str]:
    """A fresh PostgreSQL database with no schema at all."""
    if postgres_template is None:
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_URL}")
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"xbot_empty_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()
