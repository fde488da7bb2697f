"""The report as plain data: what `--json` prints, with the same content as the Markdown."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from xbot.certify.facts_accounts import AccountRow, AccountsFacts
from xbot.certify.model import CheckResult, Evidence, Report


def report_data(report: Report) -> dict[str, Any]:
    """Return the report as JSON-able data."""
    return {
        "generated_at": jsonable(report.generated_at),
        "verdict": report.verdict.value,
        "exit_code": report.exit_code,
        "dialect": report.dialect,
        "database": report.database,
        "account": report.account,
        "running_sha": report.running_sha,
        "sha_source": report.sha_source,
        "expected_sha": report.expected_sha,
        "since": jsonable(report.since),
        "windows": {
            name: getattr(report.windows, name).total_seconds()
            for name in ("worker", "fetch", "schedule", "ghost_scan", "reconcile")
        },
        "blocker": _check_summary(report.blocker) if report.blocker else None,
        "next_actions": list(report.next_actions),
        "checks": [_check_data(check) for check in report.checks],
        "accounts": jsonable([row.as_data() for row in account_rows(report)]),
    }


def account_rows(report: Report) -> tuple[AccountRow, ...]:
    """Return check I's per-account rows (account, state, reason, since, until, posts, budget)."""
    facts = next((check.facts for check in report.checks if check.key == "I"), None)
    return facts.accounts if isinstance(facts, AccountsFacts) else ()


def render_json(report: Report) -> str:
    """Return the report as indented JSON."""
    return json.dumps(report_data(report), indent=2, ensure_ascii=False) + "\n"


def _check_summary(check: CheckResult) -> dict[str, Any]:
    return {
        "key": check.key,
        "title": check.title,
        "status": check.status.value,
        "explanation": check.explanation,
        "permanent": check.permanent,
    }


def _check_data(check: CheckResult) -> dict[str, Any]:
    return {
        **_check_summary(check),
        "facts": jsonable(check.facts.as_data()),
        "queries": [evidence_data(evidence) for evidence in check.evidence],
    }


def evidence_data(evidence: Evidence) -> dict[str, Any]:
    """Return one query's evidence as JSON-able data."""
    return {
        "name": evidence.name,
        "description": evidence.description,
        "dialect": evidence.dialect,
        "sql": evidence.sql,
        "sql_inline": evidence.sql_inline,
        "parameters": jsonable(evidence.parameters),
        "columns": list(evidence.columns),
        "rows": jsonable(list(evidence.rows)),
    }


def jsonable(value: Any) -> Any:
    """Return `value` with datetimes as ISO 8601 text, mappings and sequences converted inside."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
