from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from xbot.domain.errors import ConfigError
from xbot.provenance import running_sha


def test_xbot_git_sha_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_SHA", "b" * 40)
    monkeypatch.setenv("XBOT_GIT_SHA", "a" * 40)
    found = running_sha()
    assert (found.git_sha, found.sha_source) == ("a" * 40, "env:XBOT_GIT_SHA")


@pytest.mark.parametrize(
    "variable",
    [
        "RAILWAY_GIT_COMMIT_SHA",
        "SOURCE_COMMIT",
        "RENDER_GIT_COMMIT",
        "HEROKU_BUILD_COMMIT",
        "GITHUB_SHA",
    ],
)
def test_each_deploy_variable_is_a_source(monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    monkeypatch.setenv(variable, "c0ffee1")
    found = running_sha()
    assert (found.git_sha, found.sha_source) == ("c0ffee1", f"env:{variable}")


def test_order_between_deploy_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_SHA", "2222222")
    monkeypatch.setenv("RAILWAY_GIT_COMMIT_SHA", "1111111")
    assert running_sha().sha_source == "env:RAILWAY_GIT_COMMIT_SHA"


def test_build_info_before_git(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("xbot._build_info")
    module.GIT_SHA = "d" * 40  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "xbot._build_info", module)
    found = running_sha()
    assert (found.git_sha, found.sha_source) == ("d" * 40, "build_info")


def test_git_then_unknown(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "xbot._build_info", None)
    repository_root = Path(__file__).resolve().parents[3]
    from_git = running_sha(repository_root)
    assert from_git.sha_source == "git"
    assert len(from_git.git_sha) == 40
    nowhere = running_sha(tmp_path)
    assert (nowhere.git_sha, nowhere.sha_source) == ("unknown", "none")


@pytest.mark.parametrize("value", ["a" * 5000, "not-a-sha", "abc"])
def test_a_deploy_variable_that_is_no_sha_is_refused(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("RAILWAY_GIT_COMMIT_SHA", value)
    with pytest.raises(ConfigError, match="RAILWAY_GIT_COMMIT_SHA is not a git SHA") as caught:
        running_sha()
    assert value not in str(caught.value)
