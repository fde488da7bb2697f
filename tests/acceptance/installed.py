"""xbot as a user gets it: the wheel `python -m build` makes, in a fresh venv with no extras.

The venv sees nothing of this checkout: no PYTHONPATH, no dev packages, a working directory
outside the repository. pip uses the package index this machine is configured with (a local
mirror here, PyPI elsewhere). One build per test session and xdist worker, under a lock, so
parallel workers share it.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import venv
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Installed:
    """A venv holding only the built wheel and its runtime dependencies."""

    bin: Path
    wheel: Path

    @property
    def xbot(self) -> str:
        return str(self.bin / "xbot")

    def env(self, base: Mapping[str, str]) -> dict[str, str]:
        """`base` without anything that would make the venv import this checkout."""
        env = {
            key: value for key, value in base.items() if key not in {"PYTHONPATH", "VIRTUAL_ENV"}
        }
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        return env

    def run(
        self, args: list[str], env: Mapping[str, str], cwd: Path, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.xbot, *args],
            env=self.env(env),
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def build_and_install(directory: Path) -> Installed:
    """Build the wheel from this checkout and install it into a new venv under `directory`."""
    done = directory / "installed.txt"
    with (directory / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        installed = Installed(bin=directory / "venv" / "bin", wheel=Path())
        if done.exists():
            return Installed(bin=installed.bin, wheel=Path(done.read_text(encoding="utf-8")))
        dist = directory / "dist"
        _check([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)])
        (wheel,) = dist.glob("xbot-*.whl")
        venv.create(directory / "venv", with_pip=True)
        _check([str(installed.bin / "python"), "-m", "pip", "install", "--quiet", str(wheel)])
        done.write_text(str(wheel), encoding="utf-8")
        return Installed(bin=installed.bin, wheel=wheel)


def _check(command: list[str]) -> None:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    if result.returncode != 0:
        pytest.fail(f"{' '.join(command)} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")


def shared_directory(factory: pytest.TempPathFactory) -> Path:
    """A directory every xdist worker of this session sees (the base temp without xdist)."""
    base = factory.getbasetemp()
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "installed-wheel"
    shared.mkdir(exist_ok=True)
    return shared
