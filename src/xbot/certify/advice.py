"""Next actions for the blocker: specific to the check, naming the commands to run."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from xbot.certify.check_accounts import accounts_advice
from xbot.certify.context import is_unknown_sha, sha_matches
from xbot.certify.facts_compliance import ComplianceFacts
from xbot.certify.facts_deploy import RunningShaFacts
from xbot.certify.facts_pipeline import FetchFacts, TraceChainFacts
from xbot.certify.facts_safety import GhostFacts, StuckFacts
from xbot.certify.model import CheckResult, Status, facts_of
from xbot.certify.verdict import shadow_accounts
from xbot.config import SHA_ENVIRONMENT_VARIABLES
from xbot.events import JobPrefix

RERUN = "Re-run `xbot certify` (as a post-deploy gate: `xbot certify --wait 10m`)."
WAIT = "It is too early to tell: `xbot certify --wait 15m` re-checks until it can."
READY = (
    "Ask the worker what runs and why not: `curl http://WORKER_HOST:PORT/health`, then `/ready` "
    "(jobs enabled, posting allowed and the reasons)."
)
NO_BOOT = [
    (
        "Start a worker: `xbot worker` (or `xbot run`, worker and web in one process). It answers "
        "/health first, then migrates or verifies the schema and writes its boot heartbeat."
    ),
    READY,
    (
        "If the platform shows the service as running, read its logs: a worker that cannot "
        "reach XBOT_DATABASE_URL never writes its boot heartbeat."
    ),
]


def next_actions(blocker: CheckResult | None) -> tuple[str, ...]:
    """Return concrete steps for the blocker, or how to keep certifying when nothing blocks."""
    if blocker is None:
        return (
            (
                "Nothing blocks production. Gate every deploy on it: `xbot deploy mark --sha SHA` "
                "from CI/CD, then `xbot certify --wait 10m`."
            ),
        )
    return (*ADVICE[blocker.key](blocker), RERUN)


def shadow_actions(checks: Sequence[CheckResult]) -> tuple[str, ...]:
    """Return how to take each shadow account live (the verdict says SHADOW while one is)."""
    shadow = [name for check in checks for name in shadow_accounts(check)]
    return tuple(
        f"{name} is in shadow mode and posts nothing: `xbot mode {name} live --by NAME` when "
        "its shadowed replies (`xbot trace PERMIT`) look right."
        for name in shadow
    )


def _review(check: CheckResult) -> list[str]:
    if not facts_of(check, StuckFacts).review_violations:
        return []
    return [
        (
            "A reviewed post went out without the approved text: read J's rows, "
            "`xbot trace PERMIT` each one, and find who changed the text after approval; "
            "keep the account in shadow mode (`xbot mode ACCOUNT shadow`) until you know."
        )
    ]


def _running_sha(check: CheckResult) -> list[str]:
    facts = facts_of(check, RunningShaFacts)
    running = facts.running_sha
    if facts.booted_at is None:
        return NO_BOOT
    undeclared = facts.expected_sha is None or facts.require_deploy_mark
    if facts.declared_sha is None and undeclared and not is_unknown_sha(running):
        required = (
            " and require_deploy_mark refuses every claim until one is"
            if facts.require_deploy_mark
            else ""
        )
        return [
            (
                f"The worker runs `{running}` (source: {facts.sha_source}); no deployment is "
                f"declared to compare it with{required}."
            ),
            (
                f"Declare it from CI/CD after each release: `xbot deploy mark --sha {running}` "
                "(or check once with `xbot certify --expect-sha SHA`)."
            ),
        ]
    if is_unknown_sha(running):
        variables = ", ".join(SHA_ENVIRONMENT_VARIABLES)
        return [
            (
                f"The worker {facts.worker_id} cannot tell which commit it runs. Let the build "
                f"set one of {variables} (never by hand), then restart the worker."
            ),
            READY,
        ]
    if sha_matches(running, facts.expected_sha):
        return [
            (
                f"The worker runs `{running}` as --expect-sha says, but the active deployment "
                f"declares `{facts.declared_sha}`: the fence refuses its claims."
            ),
            f"Declare what runs: `xbot deploy mark --sha {running}`.",
        ]
    return _sha_mismatch(facts)


def _sha_mismatch(facts: RunningShaFacts) -> list[str]:
    running, expected, source = facts.running_sha, facts.expected_sha, facts.sha_source
    declared = "given by --expect-sha"
    if facts.expected_from == "deployment":
        declared = (
            f"declared {facts.declared_at:%Y-%m-%d %H:%M:%S} UTC "
            f"by {facts.declared_by or 'an unnamed operator'}"
        )
    actions = [
        (
            f"The newest worker ({facts.worker_id} on {facts.host}, booted "
            f"{facts.booted_at:%Y-%m-%d %H:%M:%S} UTC) runs `{running}`, read from {source}; "
            f"the expected SHA is `{expected}` ({declared})."
        ),
        (
            f"If `{expected}` is the code you meant to ship, the workers did not restart on it: "
            "restart them (e.g. `railway redeploy -s SERVICE`, or stop and start `xbot worker`) "
            "and watch for the new boot heartbeat with `xbot certify --wait 10m`."
        ),
        f"If `{running}` is the right code, declare it: `xbot deploy mark --sha {running}`.",
    ]
    # provenance records environment sources as "env:NAME"
    if str(source).removeprefix("env:") == "XBOT_GIT_SHA":
        actions.append(
            "XBOT_GIT_SHA overrides the platform's commit variable: pinned by hand, it makes "
            "every boot report the same SHA. Set it in the build, or unset it."
        )
    return actions


def _worker_alive(check: CheckResult) -> list[str]:
    if check.status is Status.INCONCLUSIVE:
        return [WAIT]
    return [
        "Start or restart the worker on the deployed SHA: `xbot worker`.",
        READY,
        (
            "The watchdog job must be enabled (XBOT_ENABLED_JOBS empty means every job). Compare "
            "`SELECT worker_id, git_sha, heartbeat_at FROM workers ORDER BY heartbeat_at DESC`."
        ),
    ]


def _fetch(check: CheckResult) -> list[str]:
    if check.status is Status.INCONCLUSIVE:
        return [WAIT]
    reason = facts_of(check, FetchFacts).failure_reason
    return [
        *([f"The last fetch failed: {reason}."] if reason else []),
        READY,
        "Run `xbot config show`: each account must be enabled and its credential variables set.",
        (
            "Read the fetch job's events: `SELECT created_at, event_type, event_data FROM "
            f"system_events WHERE event_type LIKE '{JobPrefix.FETCH}_%' ORDER BY created_at DESC "
            "LIMIT 10`."
        ),
    ]


def _queue(check: CheckResult) -> list[str]:
    if check.status is Status.INCONCLUSIVE:
        return [
            (
                "Nothing new to reply to. Mention the bot from another account (X self-serve tiers "
                "answer only posts that mention or quote it), then `xbot certify --wait 15m`."
            ),
        ]
    return [
        (
            "Candidates were queued but neither kept nor taken: read their statuses and skip "
            "reasons in D's rows (a candidate_ttl_minutes shorter than the schedule expires them)."
        ),
        READY,
    ]


def _scheduler(check: CheckResult) -> list[str]:
    if check.status is Status.INCONCLUSIVE:
        return [WAIT]
    return [
        READY,
        (
            "No permit was accepted: check the budgets (per_hour, per_day, quiet_hours), the "
            "policy (x.tier, x.ai_replies_approved), the kill switch (`xbot resume` turns it "
            "off) and the blocked attempts listed under G."
        ),
        (
            "Read the scheduler's events: `SELECT created_at, event_type, event_data FROM "
            f"system_events WHERE event_type LIKE '{JobPrefix.SCHEDULE}_%' ORDER BY created_at "
            "DESC LIMIT 10`."
        ),
    ]


def _trace_chain(check: CheckResult) -> list[str]:
    if check.status is Status.INCONCLUSIVE:
        return [WAIT]
    permit = facts_of(check, TraceChainFacts).permit
    return [
        *([f"Follow the newest permit: `xbot trace {permit}`."] if permit else []),
        (
            "Permits are issued but not posted: read the blocked attempts under G "
            "(posting_blocked_stale_code means the worker's SHA is not the deployment's)."
        ),
        (
            "Read the newest permits: `SELECT permit_id, status, failure_reason, not_before FROM "
            "post_attempts ORDER BY created_at DESC LIMIT 10`."
        ),
        READY,
    ]


def _ghosts(check: CheckResult) -> list[str]:
    if check.status is Status.INCONCLUSIVE:
        return [WAIT]
    ghosts = facts_of(check, GhostFacts).ghosts
    if ghosts:
        first = ghosts[0].id
        return [
            "Something posted on the account without a permit: read each ghost in G's rows.",
            (
                f"If a person posted it, acknowledge it: `xbot ghosts ack {first} --by NAME` "
                "(one per ghost; `xbot ghosts list` shows them all)."
            ),
            (
                "Otherwise another process holds the account's credentials: rotate the tokens and "
                "stop that process first."
            ),
        ]
    return [
        (
            "The ghost scan must run for every enabled account: the ghost_scan job enabled, and "
            "credentials allowed to read the account's own posts."
        ),
        READY,
    ]


def _stuck(check: CheckResult) -> list[str]:
    if check.status is Status.INCONCLUSIVE:
        return [WAIT]
    facts = facts_of(check, StuckFacts)
    stuck = facts.stuck
    if facts.review_violations:
        return _review(check)
    if facts.duplicates:
        return [
            (
                "A target got more than one reply: delete the extra reply on the platform, then "
                "find out how (`xbot migrate` restores the constraints if the schema drifted)."
            ),
        ]
    return [
        (
            "The reconcile job must run (see /ready): it reads back each open permit and never "
            "re-sends one whose outcome is unknown. Do not re-post by hand."
        ),
        *([f"Follow the oldest one: `xbot trace {stuck[0]}`."] if stuck else []),
        READY,
    ]


def _compliance(check: CheckResult) -> list[str]:
    facts = facts_of(check, ComplianceFacts)
    if facts.violations:
        first = facts.violations[0]
        return [
            (
                f"Follow the first broken rule: `xbot trace {first.permit_id}`; delete the "
                "reply on the platform if it should not stand."
            ),
            (
                "Opted-out authors: `xbot optouts list`. Bots, #nobot and threadgates are "
                "skipped at fetch: a violation means a rule was off or changed after the decision."
            ),
        ]
    if facts.unlabelled or facts.unchecked:
        return [
            (
                "Label the accounts: `xbot accounts check` (labels.apply = true writes Bluesky's "
                "and Mastodon's label; X needs x.automated_label_attested = true once the "
                "Automated label is set in X's settings)."
            )
        ]
    return ["Wait for the next post: J checks the posts in the window, and there were none."]


ADVICE: dict[str, Callable[[CheckResult], list[str]]] = {
    "A": _running_sha,
    "B": _worker_alive,
    "C": _fetch,
    "D": _queue,
    "E": _scheduler,
    "F": _trace_chain,
    "G": _ghosts,
    "H": _stuck,
    "I": accounts_advice,
    "J": _compliance,
}
