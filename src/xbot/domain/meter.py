"""The tally of one account's priced platform calls, between the call and the job's commit.

The adapter prices each call as it is made (`read`, `write`); the job that made it takes the
charges (`take`) into its own transaction and gives them back if that rolls back, so a charge is
written exactly once and never costs a round trip of its own. The one mutable object in domain:
a lock and a list, no I/O, and the caller passes the time.

X bills a resource once per UTC day (platform-facts §1.5, a soft guarantee): the meter skips a
resource this process already paid for today, so across processes or restarts xbot may count a
read twice, never miss one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from xbot.domain.cost import Charge, read_charge, usage_day
from xbot.domain.rate_card import EndpointClass, RateCard


class Meter:
    """Prices one account's calls with its rate card and holds them until a job commits them."""

    def __init__(self, card: RateCard) -> None:
        self.card = card
        self._lock = threading.Lock()
        self._pending: list[Charge] = []
        self._day: date | None = None
        self._paid: set[str] = set()

    def read(self, endpoint_class: EndpointClass, resources: Iterable[str], now: datetime) -> None:
        """Price one read call that returned `resources` (ids), each billed once per UTC day."""
        with self._lock:
            today = usage_day(now)
            if today != self._day:
                self._day, self._paid = today, set()
            fresh = {resource for resource in resources if resource not in self._paid}
            self._paid |= fresh
            self._pending.append(read_charge(self.card, endpoint_class, len(fresh)))

    def call(self, endpoint_class: EndpointClass) -> None:
        """Price one call of a class billed per request (free platforms: counted, not paid)."""
        charge = Charge(endpoint_class=endpoint_class, cost_micro=self.card.price(endpoint_class))
        with self._lock:
            self._pending.append(charge)

    def write(self, charge: Charge) -> None:
        """Record a priced write (a published post)."""
        with self._lock:
            self._pending.append(charge)

    def take(self) -> list[Charge]:
        """Return every charge not yet written and forget them (give them back on rollback)."""
        with self._lock:
            taken, self._pending = self._pending, []
        return taken

    def give_back(self, charges: Sequence[Charge]) -> None:
        """Keep charges whose transaction rolled back for the next job's commit."""
        with self._lock:
            self._pending[:0] = charges
