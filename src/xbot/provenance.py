"""Which git SHA is running, and who said so (DESIGN §13: the seed compared a value with itself)."""

from __future__ import annotations

import importlib
import subprocess
from dataclasses import dataclass
from pathlib import Path

from xbot.config import sha_from_environment

UNKNOWN = "unknown"
BUILD_INFO_MODULE = "xbot._build_info"


@dataclass(frozen=True, kw_only=True, slots=True)
class Provenance:
    """The running SHA and the source that answered."""

    git_sha: str
    sha_source: str


def running_sha(repository: Path | None = None, configured: str = "") -> Provenance:
    """Return the SHA from, in order: deploy variables, xbot.toml, build info, `git rev-parse`."""
    from_environment = sha_from_environment()
    if from_environment is not None:
        sha, variable = from_environment
        return Provenance(git_sha=sha, sha_source=f"env:{variable}")
    if configured.strip():
        return Provenance(git_sha=configured.strip(), sha_source="config")
    built = _build_info_sha()
    if built:
        return Provenance(git_sha=built, sha_source="build_info")
    from_git = _git_sha(repository or Path(__file__).resolve().parent)
    if from_git:
        return Provenance(git_sha=from_git, sha_source="git")
    return Provenance(git_sha=UNKNOWN, sha_source="none")


def _build_info_sha() -> str:
    try:
        module = importlib.import_module(BUILD_INFO_MODULE)
    except ImportError:
        return ""
    return str(getattr(module, "GIT_SHA", "")).strip()


def _git_sha(directory: Path) -> str:
    return git_commit("HEAD", directory)


def git_commit(revision: str, directory: Path) -> str:
    """Return the full SHA `git rev-parse` gives for `revision` in `directory`, or ""."""
    try:
        result = subprocess.run(  # noqa: S603 - callers pass HEAD or validated hex digits
            # git from PATH is the point
            ["git", "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"],  # noqa: S607
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""
