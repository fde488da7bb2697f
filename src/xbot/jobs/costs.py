"""The cost governor's part in the jobs: write what calls cost, and ask whether a cap stops one.

Charges wait in the account's meter (xbot.domain.meter) from the call until the job's own
transaction: `written_charges` takes them for that transaction and gives them back if it rolls
back. The caps are xbot.domain.cost's; this module only reads the settings.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from xbot.config import Settings
from xbot.domain.cost import (
    Charge,
    CostCaps,
    CostStop,
    Spend,
    cap_block,
    cost_stop,
    refused_stop,
    reply_charge,
)
from xbot.domain.errors import CreditsDepleted, UsageCapExceeded
from xbot.domain.permits import PermitReply
from xbot.domain.rate_card import WRITES, RateCard, rate_card
from xbot.events import EventType
from xbot.jobs.base import Account, JobContext, account_meter, log_event, require_account, run_event


@contextmanager
def written_charges(context: JobContext, account: Account | None) -> Iterator[list[Charge]]:
    """Take the account's pending charges for a transaction; give them back if it fails."""
    meter = account_meter(context, account) if account is not None else None
    taken = meter.take() if meter is not None else []
    try:
        yield taken
    except BaseException:
        if meter is not None:
            meter.give_back(taken)
        raise


def account_card(settings: Settings, account: Account) -> RateCard:
    """Return the account's platform rate card with the configured overrides."""
    return rate_card(account.platform, settings.cost.prices_for(account.platform))


def account_caps(settings: Settings, account: Account) -> CostCaps:
    """Return the account's caps and the global ones, in micro-dollars."""
    mine, overall = account.settings.cost, settings.cost
    return CostCaps.from_usd(
        (mine.daily_usd, mine.monthly_usd), (overall.daily_usd, overall.monthly_usd)
    )


def stop_spending(context: JobContext, account_id: int, error: BaseException) -> None:
    """Record X's refusal to be paid (402, UsageCapExceeded): no call until the next UTC day.

    The error path only, so it has its own transaction; `xbot resume` lifts the stop early.
    """
    kind = "usage_cap_exceeded" if isinstance(error, UsageCapExceeded) else "credits_depleted"
    stop = refused_stop(f"{kind}: {str(error)[:120]}", now=context.now)
    data = {"reason": "cost_cap", "detail": stop.detail, "until": stop.until.isoformat()}
    event = run_event(context, EventType.ACCOUNT_BLOCKED, data, component="cost",
                      account_id=account_id, severity="error")  # fmt: skip
    context.store.usage.set_cost_stop(account_id, stop, context.worker.worker_id, event)
    log_event(context, EventType.ACCOUNT_BLOCKED, data, component="cost",
              account_id=account_id, severity="error")  # fmt: skip


def spending_refused(error: BaseException | None) -> bool:
    """Return True when a platform error says the account may not spend (402, usage cap)."""
    return isinstance(error, CreditsDepleted)


def read_stop(context: JobContext, account: Account) -> CostStop | None:
    """Return why the account may not read now (a fetch backs off), or None."""
    spend = context.store.usage.spend(account.account_id, context.now)
    refused = context.store.usage.cost_stops().get(account.account_id)
    card = account_card(context.settings, account)
    caps = account_caps(context.settings, account)
    return cost_stop(spend, caps, card, refused=refused, now=context.now)


def reply_price(context: JobContext, reply: PermitReply) -> int:
    """Return what publishing this reply will cost, in micro-dollars (what its claim reserves)."""
    card = account_card(context.settings, require_account(context))
    summoned = reply.target_meta.get("summoned") is True
    return reply_charge(card, reply.reply_text, summoned=summoned).cost_micro


def has_global_caps(settings: Settings) -> bool:
    """Return True when a cap limits all accounts together (claims then run one at a time)."""
    return settings.cost.daily_usd is not None or settings.cost.monthly_usd is not None


def claim_cost_refusal(
    context: JobContext, price: int, spend: Spend, stop: CostStop | None
) -> str | None:
    """Return why a reply of `price` may not be paid: X refused payment, or a cap would be crossed.

    `spend` (with the reservations of claims not yet recorded) and `stop` come from the claim's
    own read (xbot.store.queries.claims): no round trip.
    """
    if stop is not None and stop.stands(context.now):
        return stop.detail
    caps = account_caps(context.settings, require_account(context))
    block = cap_block(spend, caps, next_cost=price, now=context.now)
    return block.describe() if block is not None else None


def write_cost(charges: Sequence[Charge]) -> dict[str, int | str]:
    """Return what the publish cost, for the outcome's event (`xbot trace` reads it)."""
    writes = [charge for charge in charges if charge.endpoint_class in WRITES]
    if not writes:
        return {}
    return {
        "cost_micro_usd": sum(charge.cost_micro for charge in writes),
        "billed_as": writes[-1].endpoint_class.value,
    }
