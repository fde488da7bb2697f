"""What a driver error says, read without its driver: shared by the engine and the snapshot."""

from __future__ import annotations

from xbot.redact import redact_text

_UNREACHABLE = ("connection refused", "could not connect", "unable to open", "timeout expired")


def is_unreachable(message: str) -> bool:
    """Return whether a driver's message means the server or file cannot be reached."""
    text = message.lower()
    return any(needle in text for needle in _UNREACHABLE) or (
        "connection" in text and "failed" in text
    )


def unreachable_message(line: str) -> str:
    """Return the one-line error for an unreachable database, naming the fix."""
    return (
        f"the database cannot be reached ({line}). "
        "Check XBOT_DATABASE_URL and that the server is running."
    )


def first_line(message: str) -> str:
    """Return a driver message's first line, with any connection string's password masked."""
    lines = message.strip().splitlines()
    return redact_text(lines[0] if lines else "unknown error")
