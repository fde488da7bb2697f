"""Start one intake supervisor thread per account that may stream (xbot.jobs.intake).

Each thread builds its account's adapter itself (a login must not delay the boot), asks it for
its stream and, when there is none, says why and leaves the account to the fetch job's poll. A
supervisor that crashes is restarted after a pause until the worker stops.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

import structlog

from xbot.domain.audit import NewEvent
from xbot.domain.errors import XbotError
from xbot.domain.intake import IntakeMode
from xbot.events import EventType
from xbot.jobs.base import Account, JobContext
from xbot.jobs.intake import COMPONENT, StreamSupervisor, stream_of

log = structlog.get_logger("xbot.intake")

#: seconds before a crashed supervisor starts again
RESTART_SECONDS = 5.0


def start_streams(base: JobContext, accounts: Sequence[Account]) -> list[threading.Thread]:
    """Start a supervisor thread for each account whose intake is not `poll`."""
    threads = []
    for account in accounts:
        if IntakeMode(account.settings.intake) is IntakeMode.POLL:
            continue
        thread = threading.Thread(target=supervise, args=(base, account), daemon=True,
                                  name=f"intake-{account.key}")  # fmt: skip
        thread.start()
        threads.append(thread)
    return threads


def supervise(base: JobContext, account: Account) -> None:
    """Hold the account's stream until the worker stops, or say why it polls."""
    while not base.stop.is_set():
        context = replace(base, account=account, now=datetime.now(UTC))
        try:
            found = stream_of(context, account)
            if isinstance(found, str):
                _polls(context, account, found)
                return
            StreamSupervisor(base, account, found).run()
        except Exception:
            log.exception("intake_supervisor_crashed", account=account.key)
            base.stop.wait(RESTART_SECONDS)
        else:
            return


def _polls(context: JobContext, account: Account, reason: str) -> None:
    """Record that the account polls: an event when `stream` was asked for, else a log line."""
    if IntakeMode(account.settings.intake) is not IntakeMode.STREAM:
        log.info("intake_polls", account=account.key, reason=reason)
        return
    data = {"stream": None, "reason": reason}
    log.warning(EventType.INTAKE_STREAM_UNAVAILABLE, account=account.key, **data)
    try:
        context.store.events.append(
            NewEvent(
                event_type=EventType.INTAKE_STREAM_UNAVAILABLE,
                data=data,
                now=context.now,
                severity="warning",
                component=COMPONENT,
                account_id=account.account_id,
                worker_id=context.worker.worker_id,
            )
        )
    except XbotError as exc:
        log.warning("intake_event_not_written", account=account.key, error=str(exc))
