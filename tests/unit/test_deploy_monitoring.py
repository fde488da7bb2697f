"""deploy/: the Grafana dashboard and the Prometheus alert rules parse and name only real metrics.

The metric names are checked against what /metrics actually serves (every family is described
even before it has a series), and the rules get promtool's structural checks: unique alert
names, an expression, a duration, a severity, a summary, balanced brackets.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from xbot import telemetry
from xbot.web.metrics import Snapshot, render

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
METRIC = re.compile(r"\bxbot_[a-z_]+\b")
DURATION = re.compile(r"^\d+[smhdw]$")
ALERTS_ASKED = {
    "XbotNoPostWhilePosting",
    "XbotGhostFound",
    "XbotCertifyFailing",
    "XbotWorkerMissing",
    "XbotPermitUnknownPastLease",
}


def served_names() -> set[str]:
    """Every series name a query may use, from a real /metrics body."""
    names: set[str] = set()
    for family in text_string_to_metric_families(render(Snapshot(), telemetry.REGISTRY).decode()):
        suffixes = {
            "counter": ("_total",),
            "histogram": ("_bucket", "_count", "_sum"),
        }.get(family.type, ("",))
        names |= {family.name + suffix for suffix in suffixes}
    return names


def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load((DEPLOY / "prometheus-alerts.yml").read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"]]


def dashboard_expressions() -> list[str]:
    dashboard = json.loads((DEPLOY / "grafana-dashboard.json").read_text(encoding="utf-8"))
    found = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    variables = dashboard["templating"]["list"]
    found.extend(item["definition"] for item in variables if item["type"] == "query")
    return found


def balanced(expression: str) -> bool:
    depth: list[str] = []
    pairs = {")": "(", "]": "[", "}": "{"}
    for character in expression:
        if character in "([{":
            depth.append(character)
        elif character in pairs and (not depth or depth.pop() != pairs[character]):
            return False
    return not depth


def test_the_alert_rules_cover_what_the_issue_asks() -> None:
    names = [rule["alert"] for rule in rules()]
    assert len(names) == len(set(names))
    assert set(names) >= ALERTS_ASKED


@pytest.mark.parametrize("rule", rules(), ids=lambda rule: rule["alert"])
def test_each_rule_is_well_formed(rule: dict[str, Any]) -> None:
    assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}
    assert balanced(rule["expr"]), rule["expr"]
    assert DURATION.match(rule.get("for", "0s"))
    assert rule["labels"]["severity"] in {"warning", "critical"}
    assert rule["annotations"]["summary"]
    assert set(METRIC.findall(rule["expr"])) <= served_names()


def test_the_dashboard_queries_only_served_metrics() -> None:
    expressions = dashboard_expressions()
    assert len(expressions) >= 10
    used: set[str] = set()
    for expression in expressions:
        assert balanced(expression), expression
        used |= set(METRIC.findall(expression))
    assert used <= served_names()
    # the dashboard shows every metric the issue lists
    asked = {
        "xbot_build_info", "xbot_posts_total", "xbot_permits", "xbot_candidates_skipped_total",
        "xbot_queue_depth", "xbot_job_run_seconds_bucket", "xbot_job_failures_total",
        "xbot_platform_requests_total", "xbot_platform_request_seconds_bucket",
        "xbot_rate_limit_remaining", "xbot_ghosts_unacknowledged", "xbot_certify_verdict",
        "xbot_account_state",
    }  # fmt: skip
    assert asked <= used


def test_a_misspelt_metric_would_be_caught() -> None:
    assert "xbot_post_total" not in served_names()
    assert "xbot_posts_total" in served_names()
