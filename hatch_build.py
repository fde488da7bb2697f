"""Bake the git SHA into wheels as xbot/_build_info.py, the build-info source of SHA provenance.

Editable installs skip it: there `git rev-parse HEAD` answers at run time.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class BuildInfoHook(BuildHookInterface):  # type: ignore[misc]
    """Writes the build-info file before a wheel is built."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Write the SHA of the checkout being built, if it is one."""
        if version == "editable":
            return
        sha = _git_sha(Path(self.root))
        if not sha:
            return
        # outside the source tree: a stale copy there would shadow `git rev-parse` in development
        path = Path(tempfile.mkdtemp(prefix="xbot-build-")) / "_build_info.py"
        path.write_text(f'"""Written at build time."""\n\nGIT_SHA = {sha!r}\n', encoding="utf-8")
        build_data["force_include"][str(path)] = "xbot/_build_info.py"


def _git_sha(root: Path) -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],  # noqa: S607 - git from PATH is the point
            cwd=root, capture_output=True, text=True, timeout=10, check=False,
        )  # fmt: skip
    except OSError:
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""
