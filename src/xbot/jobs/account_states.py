"""Read what each account's state depends on and decide it (`domain.account_state`).

/ready and the watchdog's report call `read_account_states`; certification reads the same
facts with its own SQL (xbot.certify.check_accounts) and calls the same function.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from xbot.config import Settings
from xbot.domain.account_state import AccountFacts, AccountState, account_state
from xbot.domain.budgets import BudgetRules
from xbot.domain.cost import cost_stop
from xbot.domain.labels import is_live
from xbot.domain.policy import GeneratorKind, PlatformName, PolicyBlock, account_block
from xbot.domain.stores import Store
from xbot.jobs.base import Account
from xbot.jobs.costs import account_caps, account_card

DAY = timedelta(days=1)


def read_account_states(  # noqa: PLR0913 - the fence's inputs come from the caller's process
    store: Store,
    accounts: Sequence[Account],
    settings: Settings,
    *,
    fence: Sequence[str],
    fence_since: datetime | None,
    now: datetime,
) -> list[AccountState]:
    """Return each account's state now; `fence` is `posting_blockers` without the kill switch."""
    switch = store.accounts.kill_switch()
    standing = store.accounts.faults()
    stops = store.usage.cost_stops()
    states = []
    for account in accounts:
        account_id = account.account_id
        facts = AccountFacts(
            account=account.key,
            fence=[reason for reason in fence if reason != "kill_switch"],
            fence_since=fence_since,
            kill_switch=switch,
            fault=standing.get(account_id),
            policy=policy_block(account, settings),
            cost=cost_stop(store.usage.spend(account_id, now), account_caps(settings, account),
                           account_card(settings, account), refused=stops.get(account_id),
                           now=now),
            history=store.decisions.posting_history(account_id, now - DAY),
            rules=BudgetRules.from_settings(account.settings.budgets),
            waiting=[waiting.intent() for waiting in store.candidates.queued(account_id, now)],
        )  # fmt: skip
        states.append(account_state(facts, now=now))
    return states


def policy_block(account: Account, settings: Settings) -> PolicyBlock | None:
    """Return why platform policy forbids the account to post, or None."""
    return account_block(
        PlatformName(account.platform),
        GeneratorKind(account.settings.generator),
        ai_replies_approved=settings.x.ai_replies_approved,
        label_attested=settings.x.automated_label_attested,
        live=is_live(account.settings.base_url),
    )
