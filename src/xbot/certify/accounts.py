"""`--account`: "platform:handle", or a bare handle when only one platform has it."""

from __future__ import annotations

from xbot.certify.evidence import QueryRunner
from xbot.domain.errors import ConfigError


def resolve_account(run: QueryRunner, given: str | None) -> str | None:
    """Return the account as "platform:handle", or raise ConfigError (unknown or ambiguous)."""
    if given is None:
        return None
    platform, _, handle = given.strip().rpartition(":")
    handle = handle.strip().lstrip("@").lower()
    rows = run("account_ids", handle=handle).rows
    matches = [f"{row['platform']}:{row['handle']}" for row in rows]
    if platform:
        matches = [match for match in matches if match == f"{platform.lower()}:{handle}"]
    if not matches:
        raise ConfigError(
            f"no account has the handle {given!r}. List the accounts with `xbot config show`."
        )
    if len(matches) > 1:
        raise ConfigError(
            f"--account {given!r} matches {', '.join(matches)}: name one as platform:handle."
        )
    return matches[0]
