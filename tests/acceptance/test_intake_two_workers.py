"""Two real `xbot worker` processes on one PostgreSQL: exactly one holds the Mastodon stream,
and after `kill -9` of the holder the other takes it over within the lease (issue 16).
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from acceptance.conftest import wait_for
from xbot.sim.core.server import SimServer
from xbot.sim.core.world import build_world
from xbot.sim.mastodon.fake import FakeMastodon

LEASE_SECONDS = 3


@pytest.fixture
def mastodon() -> Iterator[tuple[FakeMastodon, SimServer]]:
    fake = FakeMastodon(build_world(5, user_count=6))
    fake.warm_up()
    with fake.server() as server:
        yield fake, server
    fake.close()


def stream_row(url: str) -> Any:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                text("SELECT owner, state, fence, lease_until FROM intake_streams")
            ).one_or_none()
    finally:
        engine.dispose()


@pytest.mark.slow
def test_one_worker_holds_the_stream_and_the_other_takes_it_over_after_kill_9(
    xbot_env: dict[str, str],
    postgres_url: str,
    start_xbot: Any,
    tmp_path: Path,
    mastodon: tuple[FakeMastodon, SimServer],
) -> None:
    fake, server = mastodon
    (tmp_path / "xbot.toml").write_text(
        'enabled_jobs = ["fetch"]\n\n'
        f"[intake]\nlease_seconds = {LEASE_SECONDS}\n\n"
        '[[accounts]]\nplatform = "mastodon"\nhandle = "replybot"\n'
        f'base_url = "{server.base_url}"\n\n'
        '[accounts.credentials]\naccess_token = "MASTODON_TOKEN"\n',
        encoding="utf-8",
    )
    xbot_env.update(
        {
            "XBOT_DATABASE_URL": postgres_url,
            "XBOT_POLL_INTERVAL": "0.2",
            "MASTODON_TOKEN": fake.credentials()["access_token"],
        }
    )
    workers = {}
    for number in range(2):
        env = dict(xbot_env, PORT=str(int(xbot_env["PORT"]) + number), XBOT_WORKER_ID=f"w{number}")
        workers[f"w{number}"] = start_xbot(["worker"], env)
    for worker in workers.values():
        worker.wait_ready(timeout=40)

    def connected() -> Any:
        row = stream_row(postgres_url)
        return row if row is not None and row.state == "connected" else None

    holder = wait_for(connected, timeout=30)
    assert holder.owner in workers
    assert wait_for(lambda: fake.stream.connections() == 1 or None, timeout=10)
    time.sleep(2 * LEASE_SECONDS)  # renewed, never taken: one consumer, one connection
    still = stream_row(postgres_url)
    assert (still.owner, still.fence) == (holder.owner, holder.fence)
    assert fake.stream.connections() == 1

    workers[holder.owner].process.send_signal(signal.SIGKILL)
    workers[holder.owner].process.wait(10)
    killed_at = time.monotonic()
    other = next(name for name in workers if name != holder.owner)

    def taken_over() -> Any:
        row = connected()
        return row if row is not None and row.owner == other else None

    taker = wait_for(taken_over, timeout=LEASE_SECONDS + 20)
    took = time.monotonic() - killed_at
    assert taker.fence == holder.fence + 1
    assert took < LEASE_SECONDS + 20, took
    assert workers[other].process.poll() is None
