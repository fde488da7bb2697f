"""Budgets: whether the account may post one more reply now, computed from its permits alone.

The history is every permit that did or may still publish (PENDING, POSTING, USED, UNKNOWN; a
shadow account's SHADOWED ones, as if posted), each at its local claim time (`Permit.budget_at`:
`claimed_at` on the database clock, else `used_at`, else its creation), never the platform's
timestamp of the post, so a platform clock hours off cannot move a post out of the window.
Nothing else is counted, so the budget means the same in the scheduler and at claim time
(DESIGN §4.2, §13). A permit awaiting review is in the history but not counted
(`ReplyRecord.counted`): it holds its target, thread and author, and spends no budget until a
person approves it and a worker claims it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from xbot.domain.clock import ensure_utc
from xbot.domain.errors import ConfigError

if TYPE_CHECKING:
    from xbot.config import BudgetSettings

UTC_ZONE = ZoneInfo("UTC")
_QUIET_HOURS = re.compile(r"(\d{2}):(\d{2})\s*-\s*(\d{2}):(\d{2})")
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


class RefusalReason(StrEnum):
    """Why the budget refuses a reply now."""

    TARGET_ALREADY_REPLIED = "target_already_replied"  #: one reply per interaction
    #: a ghost reply (made outside xbot) answers the target already (xbot.domain.answered)
    TARGET_ALREADY_ANSWERED = "target_already_answered"
    THREAD_ALREADY_REPLIED = "thread_already_replied"  #: one reply per thread
    QUIET_HOURS = "quiet_hours"  #: the account's local night
    DAILY_BUDGET = "daily_budget"  #: per_day replies in the last 24 hours
    HOURLY_BUDGET = "hourly_budget"  #: per_hour replies in the last hour
    MIN_GAP = "min_gap"  #: the last reply was too recent
    AUTHOR_COOLDOWN = "author_cooldown"  #: replied to this author too recently
    AUTHOR_DAILY_CAP = "author_daily_cap"  #: per_author_per_day replies to this author in 24 h

    @property
    def account_wide(self) -> bool:
        """Return True when no candidate can pass now (not only this one)."""
        return self in _ACCOUNT_WIDE


_ACCOUNT_WIDE = frozenset(
    {
        RefusalReason.QUIET_HOURS,
        RefusalReason.DAILY_BUDGET,
        RefusalReason.HOURLY_BUDGET,
        RefusalReason.MIN_GAP,
    }
)


@dataclass(frozen=True, kw_only=True, slots=True)
class QuietHours:
    """A daily window in local time when the account does not post; may wrap midnight."""

    start: time
    end: time

    def contains(self, local: time) -> bool:
        """Return True when the local wall-clock time falls in the window."""
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


def parse_quiet_hours(spec: str) -> QuietHours | None:
    """Parse "23:00-07:00" (empty means none), or raise ConfigError naming the format."""
    if not spec.strip():
        return None
    bad = ConfigError(f"quiet_hours {spec!r} is not HH:MM-HH:MM (e.g. 23:00-07:00)")
    match = _QUIET_HOURS.fullmatch(spec.strip())
    if match is None:
        raise bad
    try:
        start, end = time(int(match[1]), int(match[2])), time(int(match[3]), int(match[4]))
    except ValueError:
        raise bad from None
    if start == end:
        raise ConfigError(f"quiet_hours {spec!r} is empty: start and end are equal")
    return QuietHours(start=start, end=end)


def parse_timezone(name: str) -> ZoneInfo:
    """Return the named IANA time zone, or raise ConfigError."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"timezone {name!r} is not an IANA time zone (e.g. Europe/Berlin)"
        ) from None


@dataclass(frozen=True, kw_only=True, slots=True)
class BudgetRules:
    """One account's budget (from BudgetSettings)."""

    per_hour: int = 4
    per_day: int = 30
    author_cooldown: timedelta = timedelta(hours=4)
    per_author_per_day: int = 3
    min_gap: timedelta = timedelta(seconds=60)
    quiet_hours: QuietHours | None = None
    timezone: ZoneInfo = UTC_ZONE

    @classmethod
    def from_settings(cls, settings: BudgetSettings) -> BudgetRules:
        """Build rules from an account's budgets; bad quiet hours or zone raise ConfigError."""
        return cls(
            per_hour=settings.per_hour,
            per_day=settings.per_day,
            author_cooldown=timedelta(minutes=settings.author_cooldown_minutes),
            per_author_per_day=settings.per_author_per_day,
            min_gap=timedelta(seconds=settings.min_gap_seconds),
            quiet_hours=parse_quiet_hours(settings.quiet_hours),
            timezone=parse_timezone(settings.timezone),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class ReplyRecord:
    """One permit that did or may still publish."""

    at: datetime
    author_id: str
    #: the thread the reply is in (conversation id, else the target post id)
    thread_id: str
    target_post_id: str
    #: False while the permit awaits review: it spends no budget yet
    counted: bool = True


@dataclass(frozen=True, kw_only=True, slots=True)
class ReplyIntent:
    """The reply the caller wants to make."""

    author_id: str
    thread_id: str
    target_post_id: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Grant:
    """The reply fits the budget now."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Refusal:
    """The reply does not fit; `retry_at` is when it might (None: never, for this candidate)."""

    reason: RefusalReason
    retry_at: datetime | None


def may_post(
    history: Iterable[ReplyRecord],
    intent: ReplyIntent,
    rules: BudgetRules,
    *,
    now: datetime,
    answered: Collection[str] = (),
) -> Grant | Refusal:
    """Return Grant when one more reply to `intent` keeps every budget, else the first Refusal.

    `answered` holds the targets a ghost reply answers already (never replied to again).
    """
    now = ensure_utc(now)
    records = list(history)
    if intent.target_post_id in answered:
        return Refusal(reason=RefusalReason.TARGET_ALREADY_ANSWERED, retry_at=None)
    if any(record.target_post_id == intent.target_post_id for record in records):
        return Refusal(reason=RefusalReason.TARGET_ALREADY_REPLIED, retry_at=None)
    if any(record.thread_id == intent.thread_id for record in records):
        return Refusal(reason=RefusalReason.THREAD_ALREADY_REPLIED, retry_at=None)
    refusal = account_refusal(records, rules, now=now)
    if refusal is not None:
        return refusal
    by_author = sorted(ensure_utc(r.at) for r in records if r.author_id == intent.author_id)
    cooldown = rules.author_cooldown
    used = _window_usage(by_author[::-1], 1, cooldown, now)
    daily = _window_usage(by_author[::-1], rules.per_author_per_day, DAY, now)
    return (
        _window_refusal(used, 1, cooldown, RefusalReason.AUTHOR_COOLDOWN)
        or _window_refusal(daily, rules.per_author_per_day, DAY, RefusalReason.AUTHOR_DAILY_CAP)
        or Grant()
    )


def account_refusal(
    history: Sequence[ReplyRecord], rules: BudgetRules, *, now: datetime
) -> Refusal | None:
    """Return why the account may not post any reply now, or None."""
    times = [record.at for record in history if record.counted]
    return usage_refusal(budget_usage(times, rules, now=now), rules, now=now)


@dataclass(frozen=True, kw_only=True, slots=True)
class WindowUsage:
    """The counted posts inside one budget window, as the window's rule needs them."""

    count: int
    #: the limit-th newest counted time in the window: the window frees a slot when it leaves;
    #: None when fewer than `limit` fall in it
    freeing: datetime | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class BudgetUsage:
    """The account's usage of its day, hour and gap windows (from a history, or counted in SQL)."""

    day: WindowUsage
    hour: WindowUsage
    gap: WindowUsage


def budget_windows(rules: BudgetRules) -> tuple[tuple[int, timedelta], ...]:
    """Return (limit, window) of the day, hour and gap rules, in BudgetUsage's order."""
    return ((rules.per_day, DAY), (rules.per_hour, HOUR), (1, rules.min_gap))


def budget_usage(times: Iterable[datetime], rules: BudgetRules, *, now: datetime) -> BudgetUsage:
    """Measure the windows from the posting times themselves; future times count too."""
    now = ensure_utc(now)
    moments = sorted((ensure_utc(moment) for moment in times), reverse=True)
    day, hour, gap = (
        _window_usage(moments, limit, window, now) for limit, window in budget_windows(rules)
    )
    return BudgetUsage(day=day, hour=hour, gap=gap)


def _window_usage(
    newest_first: Sequence[datetime], limit: int, window: timedelta, now: datetime
) -> WindowUsage:
    recent = [moment for moment in newest_first if moment > now - window]
    freeing = recent[limit - 1] if 0 < limit <= len(recent) else None
    return WindowUsage(count=len(recent), freeing=freeing)


def usage_refusal(usage: BudgetUsage, rules: BudgetRules, *, now: datetime) -> Refusal | None:
    """Return why the account may not post any reply now, from its window usage, or None."""
    now = ensure_utc(now)
    quiet_end = quiet_until(rules, now=now)
    if quiet_end is not None:
        return Refusal(reason=RefusalReason.QUIET_HOURS, retry_at=quiet_end)
    reasons = (RefusalReason.DAILY_BUDGET, RefusalReason.HOURLY_BUDGET, RefusalReason.MIN_GAP)
    measured = (usage.day, usage.hour, usage.gap)
    for (limit, window), used, reason in zip(budget_windows(rules), measured, reasons, strict=True):
        refusal = _window_refusal(used, limit, window, reason)
        if refusal is not None:
            return refusal
    return None


def quiet_until(rules: BudgetRules, *, now: datetime) -> datetime | None:
    """Return when the account's quiet hours end (UTC) if `now` falls in them, else None."""
    if rules.quiet_hours is None:
        return None
    local = ensure_utc(now).astimezone(rules.timezone)
    if not rules.quiet_hours.contains(local.time()):
        return None
    return _quiet_end(rules.quiet_hours, local)


def _window_refusal(
    used: WindowUsage, limit: int, window: timedelta, reason: RefusalReason
) -> Refusal | None:
    """Refuse when `limit` posts already fall in the window; it frees when `freeing` leaves."""
    if window <= timedelta(0) or used.count < limit:
        return None
    if limit <= 0 or used.freeing is None:
        return Refusal(reason=reason, retry_at=None)
    return Refusal(reason=reason, retry_at=used.freeing + window)


def _quiet_end(window: QuietHours, local: datetime) -> datetime:
    """Return the next end of the quiet window after `local`, in UTC."""
    end = datetime.combine(local.date(), window.end, tzinfo=local.tzinfo)
    if end <= local:
        end = datetime.combine(local.date() + DAY, window.end, tzinfo=local.tzinfo)
    return end.astimezone(UTC)
