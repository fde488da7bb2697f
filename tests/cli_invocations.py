"""Check that a command line written in a deploy file or a doc is one the `xbot` CLI accepts.

Parsed by the real Typer/click command tree, in process and without running anything: an unknown
command, an unknown flag, a missing required option or a bad value all fail the check.
"""

from __future__ import annotations

import shlex
from typing import Any

import typer
from typer.main import get_command

from xbot.cli import app


def invocation_problem(argv: list[str]) -> str | None:
    """Return why `argv` (starting with `xbot`) is not a valid invocation, or None."""
    if not argv or argv[0].rsplit("/", 1)[-1] != "xbot":
        return f"not an xbot command: {argv}"
    found = _leaf(argv)
    if isinstance(found, str):
        return found
    command, path, args = found
    try:
        command.make_context(" ".join(path), list(args))
    except typer.Exit:  # --help, --version
        return None
    except typer.TyperException as exc:  # click's UsageError, BadParameter, NoSuchOption, ...
        said = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        return f"{' '.join(argv)}: {said}"
    return None


def _leaf(argv: list[str]) -> str | tuple[Any, list[str], list[str]]:
    """Walk the command groups; return the command, its path and its arguments, or a problem."""
    command: Any = get_command(app)
    args = argv[1:]
    path = ["xbot"]
    while hasattr(command, "commands") and not (args and args[0] in {"--help", "--version"}):
        if not args:
            return f"{' '.join(path)} needs a command"
        found = command.commands.get(args[0])
        if found is None:
            return f"{' '.join(path)} has no command {args[0]!r}"
        path.append(args[0])
        command, args = found, args[1:]
    return command, path, args


def split(line: str) -> list[str]:
    """Split a shell command line into words (variables stay as written)."""
    return shlex.split(line, comments=True)
