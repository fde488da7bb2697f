"""The report as Markdown, shaped like the seed's: summary table, SQL and results, verdict."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from xbot.certify.context import short
from xbot.certify.data import account_rows, jsonable
from xbot.certify.evidence import sql_literal
from xbot.certify.model import CheckResult, Evidence, Report, Status, Verdict
from xbot.certify.windows import describe

STATUS_MARK = {Status.PASS: "✅", Status.FAIL: "❌", Status.INCONCLUSIVE: "⚠️"}
VERDICT_MARK = {
    Verdict.OPERATIONAL: "✅",
    Verdict.NOT_OPERATIONAL: "❌",
    Verdict.INCONCLUSIVE: "⚠️",
    Verdict.SHADOW: "🌘",
}
#: the summary table shows the first result row up to this many characters
CELL_LIMIT = 160
#: rows shown per query; the queries themselves are limited, so this rarely cuts
ROW_LIMIT = 20


def render_markdown(report: Report) -> str:
    """Return the whole report as Markdown."""
    sections = [_header(report), _summary(report), _table(report), account_table(report)]
    sections.append(_queries(report))
    sections.append(_verdict(report))
    return "\n\n---\n\n".join(sections) + "\n"


def render_summary(report: Report) -> str:
    """Return the report without its SQL: verdict, one line per check, accounts, next actions."""
    lines = ["| Check | Status | Details |", "|-------|--------|---------|"]
    for check in report.checks:
        status = f"{STATUS_MARK[check.status]} {check.status.value}"
        lines.append(f"| {check.key}) {check.title} | {status} | {_cell(check.explanation)} |")
    sections = [_header(report), "\n".join(lines), account_table(report)]
    sections.append("\n".join(["## NEXT ACTIONS", "", *_numbered(report.next_actions)]))
    return "\n\n".join(sections) + "\n"


def summary_line(report: Report) -> str:
    """Return the one line `xbot certify` writes to stderr."""
    if report.blocker is None:
        passed = [check.key for check in report.checks if check.status is Status.PASS]
        if len(passed) < len(report.checks):
            excused = ", ".join(c.key for c in report.checks if c.key not in passed)
            return (
                f"certify: {report.verdict.value}: {len(passed)} of {len(report.checks)} checks "
                f"passed; {excused} explained by a hold on every account (I)"
            )
        return f"certify: OPERATIONAL: all {len(report.checks)} checks passed"
    blocker = report.blocker
    return (
        f"certify: {report.verdict.value}: blocker {blocker.key}) {blocker.title} "
        f"{blocker.status.value}: {blocker.explanation}"
    )


def _header(report: Report) -> str:
    mark = VERDICT_MARK[report.verdict]
    return "\n".join(
        [
            "# PRODUCTION CERTIFICATION REPORT",
            "",
            f"**Date**: {report.generated_at:%Y-%m-%d %H:%M:%S} UTC  ",
            f"**Database**: {report.dialect} (`{report.database}`)  ",
            f"**Account**: {report.account or 'all accounts'}  ",
            f"**Status**: {mark} **{report.verdict.value}**",
        ]
    )


def _summary(report: Report) -> str:
    blocker = report.blocker
    expected = f"`{short(report.expected_sha)}`" if report.expected_sha else "none declared"
    return "\n".join(
        [
            "## EXECUTIVE SUMMARY",
            "",
            (
                "**Goal**: Certify production is real and ghost-proof with traced replies "
                "(decision_id → permit_id → posted id)."
            ),
            "",
            (
                f"**Running SHA**: `{short(report.running_sha)}` "
                f"(source: {report.sha_source or 'not recorded'})  "
            ),
            f"**Expected SHA**: {expected}  ",
            f"**Since deploy**: {report.since:%Y-%m-%d %H:%M:%S} UTC  ",
            f"**Highest-Level Blocker**: {_blocker_text(blocker)}",
        ]
    )


def _blocker_text(blocker: CheckResult | None) -> str:
    if blocker is None:
        return "none"
    return f"{blocker.key}) {blocker.title} ({blocker.status.value}): {blocker.explanation}"


def _table(report: Report) -> str:
    windows = report.windows
    lines = [
        "## PROOF RESULTS TABLE",
        "",
        "| Check | Status | Details | SQL Result |",
        "|-------|--------|---------|------------|",
    ]
    for check in report.checks:
        first = check.evidence[0].rows[0] if check.evidence and check.evidence[0].rows else None
        result = _cell(json.dumps(jsonable(first), ensure_ascii=False))
        status = f"{STATUS_MARK[check.status]} {check.status.value}"
        details = _cell(check.explanation)
        lines.append(f"| {check.key}) {check.title} | {status} | {details} | `{result}` |")
    lines += [
        "",
        (
            f"Windows: B {describe(windows.worker)}, C and D {describe(windows.fetch)}, "
            f"E {describe(windows.schedule)}, G {describe(windows.ghost_scan)}, "
            f"H {describe(windows.reconcile)}; since deploy {report.since:%Y-%m-%d %H:%M:%S} UTC."
        ),
    ]
    return "\n".join(lines)


def account_table(report: Report) -> str:
    """Return check I's per-account table: state, reason, since or until, posts vs budget."""
    lines = [
        "## ACCOUNTS",
        "",
        "| Account | State | Reason | Since / until | Posts (24 h) / budget |",
        "|---------|-------|--------|---------------|-----------------------|",
    ]
    for row in account_rows(report):
        when = row.until or row.since
        shown = f"{'until' if row.until else 'since'} {when:%Y-%m-%d %H:%M:%S} UTC" if when else ""
        reason = _cell(f"{row.reason}: {row.detail}" if row.detail else row.reason or "")
        lines.append(
            f"| {row.account} | {row.state} | {reason} | {shown} | "
            f"{row.posts_today} / {row.per_day} |"
        )
    if len(lines) == 4:
        lines.append("| (no enabled account) | | | | |")
    return "\n".join(lines)


def _cell(text: str) -> str:
    cut = text if len(text) <= CELL_LIMIT else text[: CELL_LIMIT - 1] + "…"
    return cut.replace("|", "\\|").replace("\n", " ")


def _queries(report: Report) -> str:
    parts = ["## SQL QUERIES AND RESULTS"]
    for check in report.checks:
        mark = STATUS_MARK[check.status]
        parts.append(f"### {check.key}) {check.title}: {mark} {check.status.value}")
        parts.append(f"{check.explanation}.")
        parts.extend(_evidence(evidence) for evidence in check.evidence)
    return "\n\n".join(parts)


def _evidence(evidence: Evidence) -> str:
    shown = [jsonable(row) for row in evidence.rows[:ROW_LIMIT]]
    more = len(evidence.rows) - len(shown)
    plural = "" if len(evidence.rows) == 1 else "s"
    return "\n".join(
        [
            f"**{evidence.name}**: {evidence.description}",
            "",
            "```sql",
            evidence.sql_inline,
            "```",
            "",
            f"Bound parameters: {_parameters(evidence.parameters, evidence.dialect)}",
            "",
            f"**Result** ({len(evidence.rows)} row{plural}):",
            "```json",
            json.dumps(shown, indent=2, ensure_ascii=False) if shown else "null",
            "```",
            *([f"({more} more rows not shown)"] if more > 0 else []),
        ]
    )


def _parameters(parameters: Mapping[str, Any], dialect: str) -> str:
    if not parameters:
        return "none"
    return ", ".join(
        f"`:{name}` = `{sql_literal(value, dialect)}`" for name, value in parameters.items()
    )


def _verdict(report: Report) -> str:
    actions = _numbered(report.next_actions)
    return "\n".join(
        [
            "## VERDICT",
            "",
            f"**Status**: {VERDICT_MARK[report.verdict]} **{report.verdict.value}**",
            "",
            f"**Highest-Level Blocker**: {_blocker_text(report.blocker)}",
            "",
            "## NEXT ACTIONS",
            "",
            *actions,
            "",
            f"**Report Generated**: {report.generated_at:%Y-%m-%dT%H:%M:%S} UTC  ",
            f"**Running SHA**: `{report.running_sha or 'unknown'}`  ",
            f"**Expected SHA**: `{report.expected_sha or 'none declared'}`  ",
            f"**Status**: {VERDICT_MARK[report.verdict]} **{report.verdict.value}**",
        ]
    )


def _numbered(actions: tuple[str, ...]) -> Iterator[str]:
    for number, action in enumerate(actions, start=1):
        yield f"{number}. {action}"
