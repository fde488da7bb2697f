"""PostgreSQL connections: no ping per transaction in a busy loop, a dropped one still recovered."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from dbsupport import POSTGRES_URL
from xbot.domain.errors import StoreError
from xbot.store import engine as engine_module
from xbot.store.engine import POOL_RECYCLE_SECONDS, make_engine, translated_errors


@pytest.fixture
def postgres(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url)
    yield engine
    engine.dispose()


def count_pings(engine: Engine) -> list[int]:
    """Count the dialect's pings, SQLAlchemy's own pre-ping included."""
    pings = [0]
    dialect: Any = engine.dialect
    ping: Callable[[Any], bool] = dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        pings[0] += 1
        return ping(dbapi_connection)

    dialect.do_ping = counted
    return pings


def backend(engine: Engine) -> int:
    with translated_errors(), engine.begin() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def terminate(pid: int) -> None:
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        # the timeout makes it wait until the backend is gone (PostgreSQL 14+)
        connection.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
    admin.dispose()


def test_a_busy_loop_pings_no_connection_and_old_ones_are_recycled(postgres: Engine) -> None:
    pings = count_pings(postgres)
    pids = {backend(postgres) for _ in range(20)}
    assert pings == [0]
    assert len(pids) == 1  # one connection, reused without a round trip before each use
    assert postgres.pool._recycle == POOL_RECYCLE_SECONDS  # type: ignore[attr-defined]


def test_an_idle_connection_the_server_dropped_is_replaced_before_use(
    postgres: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    dropped = backend(postgres)
    terminate(dropped)
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    pings = count_pings(postgres)
    assert backend(postgres) != dropped  # no error reached the caller
    assert pings == [1]


def test_a_connection_dropped_mid_burst_fails_once_then_the_pool_recovers(
    postgres: Engine,
) -> None:
    dropped = backend(postgres)
    terminate(dropped)
    with pytest.raises(StoreError):
        backend(postgres)
    assert backend(postgres) != dropped
