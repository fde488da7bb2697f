"""Checks G (ghosts) and H (stuck and duplicate permits): nothing posted that should not."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from xbot.certify.check_review import review_proof
from xbot.certify.context import Context, too_early
from xbot.certify.evidence import QueryRunner
from xbot.certify.facts_safety import Duplicate, Ghost, GhostFacts, StuckFacts
from xbot.certify.model import CheckResult, Status
from xbot.certify.rows import count
from xbot.certify.windows import describe

Prior = Mapping[str, CheckResult]


def check_ghosts(run: QueryRunner, context: Context, prior: Prior) -> CheckResult:
    """Check G: the scan ran in its window; no unacknowledged ghost since deploy (or the window)."""
    # a fresh `deploy mark` must not hide a ghost found just before it
    since = context.since_at_least(context.windows.ghost_scan)
    scans = run(
        "ghost_scans",
        window_start=context.window_start(context.windows.ghost_scan),
        account=context.account,
    )
    ghosts = run("unacknowledged_ghosts", since=since, account=context.account)
    blocked = run("blocked_attempts", since=since, account=context.account)
    facts = GhostFacts(
        accounts=tuple(str(row["handle"]) for row in scans.rows),
        unscanned=tuple(str(row["handle"]) for row in scans.rows if not row["scans"]),
        ghosts=tuple(Ghost.from_row(row) for row in ghosts.rows),
        blocked={str(row["event_type"]): count(row, "attempts") for row in blocked.rows},
    )
    status, explanation = judge_ghosts(facts, context, prior)
    return CheckResult(
        key="G",
        title="Ghosts",
        status=status,
        explanation=explanation,
        evidence=(scans, ghosts, blocked),
        facts=facts,
        # a ghost stays until an operator acknowledges it: waiting cannot clear it
        permanent=status is Status.FAIL and bool(facts.ghosts),
    )


def judge_ghosts(facts: GhostFacts, context: Context, prior: Prior) -> tuple[Status, str]:
    """Decide G: a scan that never ran proves nothing, so it cannot pass."""
    window = describe(context.windows.ghost_scan)
    since = context.since_at_least(context.windows.ghost_scan)
    blocked = sum(facts.blocked.values())
    listed = f"; blocked attempts: {blocked}" + (
        f" ({', '.join(f'{kind} {attempts}' for kind, attempts in facts.blocked.items())})"
        if blocked
        else ""
    )
    if facts.ghosts:
        ids = ", ".join(ghost.post_id for ghost in facts.ghosts[:5])
        return Status.FAIL, (
            f"{len(facts.ghosts)} unacknowledged ghost(s) since "
            f"{since:%Y-%m-%d %H:%M} UTC: {ids}{listed}"
        )
    if not facts.accounts:
        return Status.FAIL, f"no enabled account, so no ghost scan can run{listed}"
    if facts.unscanned:
        handles = ", ".join(facts.unscanned)
        if too_early(context, prior, timedelta(seconds=context.intervals.ghost_scan)):
            return (
                Status.INCONCLUSIVE,
                (
                    f"no ghost scan yet for {handles}: "
                    "the worker booted less than one scan interval ago"
                ),
            )
        return Status.FAIL, f"the ghost scan did not run in the last {window} for {handles}{listed}"
    return Status.PASS, (
        f"ghost scan ran in the last {window} for {len(facts.accounts)} account(s); "
        f"no unacknowledged ghost since {since:%Y-%m-%d %H:%M} UTC{listed}"
    )


def check_stuck(run: QueryRunner, context: Context, prior: Prior) -> CheckResult:
    """Check H: no POSTING past lease, no UNKNOWN past the reconcile window, no double post.

    And every reviewed post is the approved text (xbot.certify.check_review).

    A double post is a target with more than one distinct reply from the account since the
    deployment: bot replies (USED permits) and ghost replies (ghost_tweets.in_reply_to) together.
    """
    del prior
    stale_before = context.now - context.windows.reconcile
    stuck = run(
        "stuck_permits", now=context.now, stale_before=stale_before, account=context.account
    )
    duplicates = run("duplicate_posts", since=context.since_deploy(), account=context.account)
    reviewed = review_proof(run, context)
    facts = StuckFacts(
        stuck=tuple(str(row["permit_id"]) for row in stuck.rows if row["state"] == "stuck"),
        reconciling=tuple(str(row["permit_id"]) for row in stuck.rows if row["state"] != "stuck"),
        duplicates=tuple(Duplicate.from_row(row) for row in duplicates.rows),
        reviewed_posts=reviewed.reviewed,
        review_violations=tuple(reviewed.violations),
    )
    status, explanation = judge_stuck(facts, context)
    return CheckResult(
        key="H",
        title="Stuck and duplicate",
        status=status,
        explanation=explanation,
        evidence=(stuck, duplicates, reviewed.evidence),
        facts=facts,
        permanent=bool(reviewed.violations),
    )


def judge_stuck(facts: StuckFacts, context: Context) -> tuple[Status, str]:
    """Decide H: open outcomes younger than the reconcile window are still being resolved."""
    window = describe(context.windows.reconcile)
    violations = facts.review_violations
    if violations:
        more = f" (and {len(violations) - 3} more)" if len(violations) > 3 else ""
        return Status.FAIL, "not the approved text: " + "; ".join(violations[:3]) + more
    if facts.duplicates:
        targets = ", ".join(_answered_twice(row) for row in facts.duplicates[:5])
        return (
            Status.FAIL,
            f"{len(facts.duplicates)} target(s) answered more than once: {targets}",
        )
    if facts.stuck:
        permits = ", ".join(facts.stuck[:5])
        return Status.FAIL, (
            f"{len(facts.stuck)} permit(s) POSTING past their lease or UNKNOWN for more than "
            f"{window}: {permits}"
        )
    if facts.reconciling:
        return Status.INCONCLUSIVE, (
            f"{len(facts.reconciling)} permit(s) await reconcile (POSTING past lease or UNKNOWN "
            f"for less than {window}): {', '.join(facts.reconciling[:5])}"
        )
    reviewed = facts.reviewed_posts
    approved = f"; {reviewed} reviewed post(s) are the approved text" if reviewed else ""
    return Status.PASS, (
        "no POSTING past its lease, no UNKNOWN permit, no target answered twice (bot and ghost "
        "replies together) since "
        f"{context.since_deploy():%Y-%m-%d %H:%M} UTC{approved}"
    )


def _answered_twice(row: Duplicate) -> str:
    """Return "target (N bot replies, M ghost replies)" for one target answered twice."""
    bots, ghosts = row.used_permits, row.ghost_replies
    return f"{row.target_post_id} ({bots} bot, {ghosts} ghost replies)"
