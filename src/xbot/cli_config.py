"""`xbot config docs`: the configuration reference, generated from the settings model."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer


def config_docs(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file instead of stdout."),
    ] = None,
) -> None:
    """Print docs/configuration.md: every key, its type, default, variable and rule."""
    from xbot.config_docs import render_configuration

    text = render_configuration()
    if output is None:
        sys.stdout.write(text)
        return
    output.write_text(text, encoding="utf-8")
    sys.stdout.write(f"wrote {output}\n")
