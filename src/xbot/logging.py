"""Structured logging; only the CLI calls `configure` (CONVENTIONS 3.9)."""

from __future__ import annotations

import logging
import sys

import structlog


def configure(level: str = "info", output: str = "auto") -> None:
    """Console lines in a terminal, JSON lines otherwise, on stderr."""
    use_console = output == "console" or (output == "auto" and sys.stderr.isatty())
    renderer: structlog.typing.Processor = (
        structlog.dev.ConsoleRenderer() if use_console else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        # resolve stderr when a logger is made, not now: tests and daemons swap the stream
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )


def _stderr_logger(*_args: object) -> structlog.PrintLogger:
    return structlog.PrintLogger(sys.stderr)
