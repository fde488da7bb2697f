"""`build_service`: a serving process is complete when built, and only a poster gets adapters."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from xbot import demo
from xbot.config import AccountSettings, Settings
from xbot.domain.errors import SecretKeyMissing
from xbot.serve import Service
from xbot.web.health import HealthState, route
from xbot.wiring import PlatformCache, build_service

BLUESKY = AccountSettings(platform="bluesky", handle="bot", credentials={"app_password": "P"})


@pytest.fixture
def built() -> Iterator[list[Service]]:
    services: list[Service] = []
    yield services
    for service in services:
        service.close()


def settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'xbot.db'}", **values)


def test_a_worker_is_built_with_its_adapters_generators_and_jobs(
    tmp_path: Path, built: list[Service]
) -> None:
    service = build_service(settings(tmp_path, worker_id="w-1"), "worker")
    built.append(service)
    assert isinstance(service.platform_for, PlatformCache)
    assert callable(service.generator_for)
    context = service.context()
    assert context.platform_for is service.platform_for
    assert context.generator_for is service.generator_for
    assert (service.worker.worker_id, service.worker.role, service.role) == ("w-1", "worker",
                                                                             "worker")  # fmt: skip
    names = [spec.name for spec in service.specs]
    assert "post" in names
    assert "probe" not in names
    assert str(service.engine.url) == service.settings.database_url


def test_a_web_process_gets_nothing_that_could_post(tmp_path: Path, built: list[Service]) -> None:
    service = build_service(settings(tmp_path, accounts=[BLUESKY]), "web")  # no key: not needed
    built.append(service)
    assert service.platform_for is None
    assert service.generator_for is None
    assert service.context().platform_for is None


def test_a_poster_whose_account_keeps_a_session_needs_the_key(tmp_path: Path) -> None:
    with pytest.raises(SecretKeyMissing, match="bluesky:@bot"):
        build_service(settings(tmp_path, accounts=[BLUESKY]), "worker")


def test_enabled_jobs_choose_the_jobs_the_probe_included(
    tmp_path: Path, built: list[Service]
) -> None:
    service = build_service(settings(tmp_path, enabled_jobs=["probe", "post"]), "worker")
    built.append(service)
    assert sorted(spec.name for spec in service.specs) == ["post", "probe"]


def test_the_health_state_learns_the_admin_token(tmp_path: Path, built: list[Service]) -> None:
    token = "t" * 32
    service = build_service(settings(tmp_path, admin_token=SecretStr(token)), "worker")
    built.append(service)
    assert isinstance(service.state, HealthState)
    assert route(service.state, "/ready", f"Bearer {token}").status == 503  # booting, but admitted
    assert route(service.state, "/ready", "Bearer wrong").status == 401


def test_the_demo_config_reads_back_whatever_the_url_holds(tmp_path: Path) -> None:
    url = 'sqlite:///C:\\demo\\"quoted"\\xbot.db'
    key = SecretStr(Fernet.generate_key().decode())
    path = tmp_path / "xbot.toml"
    demo._write_config(path, Settings(database_url=url, lease_seconds=17, secret_key=key))
    written = tomllib.loads(path.read_text(encoding="utf-8"))
    assert written["database_url"] == url
    assert written["lease_seconds"] == 17
    assert written["jobs"] == demo.CADENCE.model_dump()
