"""Whether this process may post at all, and why not: shown in /ready and the watchdog."""

from __future__ import annotations

POSTING_ROLES = frozenset({"worker", "all"})


def posting_blockers(
    *, role: str, running_sha: str, declared_sha: str | None, kill_switch_on: bool
) -> list[str]:
    """Return the reasons this process may not post; empty means it may."""
    reasons = []
    if role not in POSTING_ROLES:
        reasons.append("wrong_role")
    if declared_sha is not None and running_sha != declared_sha:
        reasons.append("stale_code")
    if kill_switch_on:
        reasons.append("kill_switch")
    return reasons
