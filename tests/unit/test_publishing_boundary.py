"""One module publishes: nothing but the post job calls publish_reply or names a write endpoint.

The import-linter contract keeps every layer but the composition root away from the platform
adapters; this test reads the source itself, so a call through the Platform protocol, or a raw
HTTP call to a write endpoint, anywhere else fails the build.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "xbot"
PUBLISHER = PACKAGE / "jobs" / "post.py"
#: the adapters implement the write; the fakes serve it
ADAPTERS = (PACKAGE / "platforms", PACKAGE / "sim")
WRITE_METHOD = "publish_reply"
#: X create post, Bluesky create record, Mastodon create status
WRITE_ENDPOINTS = ("/2/tweets", "com.atproto.repo.createRecord", "/api/v1/statuses")


def _docstrings(tree: ast.AST) -> set[int]:
    """Return ids of string nodes that are bare expressions (docstrings, comments-as-strings)."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }


def publish_calls(source: str) -> list[int]:
    """Return the lines that call publish_reply, directly or through getattr."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    lines = {
        node.lineno
        for node in ast.walk(tree)
        if (isinstance(node, ast.Attribute) and node.attr == WRITE_METHOD)
        or (
            isinstance(node, ast.Constant)
            and node.value == WRITE_METHOD
            and id(node) not in docstrings
        )
    }
    return sorted(lines)


def endpoint_mentions(source: str) -> list[int]:
    """Return the lines whose string literals name a platform write endpoint."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    return sorted(
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and any(endpoint in node.value for endpoint in WRITE_ENDPOINTS)
    )


def imports_the_fakes(source: str) -> bool:
    """Return True when a module imports xbot.sim: it names endpoints to script the fakes."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("xbot.sim"):
            return True
        if isinstance(node, ast.Import) and any(
            alias.name.startswith("xbot.sim") for alias in node.names
        ):
            return True
    return False


def _is_adapter(path: Path) -> bool:
    return any(path.is_relative_to(folder) for folder in ADAPTERS)


def _production_modules() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py") if not _is_adapter(path))


def test_only_the_post_job_calls_publish_reply() -> None:
    offenders = {
        str(path.relative_to(ROOT)): lines
        for path in _production_modules()
        if path != PUBLISHER and (lines := publish_calls(path.read_text()))
    }
    assert offenders == {}, "only src/xbot/jobs/post.py may publish"


def test_the_post_job_does_publish() -> None:
    assert publish_calls(PUBLISHER.read_text()), "the scan must see the one real call"


def test_no_module_but_the_adapters_names_a_write_endpoint() -> None:
    # A module that drives the fakes (the demo) names endpoints to inject faults into them.
    offenders = {
        str(path.relative_to(ROOT)): lines
        for path in _production_modules()
        if (lines := endpoint_mentions(source := path.read_text()))
        and not imports_the_fakes(source)
    }
    assert offenders == {}


@pytest.mark.parametrize(
    "source",
    [
        "platform.publish_reply(target, text, idempotency_key=key)",
        "getattr(platform, 'publish_reply')(target, text, key)",
        "send = adapter.publish_reply\nsend(target, text, key)",
    ],
)
def test_the_scan_finds_every_way_to_call(source: str) -> None:
    assert publish_calls(source)


def test_modules_driving_the_fakes_are_recognised() -> None:
    assert imports_the_fakes("from xbot.sim.x.fake import FakeX")
    assert imports_the_fakes("def f():\n    import xbot.sim.core.server")
    assert not imports_the_fakes("from xbot.platforms.x import build_x_platform")


def test_the_scan_ignores_prose() -> None:
    assert publish_calls('"""Only the post job calls publish_reply."""') == []
    assert endpoint_mentions('"""Replies go out by POST /2/tweets."""') == []
    assert endpoint_mentions('client.post("/2/tweets", json=body)') == [1]


def test_the_import_contract_keeps_adapters_behind_the_composition_root() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    guarding = [c for c in contracts if "xbot.platforms" in c.get("forbidden_modules", [])]
    sources = {module for contract in guarding for module in contract["source_modules"]}
    assert {"xbot.jobs", "xbot.web", "xbot.certify", "xbot.store", "xbot.domain"} <= sources
