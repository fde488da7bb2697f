"""What every check knows: the moment, the windows, the SHA under test and "since deploy"."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from xbot.certify.model import CheckResult, Windows
from xbot.config import JobIntervals, Settings

#: what a worker reports when it could not learn its SHA
UNKNOWN_SHAS = frozenset({"", "unknown", "none", "null"})
#: the shortest abbreviation of a SHA that git itself prints
MIN_SHA_PREFIX = 7
#: "since deploy" when no deployment is declared and no worker ever booted
FALLBACK_SINCE = timedelta(days=1)


@dataclass(frozen=True, kw_only=True, slots=True)
class Context:
    """The inputs the checks share; `sha` and `since` are settled by check A."""

    now: datetime
    windows: Windows
    intervals: JobIntervals
    lease: timedelta
    account: str | None
    expect_sha: str | None
    #: the SHA later checks look for (the running one once A accepts it, else the expected one)
    sha: str | None = None
    #: the start of "since deploy"
    since: datetime | None = None
    #: the operator's configuration (budgets, generator, X approval) for check I
    settings: Settings | None = None

    def window_start(self, window: timedelta) -> datetime:
        """Return the start of a lookback window ending now."""
        return self.now - window

    def since_deploy(self) -> datetime:
        """Return "since deploy", which check A settles."""
        return self.since if self.since is not None else self.now - FALLBACK_SINCE


def is_unknown_sha(sha: str | None) -> bool:
    """Return True when a worker could not tell which commit it runs."""
    return sha is None or sha.strip().lower() in UNKNOWN_SHAS


def sha_matches(running: str | None, expected: str | None) -> bool:
    """Return True when two SHAs name the same commit (equal, or one abbreviates the other)."""
    if is_unknown_sha(running) or is_unknown_sha(expected):
        return False
    left, right = str(running).strip().lower(), str(expected).strip().lower()
    shorter, longer = sorted((left, right), key=len)
    return left == right or (len(shorter) >= MIN_SHA_PREFIX and longer.startswith(shorter))


def too_early(context: Context, prior: Mapping[str, CheckResult], needed: timedelta) -> bool:
    """Return True when workers on the SHA have not been up long enough to show `needed` work."""
    worker = prior.get("B")
    booted_at: Any = worker.facts.get("sha_booted_at") if worker else None
    return isinstance(booted_at, datetime) and context.now - booted_at < needed


def short(sha: str | None) -> str:
    """Return a SHA as the report shows it: eight characters, or "unknown"."""
    return "unknown" if is_unknown_sha(sha) else str(sha).strip()[:8]
