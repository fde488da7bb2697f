"""Whether this process may post at all, and why not: shown in /ready and the watchdog.

The fence and certify's check A compare SHAs with the one rule here (`sha_matches`), so a
deployment declared by an abbreviated SHA lets the worker that runs it post, and A agrees.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from xbot.domain.errors import ConfigError

POSTING_ROLES = frozenset({"worker", "all"})
#: what a worker reports when it could not learn its SHA
UNKNOWN_SHAS = frozenset({"", "unknown", "none", "null"})
#: the shortest abbreviation of a SHA that git itself prints
MIN_SHA_PREFIX = 7
#: a git SHA or an abbreviation of one, as `deploy mark --sha` and `certify --expect-sha` take it
SHA_PATTERN = re.compile(r"[0-9a-fA-F]{7,64}")
#: the /ready reason when no deployment is declared (a blocker only if one is required)
DEPLOY_UNMARKED = "deploy_unmarked"


def is_sha(value: str) -> bool:
    """Return True when `value` is 7 to 64 hex digits."""
    return SHA_PATTERN.fullmatch(value) is not None


@dataclass(frozen=True, kw_only=True, slots=True)
class Deployment:
    """The newest `deployments` row: the SHA declared to be live, when and by whom."""

    sha: str
    declared_at: datetime
    declared_by: str | None
    note: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class DeclaredSha:
    """The SHA `deploy mark` stores, and where its full form came from."""

    sha: str
    #: "given" (stored as typed), "workers" (a worker booted with it) or "git" (rev-parse)
    source: str


def resolve_declared_sha(
    given: str, booted: Sequence[str], from_git: Callable[[], str]
) -> DeclaredSha:
    """Return the full SHA a unique prefix names (workers first, then git), else the prefix."""
    prefix = given.strip().lower()
    longer = sorted({sha.lower() for sha in booted if sha.lower().startswith(prefix)} - {prefix})
    if len(longer) > 1:
        raise ConfigError(
            f"--sha {given} is ambiguous: workers booted with {', '.join(longer)}; give more digits"
        )
    if longer:
        return DeclaredSha(sha=longer[0], source="workers")
    if len(prefix) < 40:
        full = from_git().strip().lower()
        if is_sha(full) and full.startswith(prefix):
            return DeclaredSha(sha=full, source="git")
    return DeclaredSha(sha=prefix, source="given")


def is_unknown_sha(sha: str | None) -> bool:
    """Return True when a worker could not tell which commit it runs."""
    return sha is None or sha.strip().lower() in UNKNOWN_SHAS


def sha_matches(running_sha: str | None, declared_sha: str | None) -> bool:
    """Return True when two SHAs name the same commit: equal, or one abbreviates the other."""
    if is_unknown_sha(running_sha) or is_unknown_sha(declared_sha):
        return False
    left, right = str(running_sha).strip().lower(), str(declared_sha).strip().lower()
    shorter, longer = sorted((left, right), key=len)
    return left == right or (len(shorter) >= MIN_SHA_PREFIX and longer.startswith(shorter))


def posting_blockers(
    *,
    role: str,
    running_sha: str,
    declared_sha: str | None,
    kill_switch_on: bool,
    require_deploy_mark: bool = False,
) -> list[str]:
    """Return the reasons this process may not post; empty means it may."""
    reasons = []
    if role not in POSTING_ROLES:
        reasons.append("wrong_role")
    if declared_sha is None and require_deploy_mark:
        reasons.append(DEPLOY_UNMARKED)
    if declared_sha is not None and not sha_matches(running_sha, declared_sha):
        reasons.append("stale_code")
    if kill_switch_on:
        reasons.append("kill_switch")
    return reasons


def posting_notes(*, declared_sha: str | None, require_deploy_mark: bool = False) -> list[str]:
    """Return what /ready should say although posting is allowed (no deployment declared)."""
    return [DEPLOY_UNMARKED] if declared_sha is None and not require_deploy_mark else []
