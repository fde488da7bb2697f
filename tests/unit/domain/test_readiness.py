"""The one SHA rule the fence and check A share, and what a missing deployment means."""

from __future__ import annotations

import pytest

from xbot.domain.errors import ConfigError
from xbot.domain.readiness import (
    is_sha,
    posting_blockers,
    posting_notes,
    resolve_declared_sha,
    sha_matches,
)

FULL = "1ac7e75d2c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f"


@pytest.mark.parametrize(
    ("running", "declared", "matches"),
    [
        (FULL, FULL, True),
        (FULL, FULL[:7], True),
        (FULL, FULL[:7].upper(), True),
        (FULL[:12], FULL, True),
        (FULL, FULL[:6], False),
        (FULL, "1ac7e76", False),
        ("unknown", "unknown", False),
        (None, FULL, False),
        (FULL, "", False),
    ],
)
def test_sha_matches_compares_by_prefix_of_at_least_seven(
    running: str | None, declared: str | None, *, matches: bool
) -> None:
    assert sha_matches(running, declared) is matches


def test_a_short_declared_sha_does_not_stop_the_worker_that_runs_it() -> None:
    blockers = posting_blockers(
        role="worker", running_sha=FULL, declared_sha=FULL[:7], kill_switch_on=False
    )
    assert blockers == []


def test_no_deployment_is_a_note_unless_required_then_a_blocker() -> None:
    def blockers(*, required: bool) -> list[str]:
        return posting_blockers(
            role="worker",
            running_sha=FULL,
            declared_sha=None,
            kill_switch_on=False,
            require_deploy_mark=required,
        )

    assert blockers(required=False) == []
    assert posting_notes(declared_sha=None) == ["deploy_unmarked"]
    assert blockers(required=True) == ["deploy_unmarked"]
    assert posting_notes(declared_sha=None, require_deploy_mark=True) == []
    assert posting_notes(declared_sha=FULL) == []


@pytest.mark.parametrize(
    ("value", "valid"),
    [("1ac7e75", True), (FULL, True), ("a" * 64, True), ("1ac7e7", False), ("nothex1", False)],
)
def test_is_sha_takes_7_to_64_hex_digits(value: str, *, valid: bool) -> None:
    assert is_sha(value) is valid


def test_resolve_prefers_the_sha_a_worker_booted_with() -> None:
    declared = resolve_declared_sha(FULL[:7], [FULL, "ffff" * 10], lambda: "")
    assert (declared.sha, declared.source) == (FULL, "workers")


def test_resolve_asks_git_then_keeps_the_prefix() -> None:
    assert resolve_declared_sha(FULL[:7], [], lambda: FULL).source == "git"
    kept = resolve_declared_sha(FULL[:7].upper(), [], lambda: "")
    assert (kept.sha, kept.source) == (FULL[:7], "given")
    other = resolve_declared_sha(FULL[:7], [], lambda: "b" * 40)
    assert other.source == "given"


def test_resolve_refuses_an_ambiguous_prefix() -> None:
    with pytest.raises(ConfigError, match="ambiguous"):
        resolve_declared_sha("abcdef1", ["abcdef1" + "1" * 33, "abcdef1" + "2" * 33], lambda: "")
