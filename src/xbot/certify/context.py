"""What every check knows: the moment, the windows, the SHA under test and "since deploy"."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from xbot.certify.facts_deploy import WorkerAliveFacts
from xbot.certify.model import CheckResult, Windows, facts_of
from xbot.config import JobIntervals, Settings
from xbot.domain.readiness import is_unknown_sha, sha_matches

__all__ = [
    "FALLBACK_SINCE",
    "Context",
    "evidence_since",
    "history_left",
    "is_unknown_sha",
    "sha_matches",
    "short",
    "too_early",
]

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
    #: no declared deployment fails A instead of leaving it inconclusive (require_deploy_mark)
    require_deploy_mark: bool = False

    def window_start(self, window: timedelta) -> datetime:
        """Return the start of a lookback window ending now."""
        return self.now - window

    def since_deploy(self) -> datetime:
        """Return "since deploy", which check A settles."""
        return self.since if self.since is not None else self.now - FALLBACK_SINCE

    def since_at_least(self, needed: timedelta) -> datetime:
        """Return "since deploy", or `needed` ago when the deployment is younger than that."""
        return min(self.since_deploy(), self.now - needed)


def too_early(context: Context, prior: Mapping[str, CheckResult], needed: timedelta) -> bool:
    """Return True when workers on the SHA have not been up long enough to show `needed` work."""
    booted_at = _sha_booted_at(prior)
    return booted_at is not None and context.now - booted_at < needed


def evidence_since(
    context: Context, prior: Mapping[str, CheckResult], needed: timedelta
) -> datetime:
    """Return where a check that needs `needed` of history looks from.

    The deployment time when it is older than `needed`, else `needed` ago, so a fresh `deploy mark`
    does not erase what the same code did just before; never before workers first booted on the
    SHA under test, so the previous release's work does not count.
    """
    start = context.since_at_least(needed)
    booted_at = _sha_booted_at(prior)
    return max(start, booted_at) if booted_at is not None else start


def _sha_booted_at(prior: Mapping[str, CheckResult]) -> datetime | None:
    # when a worker first booted on the SHA under test, as check B read it
    worker = prior.get("B")
    return facts_of(worker, WorkerAliveFacts).sha_booted_at if worker else None


def history_left(context: Context, start: datetime, needed: timedelta) -> timedelta | None:
    """Return how much of `needed` is still to come when the history since `start` is shorter."""
    left = needed - (context.now - start)
    return left if left > timedelta(0) else None


def short(sha: str | None) -> str:
    """Return a SHA as the report shows it: eight characters, or "unknown"."""
    return "unknown" if is_unknown_sha(sha) else str(sha).strip()[:8]
