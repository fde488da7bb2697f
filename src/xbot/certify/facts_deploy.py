"""The facts of checks A (running SHA) and B (worker alive), read once from their rows."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from xbot.certify.rows import Row, count, moment, text


@dataclass(frozen=True, kw_only=True, slots=True)
class RunningShaFacts:
    """A: the newest boot heartbeat, the active deployment and the SHA expected to run."""

    running_sha: str | None = None
    sha_source: str | None = None
    worker_id: str | None = None
    host: str | None = None
    #: None: no worker ever wrote its boot heartbeat
    booted_at: datetime | None = None
    declared_sha: str | None = None
    declared_at: datetime | None = None
    declared_by: str | None = None
    #: --expect-sha, else the declared SHA
    expected_sha: str | None = None
    #: "--expect-sha" or "deployment"
    expected_from: str = "deployment"
    require_deploy_mark: bool = False

    @classmethod
    def from_row(
        cls, row: Row, *, expect_sha: str | None, require_deploy_mark: bool
    ) -> RunningShaFacts:
        """Read the `running_sha` row; --expect-sha, when given, is what must run."""
        return cls(
            running_sha=text(row, "git_sha"),
            sha_source=text(row, "sha_source"),
            worker_id=text(row, "worker_id"),
            host=text(row, "host"),
            booted_at=moment(row, "booted_at"),
            declared_sha=text(row, "declared_sha"),
            declared_at=moment(row, "declared_at"),
            declared_by=text(row, "declared_by"),
            expected_sha=expect_sha or text(row, "declared_sha"),
            expected_from="--expect-sha" if expect_sha else "deployment",
            require_deploy_mark=require_deploy_mark,
        )

    def as_data(self) -> dict[str, object]:
        """Return the facts as the report's JSON keeps them."""
        return asdict(self)


@dataclass(frozen=True, kw_only=True, slots=True)
class WorkerAliveFacts:
    """B: the watchdog reports in the window from workers on the SHA, and its first boot."""

    reports: int = 0
    workers: int = 0
    last_report_at: datetime | None = None
    #: when a worker first booted on the SHA under test (None: none did)
    sha_booted_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Row) -> WorkerAliveFacts:
        """Read the `worker_alive` row."""
        return cls(
            reports=count(row, "reports"),
            workers=count(row, "workers"),
            last_report_at=moment(row, "last_report_at"),
            sha_booted_at=moment(row, "sha_booted_at"),
        )

    def as_data(self) -> dict[str, object]:
        """Return the facts as the report's JSON keeps them."""
        return asdict(self)
