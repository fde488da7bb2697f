"""Structured logging; only the CLI calls `configure` (CONVENTIONS 3.9)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any

import structlog

from xbot.redact import redact_data, remember

#: whether `configure` chose JSON lines (the default before it runs: plain text)
_json_lines = False


def json_lines() -> bool:
    """Return True when log lines are JSON, so other stderr lines should be JSON too."""
    return _json_lines


def configure(level: str = "info", output: str = "auto", secrets: Iterable[str] = ()) -> None:
    """Console lines in a terminal, JSON lines otherwise, on stderr, with secrets masked."""
    global _json_lines  # noqa: PLW0603 - one logging set-up per process, made by the CLI
    remember(secrets)
    use_console = output == "console" or (output == "auto" and sys.stderr.isatty())
    _json_lines = not use_console
    renderer: structlog.typing.Processor = (
        structlog.dev.ConsoleRenderer() if use_console else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact_event,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        # resolve stderr when a logger is made, not now: tests and daemons swap the stream
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )


def _stderr_logger(*_args: object) -> structlog.PrintLogger:
    return structlog.PrintLogger(sys.stderr)


def redact_event(
    _logger: object, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Mask URL passwords, password parameters and every known secret in a log line's fields."""
    masked: MutableMapping[str, Any] = redact_data(dict(event))
    return masked
