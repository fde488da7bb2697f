"""What a certification produces: statuses, evidence, check results and the report."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from xbot.certify.rows import Row, count, moment


class Status(enum.StrEnum):
    """The outcome of one check."""

    #: the check found the evidence it asks for
    PASS = "PASS"  # noqa: S105 - a check status, not a password
    #: the check found evidence that production does not work
    FAIL = "FAIL"
    #: the check could not decide yet (too early, nothing to do, or an earlier check undecided)
    INCONCLUSIVE = "INCONCLUSIVE"


class Verdict(enum.StrEnum):
    """The outcome of the whole certification, with its exit code."""

    #: every check passed
    OPERATIONAL = "OPERATIONAL"
    #: no check failed, some were inconclusive
    INCONCLUSIVE = "INCONCLUSIVE"
    #: at least one check failed
    NOT_OPERATIONAL = "NOT OPERATIONAL"
    #: every check passed, but an account in scope is in shadow mode: it cannot post
    SHADOW = "SHADOW"


#: the documented exit codes of `xbot certify` (3 is "could not run", raised as an error)
EXIT_CODES = {
    Verdict.OPERATIONAL: 0,
    Verdict.NOT_OPERATIONAL: 1,
    Verdict.INCONCLUSIVE: 2,
    Verdict.SHADOW: 2,
}
EXIT_COULD_NOT_RUN = 3


@dataclass(frozen=True, kw_only=True, slots=True)
class Evidence:
    """One named query as it ran: its SQL, bound parameters and result rows."""

    name: str
    description: str
    dialect: str
    #: the statement as executed, with :name placeholders
    sql: str
    #: the same statement with the parameters written in as literals of the dialect
    sql_inline: str
    parameters: Mapping[str, Any]
    columns: tuple[str, ...]
    rows: tuple[Mapping[str, Any], ...]

    @property
    def first(self) -> Mapping[str, Any]:
        """Return the first row, or an empty mapping."""
        return self.rows[0] if self.rows else {}


class Facts(Protocol):
    """What one check found, typed per check (xbot.certify.facts_*); reports print `as_data()`."""

    def as_data(self) -> dict[str, object]:
        """Return the facts as the report's JSON keeps them (datetimes still datetimes)."""
        ...


@dataclass(frozen=True, kw_only=True, slots=True)
class NoFacts:
    """The facts of a check that recorded none."""

    def as_data(self) -> dict[str, object]:
        """Return no facts."""
        return {}


FactsT = TypeVar("FactsT")


@dataclass(frozen=True, kw_only=True, slots=True)
class CheckResult:
    """One check of DESIGN §8 with its evidence and a one-line explanation."""

    key: str
    title: str
    status: Status
    explanation: str
    evidence: tuple[Evidence, ...] = ()
    #: values later checks and the next actions use (SHAs, counts, times)
    facts: Facts = NoFacts()
    #: a FAIL that cannot clear by itself (ghost, kill switch, fence mismatch, blocked account):
    #: `certify --wait` stops at once instead of polling
    permanent: bool = False


def facts_of(result: CheckResult, kind: type[FactsT]) -> FactsT:
    """Return `result`'s facts as the type its check records; another type is a bug."""
    facts = result.facts
    if not isinstance(facts, kind):
        raise TypeError(f"check {result.key} recorded {type(facts).__name__}, not {kind.__name__}")
    return facts


@dataclass(frozen=True, kw_only=True, slots=True)
class JobRuns:
    """A job's runs in a check's window, read from the facts its runs query returned."""

    started: int = 0
    completed: int = 0
    failed: int = 0
    last_started_at: datetime | None = None
    last_completed_at: datetime | None = None
    #: the fetch's sums of its completed events' `new` and `queued` (0 for other jobs)
    found_new: int = 0
    queued: int = 0
    #: the scheduler's `attempt_created` events (0 for other jobs)
    attempts_created: int = 0

    @classmethod
    def from_facts(cls, facts: Row) -> JobRuns:
        """Read the counts (NULL is 0) and the times (anything but a datetime is None)."""
        return cls(
            started=count(facts, "started"),
            completed=count(facts, "completed"),
            failed=count(facts, "failed"),
            last_started_at=moment(facts, "last_started_at"),
            last_completed_at=moment(facts, "last_completed_at"),
            found_new=count(facts, "found_new"),
            queued=count(facts, "queued"),
            attempts_created=count(facts, "attempts_created"),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class Windows:
    """How far back each check looks, derived from the job cadences."""

    #: B: three watchdog report intervals
    worker: timedelta
    #: C and D: three fetch intervals
    fetch: timedelta
    #: E: three scheduler intervals
    schedule: timedelta
    #: G: two ghost-scan intervals
    ghost_scan: timedelta
    #: H: an UNKNOWN or lease-expired permit older than this is stuck (three reconcile intervals)
    reconcile: timedelta


@dataclass(frozen=True, kw_only=True, slots=True)
class CertifyOptions:
    """What the operator asked for on the command line."""

    #: the SHA that should run; None means the active deployment's
    expect_sha: str | None = None
    #: one account, "platform:handle" or a handle only one platform has; None means every account
    account: str | None = None
    #: start of "since deploy"; None means the active deployment's declared_at
    since: datetime | None = None
    #: one window for every windowed check instead of the cadence-derived ones
    window: timedelta | None = None
    #: the moment the checks are evaluated at; None reads the clock once
    now: datetime | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Report:
    """Everything `xbot certify` prints: checks, verdict, blocker and next actions."""

    generated_at: datetime
    dialect: str
    database: str
    account: str | None
    expected_sha: str | None
    running_sha: str | None
    sha_source: str | None
    since: datetime
    windows: Windows
    checks: tuple[CheckResult, ...]
    verdict: Verdict
    blocker: CheckResult | None
    next_actions: tuple[str, ...]

    @property
    def exit_code(self) -> int:
        """Return 0 operational, 1 not operational, 2 inconclusive."""
        return EXIT_CODES[self.verdict]
