"""/metrics over a real socket, parsed with prometheus-client's own parser, around a real post.

The post goes to the fake X over loopback (uvicorn on 127.0.0.1); /metrics is served by the
health listener from a MetricsSource on the test's database (SQLite file and PostgreSQL).
"""

from __future__ import annotations

import contextlib
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine
from starlette.types import ASGIApp, Receive, Scope, Send

from posting_x import Posting, posting_against_fake_x
from xbot.config import AccountSettings, Settings
from xbot.jobs.base import Account
from xbot.monitoring import MetricsSource
from xbot.readiness import Readiness
from xbot.sim.core.server import SimServer
from xbot.sim.x.fake import FakeX
from xbot.web.health import HealthServer, HealthState
from xbot.web.metrics import CATALOGUE, PROCESS_METRICS

TOKEN = "metrics-test-token-0123456789"
ACCOUNT = "x:replybot"


class _Switch:
    """One loopback server for the module; each test points it at its own fake."""

    def __init__(self) -> None:
        self.target: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.target is not None
        await self.target(scope, receive, send)


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[_Switch, SimServer]]:
    switch = _Switch()
    with SimServer(switch) as server:
        yield switch, server


@pytest.fixture
def x(engine: Engine, served: tuple[_Switch, SimServer]) -> Iterator[Posting]:
    switch, server = served

    @contextlib.contextmanager
    def loopback(fake: FakeX) -> Iterator[tuple[str, Any]]:
        switch.target = fake.app
        yield server.base_url, None

    with posting_against_fake_x(engine, loopback) as harness:
        yield harness


@pytest.fixture(params=[False], ids=["read-on-scrape"])
def background(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def metrics_port(x: Posting, background: bool) -> Iterator[int]:
    account_settings = AccountSettings(platform="x", handle="replybot")
    # a live X account: the operator attests X's Automated label, or it is blocked
    settings = Settings(accounts=[account_settings], x={"automated_label_attested": True})
    context = x.context()
    account = Account(account_id=x.account_id, platform="x", handle="replybot",
                      platform_user_id="1000", settings=account_settings)  # fmt: skip
    readiness = Readiness(settings=settings, engine=x.engine, role="worker",
                          worker=context.worker, jobs=())  # fmt: skip
    source = MetricsSource(
        engine=x.engine,
        settings=settings,
        worker=context.worker,
        posting_state=lambda: readiness.posting_state([account]),
        rate_limits=lambda: [
            ("x", endpoint, ACCOUNT, float(state.remaining))
            for endpoint, state in x.platform.rate_limits().items()
            if state.remaining is not None
        ],
        cache_seconds=0,
        background=background,
    )
    state = HealthState()
    state.set_admin_token(TOKEN)
    state.set_metrics(source.answer)
    server = HealthServer("127.0.0.1", 0, state).start()
    try:
        yield server.address[1]
    finally:
        server.stop()


def scrape(port: int, token: str | None = TOKEN) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample as (name, labels) -> value, read by prometheus-client's parser."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str,
          **labels: str) -> float:  # fmt: skip
    return found.get((name, frozenset(labels.items())), 0.0)


def test_counters_move_when_a_post_is_made(x: Posting, metrics_port: int) -> None:
    x.permit()
    status, before_text = scrape(metrics_port)
    assert status == 200, before_text
    before = samples(before_text)
    assert value(before, "xbot_posts_total", platform="x", account=ACCOUNT) == 0
    assert value(before, "xbot_permits", state="PENDING", account=ACCOUNT) == 1

    assert x.post()["status"] == "USED"

    after = samples(scrape(metrics_port)[1])
    assert value(after, "xbot_posts_total", platform="x", account=ACCOUNT) == 1
    assert value(after, "xbot_permits", state="USED", account=ACCOUNT) == 1
    assert value(after, "xbot_permits", state="PENDING", account=ACCOUNT) == 0
    created = {"platform": "x", "endpoint": "POST /2/tweets", "status_class": "2xx"}
    grown = value(after, "xbot_platform_requests_total", **created) - value(
        before, "xbot_platform_requests_total", **created
    )
    assert grown == 1
    latency = {"platform": "x", "endpoint": "POST /2/tweets"}
    assert value(after, "xbot_platform_request_seconds_count", **latency) >= 1
    assert value(after, "xbot_account_state", account=ACCOUNT, state="posting") == 1
    assert value(after, "xbot_account_state", account=ACCOUNT, state="blocked") == 0


def test_every_catalogued_metric_is_served(x: Posting, metrics_port: int) -> None:
    x.permit()
    assert x.post()["status"] == "USED"
    families = {family.name for family in text_string_to_metric_families(scrape(metrics_port)[1])}
    served = {spec.name.removesuffix("_total") for spec in CATALOGUE}
    served |= {name.removesuffix("_total") for name in PROCESS_METRICS}
    # a family with no series yet (no account blocked, no worker) is still described
    assert served - families == set()


def test_build_info_and_verdict(x: Posting, metrics_port: int) -> None:
    found = samples(scrape(metrics_port)[1])
    [build] = [labels for name, labels in found if name == "xbot_build_info"]
    assert dict(build)["git_sha"] == "abc123"
    assert dict(build)["role"] == "worker"
    assert value(found, "xbot_certify_verdict") in {0, 1, 2}


def test_metrics_need_the_admin_token(metrics_port: int) -> None:
    assert scrape(metrics_port, token=None)[0] == 401
    assert scrape(metrics_port, token="wrong-token-0123456789")[0] == 401


def test_without_a_provider_metrics_are_not_served() -> None:
    state = HealthState()
    state.set_admin_token(TOKEN)
    server = HealthServer("127.0.0.1", 0, state).start()
    try:
        assert scrape(server.address[1])[0] == 404
    finally:
        server.stop()


@pytest.mark.parametrize("background", [True], ids=["refreshed-behind"], indirect=True)
def test_a_scrape_answers_from_the_last_snapshot_and_refreshes_behind_it(
    x: Posting, metrics_port: int
) -> None:
    x.permit()
    first = samples(scrape(metrics_port)[1])  # the first scrape waits for its read
    assert value(first, "xbot_permits", state="PENDING", account=ACCOUNT) == 1
    assert x.post()["status"] == "USED"
    stale = samples(scrape(metrics_port)[1])  # answered at once from the last snapshot …
    assert value(stale, "xbot_posts_total", platform="x", account=ACCOUNT) == 0
    deadline = time.monotonic() + 10  # … while a thread reads the next one
    while time.monotonic() < deadline:
        found = samples(scrape(metrics_port)[1])
        if value(found, "xbot_posts_total", platform="x", account=ACCOUNT) == 1:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the background refresh never showed the post")
    assert value(found, "xbot_permits", state="USED", account=ACCOUNT) == 1


def test_the_first_scrape_answers_without_the_database_rather_than_time_out(x: Posting) -> None:
    def slow_states() -> dict[str, Any]:
        time.sleep(1.0)  # a large database: the first read outlasts the first scrape's wait
        return {"accounts": []}

    context = x.context()
    source = MetricsSource(engine=x.engine, settings=Settings(), worker=context.worker,
                           posting_state=slow_states, first_wait_seconds=0.1)  # fmt: skip
    started = time.monotonic()
    first = source.snapshot()
    assert time.monotonic() - started < 0.9
    assert "xbot_posts_total" not in first.series  # described, without samples yet
    deadline = time.monotonic() + 10
    while "xbot_posts_total" not in source.snapshot().series:
        assert time.monotonic() < deadline, "the first read never arrived"
        time.sleep(0.05)
