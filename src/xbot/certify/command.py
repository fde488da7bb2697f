"""What `xbot certify` does once the CLI has its settings: run, wait, print."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from xbot.certify.data import render_json
from xbot.certify.markdown import render_markdown, summary_line
from xbot.certify.model import CertifyOptions, Report
from xbot.certify.run import run_certification
from xbot.certify.wait import WAIT_INTERVAL, certify_until_operational, permanent_failure
from xbot.certify.windows import describe, parse_duration, parse_since
from xbot.config import Settings
from xbot.domain.errors import ConfigError
from xbot.domain.readiness import is_sha


@dataclass(frozen=True, kw_only=True, slots=True)
class CertifyRequest:
    """The command line of `xbot certify`, as typed."""

    expect_sha: str | None = None
    account: str | None = None
    since: str | None = None
    window: str | None = None
    wait: str | None = None
    output: Path | None = None
    as_json: bool = False
    wait_interval: float = WAIT_INTERVAL


def certify_command(
    settings: Settings, request: CertifyRequest, *, out: TextIO, err: TextIO
) -> int:
    """Certify (waiting if asked), write the report and one summary line; return the exit code."""
    options = options_from(request, datetime.now(UTC))

    def attempt() -> Report:
        return run_certification(settings.database_url, settings, options)

    def progress(report: Report, remaining: float) -> None:
        err.write(progress_line(report, remaining, request))
        err.flush()

    if request.wait:
        timeout = parse_duration(request.wait)
        report = certify_until_operational(
            attempt, timeout, interval=request.wait_interval, progress=progress
        )
        stuck = permanent_failure(report)
        if stuck is not None:
            err.write(
                f"certify: not waiting: {stuck.key}) {stuck.title} cannot clear by itself "
                f"({stuck.explanation})\n"
            )
    else:
        report = attempt()
    write_report(report, request, out)
    err.write(summary_line(report) + "\n")
    return report.exit_code


def options_from(request: CertifyRequest, now: datetime) -> CertifyOptions:
    """Turn the typed options into CertifyOptions, or raise ConfigError naming the bad one."""
    if request.expect_sha is not None and not is_sha(request.expect_sha.strip()):
        raise ConfigError(
            f"cannot read --expect-sha {request.expect_sha!r}: give 7 to 64 hex digits, "
            "e.g. `git rev-parse HEAD`."
        )
    return CertifyOptions(
        expect_sha=request.expect_sha,
        account=request.account,
        since=parse_since(request.since, now) if request.since else None,
        window=parse_duration(request.window) if request.window else None,
    )


def progress_line(report: Report, remaining: float, request: CertifyRequest) -> str:
    """Return the line printed between two attempts while waiting."""
    blocker = report.blocker
    reason = f"{blocker.key}) {blocker.title}: {blocker.explanation}" if blocker else ""
    left = describe(timedelta(seconds=remaining))
    return (
        f"certify: {report.verdict.value} ({reason}); re-checking in "
        f"{request.wait_interval:g}s, {left} left\n"
    )


def write_report(report: Report, request: CertifyRequest, out: TextIO) -> None:
    """Write the report as Markdown or JSON to --output, or to `out`."""
    text = render_json(report) if request.as_json else render_markdown(report)
    if request.output is None:
        out.write(text)
        return
    try:
        request.output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write the report to {request.output}: {exc}") from None
