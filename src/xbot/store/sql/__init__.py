"""The store port on SQLAlchemy Core: SQLite and PostgreSQL behind one set of methods."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from xbot.store.queries.common import database_now
from xbot.store.sql.accounts import SqlAccounts
from xbot.store.sql.candidates import SqlCandidates
from xbot.store.sql.decisions import SqlDecisions
from xbot.store.sql.events import SqlEvents
from xbot.store.sql.ghosts import SqlGhosts
from xbot.store.sql.intake import SqlIntake
from xbot.store.sql.job_runs import SqlJobRuns, SqlWorkers
from xbot.store.sql.opt_outs import SqlOptOuts
from xbot.store.sql.permits import SqlPermits
from xbot.store.sql.status import SqlStatus
from xbot.store.sql.transactions import Transactions
from xbot.store.sql.usage import SqlUsage


class SqlStore:
    """`xbot.domain.stores.Store` on one engine; every method owns its transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.transactions = Transactions(engine)
        self.events = SqlEvents(self.transactions)
        self.job_runs = SqlJobRuns(self.transactions)
        self.workers = SqlWorkers(self.transactions)
        self.accounts = SqlAccounts(self.transactions)
        self.candidates = SqlCandidates(self.transactions)
        self.decisions = SqlDecisions(self.transactions)
        self.permits = SqlPermits(self.transactions)
        self.opt_outs = SqlOptOuts(self.transactions)
        self.ghosts = SqlGhosts(self.transactions)
        self.usage = SqlUsage(self.transactions)
        self.intake = SqlIntake(self.transactions)
        self.status = SqlStatus(self.transactions)

    def now(self) -> datetime:
        """Return the shared clock: the database's on PostgreSQL, else this process's."""
        with self.transactions.read() as connection:
            return database_now(connection)


__all__ = ["SqlStore"]
