"""One suite, three stores: the in-memory twin, SQLite and PostgreSQL (pgqueuer's conformance).

Every test here takes `store` and runs once per implementation, so the twin the job unit tests
use cannot drift from the SQL the workers run.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from xbot.domain.stores import Store


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    """A fresh, empty store of each implementation in turn."""
    if request.param == "memory":
        from xbot.store.memory import MemoryStore

        yield MemoryStore()
        return
    from xbot.store.engine import make_engine
    from xbot.store.sql import SqlStore

    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    engine = make_engine(str(url))
    yield SqlStore(engine)
    engine.dispose()
