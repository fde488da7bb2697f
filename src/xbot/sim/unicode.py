r"""Text as a platform stores it: well-formed Unicode, whatever a test or a client sends.

A JSON body may carry a lone UTF-16 surrogate (`"\\ud800"`); Python decodes it into a `str`
that cannot be encoded as UTF-8, so a fake that stored it as-is failed on every later answer
that included the post. The real platforms store UTF-8, where a lone surrogate cannot exist.
"""

from __future__ import annotations

from typing import Any


def well_formed(text: str) -> str:
    """Return `text` with surrogate pairs joined and each lone surrogate replaced by U+FFFD."""
    if text.isascii():
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def well_formed_value(value: Any) -> Any:
    """Return a JSON-like value with every string in it (keys too) made well-formed."""
    if isinstance(value, str):
        return well_formed(value)
    if isinstance(value, dict):
        return {well_formed_value(key): well_formed_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [well_formed_value(item) for item in value]
    return value
