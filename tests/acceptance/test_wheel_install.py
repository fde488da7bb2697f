"""The built wheel in a clean venv, no extras: `--version`, the three demos and `sim serve`.

These are what a new operator runs first after `pip install xbot`; each must work without the
dev dependencies and without this checkout on the path.
"""

from __future__ import annotations

import json
import signal
import subprocess
import urllib.request
from pathlib import Path

import pytest

from acceptance.installed import ROOT, Installed

pytestmark = pytest.mark.slow


def test_the_venv_holds_the_wheel_and_no_dev_package(installed: Installed, tmp_path: Path) -> None:
    probe = "import importlib.util as u, xbot; print(xbot.__file__, u.find_spec('pytest'))"
    done = subprocess.run(
        [str(installed.bin / "python"), "-c", probe],
        env=installed.env({"PATH": "/usr/bin:/bin"}),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    where, pytest_spec = done.stdout.split()
    assert where.startswith(str(installed.bin.parent)), where
    assert pytest_spec == "None"


def test_version_names_the_release_and_the_sha_baked_into_the_wheel(
    installed: Installed, xbot_env: dict[str, str], tmp_path: Path
) -> None:
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    done = installed.run(["--version"], xbot_env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"xbot 0.1.0 (git {head[:12]}, from build_info)\n"


@pytest.mark.parametrize("platform", ["x", "bluesky", "mastodon"])
def test_the_demo_is_operational_on_every_platform(
    installed: Installed, xbot_env: dict[str, str], tmp_path: Path, platform: str
) -> None:
    args = ["demo", "--seconds", "20", "--platform", platform]
    done = installed.run(args, xbot_env, tmp_path, timeout=240)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"xbot demo on fake {platform}" in done.stdout
    assert "**Status**: ✅ **OPERATIONAL**" in done.stdout


def test_sim_serve_prints_json_and_serves_until_sigterm(
    installed: Installed, xbot_env: dict[str, str], tmp_path: Path
) -> None:
    process = subprocess.Popen(
        [installed.xbot, "sim", "serve", "--json", "--traffic", "0"],
        env=installed.env(xbot_env),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        description = json.loads(process.stdout.readline())
        assert set(description["fakes"]) >= {"x", "bluesky", "mastodon", "openai"}
        for name in ("x", "bluesky", "mastodon"):
            url = description["fakes"][name]["admin_url"] + "/requests"
            with urllib.request.urlopen(url, timeout=10) as answer:
                assert answer.status == 200, url
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0, process.stderr.read() if process.stderr else ""
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)
