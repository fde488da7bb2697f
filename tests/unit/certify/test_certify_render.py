"""The report as Markdown (shaped like the seed's) and as JSON with the same content."""

from __future__ import annotations

import json

from certify_samples import SEED_RUNNING, check, checks, report

from xbot.certify.data import render_json
from xbot.certify.markdown import render_markdown, render_summary, summary_line
from xbot.certify.model import Status


def seed_like_report():
    results = (check("A", Status.FAIL, **SEED_RUNNING), *checks()[1:])
    return report(results)


def test_markdown_has_the_seeds_sections_in_order() -> None:
    text = render_markdown(seed_like_report())
    headings = [
        "# PRODUCTION CERTIFICATION REPORT",
        "## EXECUTIVE SUMMARY",
        "## PROOF RESULTS TABLE",
        "## SQL QUERIES AND RESULTS",
        "## VERDICT",
        "## NEXT ACTIONS",
    ]
    positions = [text.index(heading) for heading in headings]
    assert positions == sorted(positions)
    assert "**Status**: ❌ **NOT OPERATIONAL**" in text
    assert "| A) Running SHA | ❌ FAIL |" in text
    assert "| H) Stuck and duplicate | ✅ PASS |" in text
    assert "**Highest-Level Blocker**: A) Running SHA (FAIL)" in text


def test_markdown_shows_sql_parameters_and_rows() -> None:
    text = render_markdown(seed_like_report())
    assert "```sql\nSELECT COUNT(*) AS reports FROM system_events WHERE created_at >= " in text
    assert "`:window_start` = `'2026-01-09T19:40:00+00:00'`" in text
    assert '"reports": 3' in text
    assert "1. The newest worker" in text


def test_a_pipe_in_an_explanation_does_not_break_the_table() -> None:
    broken = check("B", Status.FAIL)
    results = (
        checks()[0],
        type(broken)(**{**_fields(broken), "explanation": "a | b"}),
        *checks()[2:],
    )
    assert "a \\| b" in render_markdown(report(results))


def _fields(result):
    return {name: getattr(result, name) for name in result.__slots__}


def test_json_carries_the_same_content() -> None:
    data = json.loads(render_json(seed_like_report()))
    assert data["verdict"] == "NOT OPERATIONAL"
    assert data["exit_code"] == 1
    assert data["blocker"]["key"] == "A"
    assert [item["key"] for item in data["checks"]] == list("ABCDEFGH")
    first = data["checks"][0]
    assert first["status"] == "FAIL"
    assert first["facts"]["running_sha"] == "e35a4371"
    query = first["queries"][0]
    assert query["sql"].endswith(":window_start")
    assert query["parameters"] == {"window_start": "2026-01-09T19:40:00+00:00"}
    assert query["rows"][0]["reports"] == 3
    assert data["next_actions"][-1].startswith("Re-run")
    assert data["windows"]["worker"] == 900


def test_summary_line_names_the_blocker_or_says_all_passed() -> None:
    line = summary_line(seed_like_report())
    assert line.startswith("certify: NOT OPERATIONAL: blocker A) Running SHA FAIL: ")
    assert "\n" not in line
    assert summary_line(report(checks())) == "certify: OPERATIONAL: all 8 checks passed"


def test_the_summary_is_the_verdict_checks_accounts_and_actions_without_sql() -> None:
    text = render_summary(seed_like_report())
    assert "**Status**: ❌ **NOT OPERATIONAL**" in text
    assert "| A) Running SHA | ❌ FAIL |" in text
    assert "## ACCOUNTS" in text
    assert "## NEXT ACTIONS" in text
    assert "SQL" not in text
    assert "SELECT" not in text
