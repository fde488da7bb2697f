"""The secrets an operator brings to a flow: from a named variable, else typed without echo."""

from __future__ import annotations

import re
import sys

import typer

from xbot.config import secret_from_environment
from xbot.domain.errors import ConfigError

VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


def from_variable(variable: str, what: str, *, hidden: bool = True) -> str:
    """Return the value of `variable`; prompt on a terminal; else refuse naming the variable."""
    if not VARIABLE.fullmatch(variable):
        raise ConfigError(f"{variable!r} is not an environment variable name (letters, digits, _)")
    value = secret_from_environment(variable)
    if value is not None:
        return value.get_secret_value().strip()
    if not sys.stdin.isatty():
        raise ConfigError(f"{what} is needed: set the environment variable {variable}")
    typed: str = typer.prompt(f"{what} ({variable} is not set)", hide_input=hidden)
    return typed.strip()


def read_line(question: str) -> str:
    """Read one answer from stdin (the PIN); refuse an empty one."""
    answer: str = typer.prompt(question, default="", show_default=False)
    if not answer.strip():
        raise ConfigError(f"{question}: nothing was entered; run the command again")
    return answer.strip()
