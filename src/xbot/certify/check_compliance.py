"""Check J (compliance): no USED permit broke a platform rule, and every account is labelled.

Issue 15's check (named J because I is "Accounts can post"). Over the posts of F's window
(since the deployment, never before the SHA first booted): no reply to an author who had opted
out before the decision (but the one confirmation of their stop message: a candidate flagged so
that is the very post which recorded the opt-out through that account), to a bot (unless the
account answers bots), to a `#nobot` author, into a threadgated thread; on X at most one
cashtag (platform-facts §1.7, §5.2); no link outside the account's `allowed_domains` (unless
`allow_links`), and on X no URL unless the account's `cost.allow_url_posts` (X bills it $0.20,
platform-facts §5.1). Every account's newest label check
found its label (Bluesky `bot` self-label, Mastodon `bot` flag, X attested); X accounts on a
local fake need none. Spend today and this month is under every cost cap (per account and
global; platform-facts §5.1): a spend past a cap fails J. With no post in the window it is
INCONCLUSIVE: it never passes vacuously.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from xbot.certify.context import Context, evidence_since
from xbot.certify.evidence import QueryRunner
from xbot.certify.facts_compliance import ComplianceFacts, Violation
from xbot.certify.model import CheckResult, Status
from xbot.certify.spend import account_settings, overspent, spend_line, spend_parameters
from xbot.config import AccountSettings
from xbot.domain.labels import LabelState

Prior = Mapping[str, CheckResult]
#: X self-serve posts may carry one cashtag (platform-facts §1.7)
X_MAX_CASHTAGS = 1


def check_compliance(run: QueryRunner, context: Context, prior: Prior) -> CheckResult:
    """Check J: the window's posts broke no rule, and every account carries its bot label."""
    since = evidence_since(context, prior, context.windows.fetch)
    posts = run("compliance_posts", since=since, account=context.account)
    labels = run("label_checks", account=context.account)
    spend = run("account_spend", **spend_parameters(context))
    unlabelled = _unlabelled(labels.rows)
    facts = ComplianceFacts(
        since=since,
        posts=len(posts.rows),
        violations=tuple(v for row in posts.rows for v in violations(row, unlabelled)),
        unlabelled=tuple(sorted(unlabelled.values())),
        unchecked=tuple(_key(row) for row in labels.rows if row["label"] is None),
        accounts=tuple(_key(row) for row in labels.rows),
        overspent=tuple(overspent(spend.rows, context)),
        spend=spend_line(spend.rows, context, lambda row: account_settings(context, row)),
    )
    status, explanation = judge_compliance(facts)
    return CheckResult(
        key="J",
        title="Compliance",
        status=status,
        explanation=explanation,
        evidence=(posts, labels, spend),
        facts=facts,
        # a post that broke a rule stays in the window: waiting cannot clear it
        permanent=status is Status.FAIL and bool(facts.violations),
    )


def violations(row: Mapping[str, Any], unlabelled: Mapping[int, str]) -> list[Violation]:
    """Return the rules one USED permit broke, each with a detail."""
    # the link finder compiles ~30 regexes on import: only a window with posts pays for it
    from xbot.domain.links import find_cashtags, find_links  # noqa: PLC0415

    settings = _settings(row["account_settings"], row["platform"], row["handle"])
    meta = _json(row["target_meta"])
    text = str(row["reply_text"] or "")
    author = f"@{row['author_handle']} ({row['author_id']})"
    broken = [
        (row["opted_out_at"] is not None and not _confirmation(row, meta), "opted_out",
         f"{author} had opted out"),
        (bool(meta.get("author_is_bot")) and not settings.reply_to_bots, "bot_author",
         f"{author} is a bot"),
        (bool(meta.get("author_nobot")), "author_nobot", f"{author} asks for #nobot"),
        (bool(meta.get("reply_disabled")), "threadgate", "the thread's gate forbade the reply"),
        (row["platform"] == "x" and len(find_cashtags(text)) > X_MAX_CASHTAGS, "cashtags",
         f"{len(find_cashtags(text))} cashtags"),
        (_unallowed_links(text, settings), "link", "a link outside allowed_domains"),
        (row["platform"] == "x" and bool(find_links(text)) and not settings.cost.allow_url_posts,
         "url_cost", "a URL (billed $0.20 on X) without cost.allow_url_posts"),
        (row["account_id"] in unlabelled, "unlabelled_account",
         f"{unlabelled.get(row['account_id'])}"),
    ]  # fmt: skip
    return [
        Violation(permit_id=str(row["permit_id"]), account=f"{row['platform']}:{row['handle']}",
                  rule=rule, detail=detail)
        for failed, rule, detail in broken
        if failed
    ]  # fmt: skip


def _confirmation(row: Mapping[str, Any], meta: Mapping[str, Any]) -> bool:
    # the one reply to the stop message itself (xbot.domain.confirmations); any other is a breach
    from xbot.domain.candidates import CONFIRMATION_FLAG  # noqa: PLC0415 - only with posts

    return meta.get(CONFIRMATION_FLAG) is True and int(row.get("confirms_opt_out") or 0) > 0


def judge_compliance(facts: ComplianceFacts) -> tuple[Status, str]:
    """Decide J: a broken rule or a missing label fails; nothing to check is inconclusive."""
    since = f"{facts.since:%Y-%m-%d %H:%M} UTC"
    if facts.violations:
        shown = "; ".join(
            f"{item.permit_id} {item.rule} ({item.detail})" for item in facts.violations[:5]
        )
        return Status.FAIL, f"{len(facts.violations)} rule(s) broken since {since}: {shown}"
    if facts.unlabelled:
        return Status.FAIL, "bot label not verified: " + "; ".join(facts.unlabelled)
    if facts.overspent:
        return Status.FAIL, "spend over a cost cap: " + "; ".join(facts.overspent)
    if facts.unchecked:
        return Status.INCONCLUSIVE, (
            "no bot-label check recorded for "
            + ", ".join(facts.unchecked)
            + ": run `xbot accounts check` (a worker checks at every boot)"
        )
    if not facts.posts:
        return Status.INCONCLUSIVE, f"no post since {since} to check against the rules"
    spend = f"; {facts.spend} (under every cap)" if facts.spend else ""
    return Status.PASS, (
        f"{facts.posts} post(s) since {since} broke no rule (opt-outs, bots, #nobot, "
        f"threadgates, cashtags, links, URL cost); labels verified for "
        f"{', '.join(facts.accounts)}{spend}"
    )


def _unlabelled(rows: Sequence[Mapping[str, Any]]) -> dict[int, str]:
    """Return {account id: why} for accounts whose newest label check found no label."""
    found = {}
    for row in rows:
        label = _json(row["label"])
        if row["label"] is None or _labelled(row["platform"], label):
            continue
        detail = f": {label['detail']}" if label.get("detail") else ""
        found[int(row["account_id"])] = f"{_key(row)} {label.get('state')}{detail}"
    return found


def _labelled(platform: str, label: Mapping[str, Any]) -> bool:
    try:
        ok = LabelState(str(label.get("state"))).ok
    except ValueError:
        return False
    # an X account on a local fake has no label to carry (domain.labels.is_live)
    return ok or (platform == "x" and label.get("live") is False)


def _unallowed_links(text: str, settings: AccountSettings) -> bool:
    if settings.allow_links:
        return False
    from xbot.domain.links import find_disguised_links  # noqa: PLC0415 - see violations

    return bool(find_disguised_links(text, allowed_domains=settings.allowed_domains))


def _settings(raw: Any, platform: str, handle: str) -> AccountSettings:
    """Return the account's settings as synced into `accounts.settings` (defaults if unreadable)."""
    try:
        return AccountSettings.model_validate(_json(raw))
    except ValidationError:
        return AccountSettings.model_validate({"platform": platform, "handle": handle})


def _json(raw: Any) -> dict[str, Any]:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    return dict(raw) if isinstance(raw, Mapping) else {}


def _key(row: Mapping[str, Any]) -> str:
    return f"{row['platform']}:{row['handle']}"
