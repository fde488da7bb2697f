"""The claim decision and the meaning of each publish error (xbot.domain.claims)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from xbot.domain import errors
from xbot.domain.budgets import BudgetRules, parse_quiet_hours
from xbot.domain.claims import (
    MAX_BACKOFF,
    ClaimFacts,
    ClaimRefusal,
    ClaimRefusalReason,
    Grant,
    KillSwitch,
    budget_refusal,
    event_for_error,
    may_claim,
    retry_backoff,
)
from xbot.domain.permits import NotSent, OutcomeUnknown, Rejected

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FACTS = ClaimFacts(
    role="worker",
    running_sha="abc123",
    declared_sha="abc123",
    kill_switch=KillSwitch(),
    budget=None,
)


def test_grant_when_every_gate_holds() -> None:
    assert may_claim(FACTS) == Grant()
    assert may_claim(replace(FACTS, declared_sha=None, role="all")) == Grant()


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"running_sha": "old999"}, ClaimRefusalReason.STALE_CODE),
        ({"running_sha": "unknown"}, ClaimRefusalReason.STALE_CODE),
        ({"kill_switch": KillSwitch(on=True)}, ClaimRefusalReason.KILL_SWITCH),
        ({"role": "web"}, ClaimRefusalReason.WRONG_ROLE),
        ({"budget": "hourly_budget: 4 posts in the last day"}, ClaimRefusalReason.BUDGET),
    ],
)
def test_each_gate_refuses_with_its_reason(
    changes: dict[str, object], reason: ClaimRefusalReason
) -> None:
    verdict = may_claim(replace(FACTS, **changes))  # type: ignore[arg-type]
    assert isinstance(verdict, ClaimRefusal)
    assert verdict.reason is reason
    assert verdict.event_type == f"posting_blocked_{reason.value}"
    assert verdict.detail


def test_a_missing_deployment_refuses_only_when_one_is_required() -> None:
    assert may_claim(replace(FACTS, declared_sha=None)) == Grant()
    verdict = may_claim(replace(FACTS, declared_sha=None, require_deploy_mark=True))
    assert isinstance(verdict, ClaimRefusal)
    assert verdict.reason is ClaimRefusalReason.DEPLOY_UNMARKED
    assert "xbot deploy mark --sha abc123" in verdict.detail


def test_stale_code_detail_names_both_shas() -> None:
    verdict = may_claim(replace(FACTS, running_sha="old999"))
    assert isinstance(verdict, ClaimRefusal)
    assert "old999" in verdict.detail
    assert "abc123" in verdict.detail


def test_role_sha_and_kill_switch_come_before_the_budget() -> None:
    verdict = may_claim(replace(FACTS, role="web", budget="hourly_budget"))
    assert isinstance(verdict, ClaimRefusal)
    assert verdict.reason is ClaimRefusalReason.WRONG_ROLE


RULES = BudgetRules(per_hour=2, per_day=3, min_gap=timedelta(0))


def test_budget_refusal_uses_the_schedulers_rules() -> None:
    minutes = [timedelta(minutes=n) for n in (10, 20, 90, 120)]
    assert budget_refusal([NOW - m for m in minutes[2:]], RULES, NOW) is None
    hourly = budget_refusal([NOW - m for m in minutes[:2]], RULES, NOW)
    assert str(hourly).startswith("hourly_budget")
    assert "retry at" in str(hourly)
    daily = budget_refusal([NOW - m for m in minutes[1:]], RULES, NOW)
    assert str(daily).startswith("daily_budget")


def test_budget_refusal_keeps_quiet_hours_and_the_gap() -> None:
    quiet = replace(RULES, quiet_hours=parse_quiet_hours("11:00-13:00"))
    assert str(budget_refusal([], quiet, NOW)).startswith("quiet_hours")
    gap = replace(RULES, min_gap=timedelta(minutes=5))
    assert str(budget_refusal([NOW - timedelta(minutes=1)], gap, NOW)).startswith("min_gap")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, KillSwitch()),
        ({}, KillSwitch()),
        ({"on": True}, KillSwitch(on=True)),
        ({"on": True, "drain": True}, KillSwitch(on=True, drain=True)),
        ({"on": "yes"}, KillSwitch(on=True)),  # malformed fails closed
    ],
)
def test_kill_switch_reads_its_value(value: dict[str, object] | None, expected: KillSwitch) -> None:
    assert KillSwitch.from_value(value) == expected


def test_backoff_doubles_up_to_a_cap() -> None:
    assert retry_backoff(1) == timedelta(seconds=30)
    assert retry_backoff(2) == timedelta(seconds=60)
    assert retry_backoff(20) == MAX_BACKOFF


RESET = NOW + timedelta(minutes=7)


@pytest.mark.parametrize(
    ("error", "kind", "prefix"),
    [
        (errors.RateLimited(reset_at=RESET), NotSent, "rate_limited"),
        (errors.Transient("connection refused"), NotSent, "transient"),
        (errors.AuthFailed(status=401), NotSent, "auth_failed"),
        (errors.CreditsDepleted(status=402), NotSent, "credits_depleted"),
        (errors.ForbiddenByPolicy("not summoned", status=403), Rejected, "forbidden_by_policy"),
        (errors.NotFound(status=404), Rejected, "target_not_found"),
        (errors.DuplicateContent(status=403), OutcomeUnknown, "duplicate_content"),
        (errors.Ambiguous("read timeout"), OutcomeUnknown, "ambiguous"),
        (errors.BadResponse("not json"), OutcomeUnknown, "bad_response"),
        (errors.PlatformError("odd"), OutcomeUnknown, "unexpected_error"),
        (KeyError("data"), OutcomeUnknown, "unexpected_error"),
    ],
)
def test_each_error_maps_to_its_outcome(error: Exception, kind: type, prefix: str) -> None:
    outcome = event_for_error(error, attempts=1, now=NOW)
    assert isinstance(outcome, kind)
    assert outcome.reason.startswith(prefix)


def test_rate_limited_waits_for_the_reset() -> None:
    outcome = event_for_error(errors.RateLimited(reset_at=RESET), attempts=1, now=NOW)
    assert isinstance(outcome, NotSent)
    assert outcome.retry_at == RESET
    no_reset = event_for_error(errors.RateLimited(), attempts=1, now=NOW)
    assert isinstance(no_reset, NotSent)
    assert no_reset.retry_at > NOW


def test_operator_problems_are_flagged() -> None:
    auth = event_for_error(errors.AuthFailed(), attempts=1, now=NOW)
    transient = event_for_error(errors.Transient(), attempts=1, now=NOW)
    assert isinstance(auth, NotSent)
    assert isinstance(transient, NotSent)
    assert auth.needs_operator
    assert not transient.needs_operator
    assert auth.retry_at - NOW == timedelta(minutes=10)


@pytest.mark.parametrize(
    ("error", "operator"),
    [
        (errors.AuthFailed(status=401), True),
        (errors.CreditsDepleted(status=402), True),
        (errors.RateLimited(reset_at=RESET), False),
        (errors.Transient("connection refused"), False),
    ],
)
def test_only_credentials_and_credits_need_the_operator(error: Exception, operator: bool) -> None:
    outcome = event_for_error(error, attempts=1, now=NOW)
    assert isinstance(outcome, NotSent)
    assert outcome.needs_operator is operator
