"""`xbot certify` without building the Typer app: its command line read by hand, then the run.

A CI gate runs `xbot certify` as a process, so it should cost its checks, not the whole CLI
(Typer, click and every command module were a fifth of its time). `fast_certify` reads only a
command line it fully understands: the documented options, each given once with a plain value.
Anything else (`--help`, an unknown or repeated flag, a missing or odd value) returns None and
the entry point hands the command line to Typer, so help and usage errors stay Typer's own.
This module imports nothing heavy: the run's modules load only once the command line is good.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from xbot.certify.command import CertifyRequest

#: option -> CertifyRequest field, for the options that take a value
VALUE_OPTIONS = {
    "--expect-sha": "expect_sha",
    "--account": "account",
    "--since": "since",
    "--window": "window",
    "--wait": "wait",
    "--output": "output",
    "-o": "output",
    "--wait-interval": "wait_interval",
}
#: option -> CertifyRequest field, for the flags
FLAG_OPTIONS = {"--json": "as_json"}


def fast_certify(args: list[str]) -> int | None:
    """Run `xbot certify ARGS` and return its exit code, or None to leave ARGS to Typer."""
    fields = parse_certify_args(args)
    if fields is None:
        return None
    from xbot.certify.command import CertifyRequest

    return run_certify(CertifyRequest(**fields))


def run_certify(request: CertifyRequest) -> int:
    """Load the settings and certify; the exit code, or exit 3 with one line when it cannot run."""
    from xbot.certify.command import certify_command
    from xbot.cli_support import EXIT_DATABASE, fail
    from xbot.config import load_settings
    from xbot.domain.errors import XbotError

    try:
        loaded = load_settings()
        return certify_command(loaded, request, out=sys.stdout, err=sys.stderr)
    except XbotError as exc:
        fail(exc, code=EXIT_DATABASE)


def parse_certify_args(args: list[str]) -> dict[str, Any] | None:
    """Return the CertifyRequest fields ARGS give, or None unless every argument is understood."""
    fields: dict[str, Any] = {}
    position = 0
    while position < len(args):
        option, equals, value = args[position].partition("=")
        position += 1
        if option in FLAG_OPTIONS and not equals:
            name, converted = FLAG_OPTIONS[option], True
        elif option in VALUE_OPTIONS:
            if not equals:  # the value is the next argument
                if position == len(args):
                    return None
                value, position = args[position], position + 1
            elif option == "-o":  # click reads `-o=x` as the file "=x": leave it to click
                return None
            name, converted = VALUE_OPTIONS[option], _value(VALUE_OPTIONS[option], value)
        else:
            return None
        if converted is None or name in fields:
            return None
        fields[name] = converted
    return fields


def _value(name: str, text: str) -> Any:
    """Return the option's value as Typer converts it, or None when Typer should judge it."""
    if not text or text.startswith("-"):
        return None
    if name == "wait_interval":
        try:
            number = float(text)
        except ValueError:
            return None
        return number if math.isfinite(number) and number >= 0 else None
    if name == "output":
        path = Path(text)
        # click's Path(readable=True) refuses an existing file it cannot read
        return path if not path.exists() or os.access(path, os.R_OK) else None
    return text
