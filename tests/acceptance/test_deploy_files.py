"""The container and PaaS files: parsed, every command they name accepted by the CLI, and the
container's entry sequence (migrate, worker, health check) run from the built wheel.

There is no Docker daemon here, so the image itself is not built; what it runs is.
"""

from __future__ import annotations

import json
import re
import shlex
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from acceptance.conftest import free_port, http_get, wait_for
from acceptance.installed import ROOT, Installed
from cli_invocations import invocation_problem

DEPLOY = ROOT / "deploy"


def dockerfile_instructions() -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    lines = (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
    joined = re.sub(r"\\\n\s*", " ", "\n".join(line for line in lines if not line.startswith("#")))
    found = []
    for line in joined.splitlines():
        if line.strip():
            instruction, _, arguments = line.strip().partition(" ")
            found.append((instruction.upper(), arguments.strip()))
    return found


def dockerfile(instruction: str) -> list[str]:
    return [arguments for name, arguments in dockerfile_instructions() if name == instruction]


def healthcheck_command() -> list[str]:
    """The exec-form command of the Dockerfile's HEALTHCHECK."""
    (healthcheck,) = dockerfile("HEALTHCHECK")
    return list(json.loads(healthcheck.split(" CMD ", 1)[1]))


def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8")))


def render() -> dict[str, Any]:
    return dict(yaml.safe_load((DEPLOY / "render.yaml").read_text(encoding="utf-8")))


def railway() -> dict[str, Any]:
    return dict(json.loads((DEPLOY / "railway.json").read_text(encoding="utf-8")))


def procfile() -> dict[str, str]:
    lines = (DEPLOY / "Procfile").read_text(encoding="utf-8").splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def systemd_commands() -> list[tuple[str, str]]:
    found = []
    for unit in sorted((DEPLOY / "systemd").glob("*.service")):
        for line in unit.read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition("=")
            if key in {"ExecStart", "ExecStartPre", "ExecStop"}:
                found.append((f"{unit.name} {key}", value))
    return found


def every_command() -> list[tuple[str, list[str]]]:
    """(where, argv) for every xbot command the deploy files run."""
    found: list[tuple[str, list[str]]] = [("Dockerfile CMD", json.loads(dockerfile("CMD")[0]))]
    for name, service in compose()["services"].items():
        if "command" in service:
            found.append((f"compose {name}", list(service["command"])))
    found += [(f"Procfile {name}", shlex.split(line)) for name, line in procfile().items()]
    deploy = railway()["deploy"]
    found.append(("railway startCommand", shlex.split(deploy["startCommand"])))
    found += [
        ("railway preDeployCommand", shlex.split(line)) for line in deploy["preDeployCommand"]
    ]
    for service in render()["services"]:
        for key in ("dockerCommand", "startCommand", "preDeployCommand"):
            if key in service:
                found.append((f"render {service['name']} {key}", shlex.split(service[key])))
    found += [(where, shlex.split(line)) for where, line in systemd_commands()]
    return found


def test_every_command_the_deploy_files_run_is_accepted_by_the_cli() -> None:
    commands = every_command()
    assert len(commands) >= 12
    problems = [f"{where}: {invocation_problem(argv)}" for where, argv in commands]
    assert [problem for problem in problems if not problem.endswith(": None")] == []


def test_the_checker_catches_a_wrong_command_or_flag() -> None:
    assert invocation_problem(["xbot", "wroker"]) == "xbot has no command 'wroker'"
    assert "No such option: --forever" in str(invocation_problem(["xbot", "worker", "--forever"]))
    assert "Missing option '--sha'" in str(invocation_problem(["xbot", "deploy", "mark"]))


def test_the_dockerfile_is_multi_stage_slim_non_root_and_installs_the_wheel() -> None:
    bases = dockerfile("FROM")
    assert len(bases) >= 2
    assert all("-slim" in base for base in bases), bases
    assert "AS build" in bases[0]
    (user,) = dockerfile("USER")
    assert user not in {"root", "0"}
    assert any("XBOT_GIT_SHA" in arg for arg in dockerfile("ARG"))
    assert any("XBOT_GIT_SHA=${XBOT_GIT_SHA}" in env for env in dockerfile("ENV"))
    assert any("python -m build --wheel" in run for run in dockerfile("RUN"))
    assert any("pip install /tmp/*.whl" in run for run in dockerfile("RUN"))
    assert dockerfile("EXPOSE") == ["${PORT}"]
    assert any("/health" in part for part in healthcheck_command())


def test_compose_runs_postgres_a_one_shot_migrate_two_workers_and_the_console() -> None:
    services = compose()["services"]
    assert set(services) == {"postgres", "migrate", "worker", "web"}
    assert services["migrate"]["command"] == ["xbot", "migrate"]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["worker"]["deploy"]["replicas"] == 2
    for role in ("worker", "web"):
        assert services[role]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
        assert services[role]["healthcheck"]["test"] == ["CMD", *healthcheck_command()]
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]
    assert "postgres-data" in compose()["volumes"]
    assert services["postgres"]["volumes"] == ["postgres-data:/var/lib/postgresql/data"]


def test_the_paas_files_check_health_and_migrate_before_deploying() -> None:
    deploy = railway()["deploy"]
    assert deploy["healthcheckPath"] == "/health"
    assert deploy["preDeployCommand"] == ["xbot migrate"]
    services = {service["name"]: service for service in render()["services"]}
    assert services["xbot-web"]["healthCheckPath"] == "/health"
    assert services["xbot-worker"]["preDeployCommand"] == "xbot migrate"
    assert procfile()["release"] == "xbot migrate"
    units = dict(systemd_commands())
    assert units["xbot-migrate.service ExecStart"].endswith("xbot migrate")
    assert (DEPLOY / "systemd" / "xbot-worker@.service").read_text(encoding="utf-8").count(
        "Requires=xbot-migrate.service"
    ) == 1


@pytest.mark.slow
def test_the_containers_entry_sequence_runs_from_the_built_wheel(
    installed: Installed, xbot_env: dict[str, str], empty_postgres_url: str, tmp_path: Path
) -> None:
    """compose's migrate, then its worker command, then the image's HEALTHCHECK, from the wheel."""
    services = compose()["services"]
    env = installed.env(xbot_env)
    env.update(XBOT_DATABASE_URL=empty_postgres_url, PORT=str(free_port()))
    health = [str(installed.bin / "python"), *healthcheck_command()[1:]]
    assert healthcheck_command()[0] == "python"
    before = subprocess.run(health, env=env, capture_output=True, timeout=30, check=False)
    assert before.returncode != 0  # nothing listens yet: the check can fail

    migrate = [str(installed.bin / "xbot"), *services["migrate"]["command"][1:]]
    migrated = subprocess.run(
        migrate, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert migrated.returncode == 0, migrated.stderr
    assert migrated.stdout.startswith("schema at ")

    worker = subprocess.Popen(
        [str(installed.bin / "xbot"), *services["worker"]["command"][1:]],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = int(env["PORT"])
        # generous limits: on a loaded machine the boot takes seconds (test_worker.py holds the
        # worker to its timings)
        wait_for(lambda: http_get(port, "/health")[0] == 200, timeout=60)
        checked = subprocess.run(health, env=env, capture_output=True, timeout=60, check=False)
        assert checked.returncode == 0, checked.stderr
        wait_for(lambda: http_get(port, "/ready")[0] == 200, timeout=120)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(60) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.communicate(timeout=10)
