"""Verdict, blocker, exit codes and next actions."""

from __future__ import annotations

import pytest
from certify_samples import SEED_RUNNING, TITLES, check, checks, report

from xbot.certify.advice import RERUN, next_actions
from xbot.certify.facts_accounts import AccountsFacts
from xbot.certify.facts_safety import Ghost
from xbot.certify.markdown import summary_line
from xbot.certify.model import EXIT_CODES, CheckResult, Status, Verdict
from xbot.certify.verdict import blocker_of, verdict_of


@pytest.mark.parametrize(
    ("statuses", "verdict", "blocker"),
    [
        ({}, Verdict.OPERATIONAL, None),
        ({"A": Status.FAIL, "B": Status.FAIL}, Verdict.NOT_OPERATIONAL, "A"),
        ({"D": Status.INCONCLUSIVE, "E": Status.INCONCLUSIVE}, Verdict.INCONCLUSIVE, "D"),
        ({"C": Status.INCONCLUSIVE, "G": Status.FAIL}, Verdict.NOT_OPERATIONAL, "C"),
        ({"H": Status.FAIL}, Verdict.NOT_OPERATIONAL, "H"),
    ],
)
def test_verdict_and_first_non_pass_blocker(
    statuses: dict[str, Status], verdict: Verdict, blocker: str | None
) -> None:
    results = checks(**statuses)
    assert verdict_of(results) is verdict
    found = blocker_of(results)
    assert (found.key if found else None) == blocker


def test_exit_codes_are_the_documented_ones() -> None:
    assert EXIT_CODES == {
        Verdict.OPERATIONAL: 0,
        Verdict.NOT_OPERATIONAL: 1,
        Verdict.INCONCLUSIVE: 2,
        Verdict.SHADOW: 2,
    }


def test_a_shadow_account_makes_an_all_pass_report_shadow_never_operational() -> None:
    from xbot.certify.model import CheckResult
    from xbot.certify.verdict import verdict_of

    passing = [CheckResult(key=key, title=key, status=Status.PASS, explanation="") for key in "AB"]
    assert verdict_of(passing) is Verdict.OPERATIONAL
    shadow = CheckResult(
        key="I",
        title="I",
        status=Status.PASS,
        explanation="",
        facts=AccountsFacts(shadow_accounts=("x:a",)),
    )
    assert verdict_of([*passing, shadow]) is Verdict.SHADOW
    failing = CheckResult(key="C", title="C", status=Status.FAIL, explanation="")
    assert verdict_of([*passing, shadow, failing]) is Verdict.NOT_OPERATIONAL


def test_seed_failure_names_both_shas_their_source_and_the_commands() -> None:
    actions = "\n".join(next_actions(check("A", Status.FAIL, **SEED_RUNNING)))
    assert "`e35a4371`" in actions
    assert "`fdf00f1e`" in actions
    assert "env:RAILWAY_GIT_COMMIT_SHA" in actions
    assert "xbot deploy mark --sha e35a4371" in actions
    assert "restart" in actions
    assert "xbot certify --wait" in actions


def test_a_pinned_xbot_git_sha_is_called_out() -> None:
    facts = {**SEED_RUNNING, "sha_source": "env:XBOT_GIT_SHA"}
    actions = next_actions(check("A", Status.FAIL, **facts))
    assert any("pinned by hand" in action for action in actions)


def test_no_deployment_declared_names_deploy_mark() -> None:
    facts = {**SEED_RUNNING, "expected_sha": None, "declared_sha": None, "declared_at": None}
    actions = "\n".join(next_actions(check("A", Status.INCONCLUSIVE, **facts)))
    assert "xbot deploy mark --sha e35a4371" in actions


def test_no_worker_at_all_says_how_to_start_one() -> None:
    facts = {**SEED_RUNNING, "booted_at": None, "running_sha": None}
    actions = "\n".join(next_actions(check("A", Status.FAIL, **facts)))
    assert "`xbot worker`" in actions
    assert "/health" in actions
    assert "/ready" in actions


def test_unknown_sha_lists_where_a_worker_reads_it() -> None:
    facts = {**SEED_RUNNING, "running_sha": "unknown", "sha_source": "none"}
    actions = "\n".join(next_actions(check("A", Status.FAIL, **facts)))
    assert "RAILWAY_GIT_COMMIT_SHA" in actions
    assert "XBOT_GIT_SHA" in actions


def test_worker_alive_failure_says_start_the_worker_and_check_health() -> None:
    actions = "\n".join(next_actions(check("B", Status.FAIL)))
    assert "`xbot worker`" in actions
    assert "/health" in actions
    assert "/ready" in actions


def test_ghosts_name_the_acknowledge_command() -> None:
    ghosts = (Ghost(id=17, handle="acme", post_id="999"),)
    actions = "\n".join(next_actions(check("G", Status.FAIL, ghosts=ghosts)))
    assert "xbot ghosts ack 17 --by NAME" in actions


@pytest.mark.parametrize("key", list(TITLES))
@pytest.mark.parametrize("status", [Status.FAIL, Status.INCONCLUSIVE])
def test_every_blocker_gets_actions_and_ends_with_a_rerun(key: str, status: Status) -> None:
    actions = next_actions(check(key, status))
    assert len(actions) >= 2
    assert actions[-1] == RERUN
    assert all(action.strip() for action in actions)


def test_operational_advice_is_the_deploy_gate() -> None:
    (action,) = next_actions(None)
    assert "xbot deploy mark --sha" in action
    assert "xbot certify --wait" in action


def test_stuck_permits_and_missing_posts_point_at_xbot_trace() -> None:
    stuck = next_actions(check("H", Status.FAIL, stuck=["pmt_1"]))
    assert any("xbot trace pmt_1" in action for action in stuck)
    unposted = next_actions(check("F", Status.FAIL, permit="pmt_2"))
    assert any("xbot trace pmt_2" in action for action in unposted)


def accounts_check(status: Status, *, explains: list[str], permanent: bool = False) -> CheckResult:
    return CheckResult(
        key="I",
        title="Accounts can post",
        status=status,
        explanation="accounts",
        facts=AccountsFacts(explains=tuple(explains)),
        permanent=permanent,
    )


def test_a_permanent_failure_is_the_blocker_before_an_earlier_symptom() -> None:
    results = (
        *checks(E=Status.FAIL),
        accounts_check(Status.FAIL, explains=[], permanent=True),
    )
    blocker = blocker_of(results)
    assert blocker is not None
    assert blocker.key == "I"


def test_a_hold_on_every_account_explains_silent_e_and_f() -> None:
    silent = checks(E=Status.FAIL, F=Status.INCONCLUSIVE)
    held = (*silent, accounts_check(Status.PASS, explains=["E", "F"]))
    assert verdict_of(held) is Verdict.OPERATIONAL
    assert blocker_of(held) is None
    assert summary_line(report(held)) == (
        "certify: OPERATIONAL: 7 of 9 checks passed; E, F explained by a hold on every account (I)"
    )
    # a hold does not excuse anything else
    broken = (*checks(E=Status.FAIL, G=Status.FAIL), accounts_check(Status.PASS, explains=["E"]))
    assert verdict_of(broken) is Verdict.NOT_OPERATIONAL
    found = blocker_of(broken)
    assert found is not None
    assert found.key == "G"
