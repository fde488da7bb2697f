"""`xbot certify` read by hand (xbot.cli_certify): the same request as Typer, or Typer's own say."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from xbot import cli_certify
from xbot.certify.command import CertifyRequest
from xbot.cli import app
from xbot.cli_certify import fast_certify, parse_certify_args

GOOD = [
    [],
    ["--json"],
    ["--expect-sha", "abc1234", "--account", "x:bot", "--since", "2h", "--window", "30m"],
    ["--expect-sha=abc1234", "--account=bot", "--since=2026-01-02T03:04:05Z"],
    ["--wait", "10m", "--wait-interval", "0.5", "-o", "report.md", "--json"],
    ["--output", "out/report.json", "--wait-interval=0", "--json", "--wait=1h"],
    ["--account", "bluesky:bot.example.com", "--output=r.md"],
]
#: command lines Typer must judge: help, unknown, repeated or odd flags, missing or odd values
LEFT_TO_TYPER = [
    ["--help"],
    ["--json", "--help"],
    ["-h"],
    ["--bogus"],
    ["--jsn"],
    ["--json=yes"],
    ["--json", "--json"],
    ["--account", "a", "--account", "b"],
    ["--account"],
    ["--account", ""],
    ["--account", "--json"],
    ["--wait-interval", "-1"],
    ["--wait-interval", "soon"],
    ["--wait-interval", "nan"],
    ["-o=report.md"],
    ["-oreport.md"],
    ["positional"],
    ["--", "--json"],
]


def _typer_fields(args: list[str]) -> dict[str, Any]:
    """Return what Typer parses from `xbot certify ARGS`, as CertifyRequest fields."""
    command = get_command(app).commands["certify"]  # type: ignore[attr-defined]
    with command.make_context("certify", list(args)) as context:
        return dict(context.params)


@pytest.mark.parametrize("args", GOOD, ids=" ".join)
def test_a_plain_command_line_reads_as_typer_reads_it(args: list[str]) -> None:
    fields = parse_certify_args(args)
    assert fields is not None
    assert CertifyRequest(**fields) == CertifyRequest(**_typer_fields(args))


@pytest.mark.parametrize("args", LEFT_TO_TYPER, ids=" ".join)
def test_anything_else_is_left_to_typer(args: list[str]) -> None:
    assert parse_certify_args(args) is None
    assert fast_certify(args) is None


def test_an_unreadable_output_file_is_left_to_typer(tmp_path: Path) -> None:
    locked = tmp_path / "report.md"
    locked.write_text("", encoding="utf-8")
    locked.chmod(0)
    if os.access(locked, os.R_OK):  # root reads anything: click accepts it too
        assert parse_certify_args(["-o", str(locked)]) == {"output": locked}
    else:
        assert parse_certify_args(["-o", str(locked)]) is None


@pytest.mark.parametrize("args", GOOD[1:4], ids=" ".join)
def test_both_paths_run_the_same_request(args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[CertifyRequest] = []

    def run(request: CertifyRequest) -> int:
        seen.append(request)
        return 2

    monkeypatch.setattr(cli_certify, "run_certify", run)
    assert fast_certify(args) == 2
    done = CliRunner().invoke(app, ["certify", *args])
    assert done.exit_code == 2, done.output
    fast, typer = seen
    assert dataclasses.asdict(fast) == dataclasses.asdict(typer)


def _xbot(entry: str, args: list[str], tmp_path: Path) -> tuple[int, str, str]:
    program = f"import sys\nsys.argv = ['xbot', *{args!r}]\nfrom {entry} import main\nmain()"
    done = subprocess.run(
        [sys.executable, "-c", program],
        cwd=tmp_path,
        env={**os.environ, "COLUMNS": "100", "XBOT_DATABASE_URL": f"sqlite:///{tmp_path}/no.db"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["certify", "--help"],
        ["certify", "--bogus"],
        ["certify", "--json=yes"],
        ["certify", "--wait-interval", "-1"],
        ["certify", "--account"],
        ["certify", "--json", "extra"],
    ],
    ids=" ".join,
)
def test_the_console_script_says_what_typer_says(args: list[str], tmp_path: Path) -> None:
    """Help and usage errors through the entry point are the Typer app's, byte for byte."""
    code, out, err = _xbot("xbot.entry", args, tmp_path)
    assert (code, out, err) == _xbot("xbot.cli", args, tmp_path)
    if "--help" in args:
        assert (code, err) == (0, "")
        assert "Usage: xbot certify [OPTIONS]" in out
    else:
        assert (code, out) == (2, "")
        assert "Error" in err


def test_a_plain_command_line_ends_as_the_typer_command_does(tmp_path: Path) -> None:
    """No database: exit 3 and one line, on both paths."""
    fast = _xbot("xbot.entry", ["certify", "--json"], tmp_path)
    assert fast == _xbot("xbot.cli", ["certify", "--json"], tmp_path)
    code, out, err = fast
    assert (code, out) == (3, "")
    assert err.startswith("error: there is no SQLite database at ")
    assert err.count("\n") == 1
