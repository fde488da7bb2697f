"""Shared fixtures: a clean environment, and a fresh migrated database per test on both dialects."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from dbsupport import POSTGRES_URL, REQUIRE_POSTGRES, TEMPLATE_DB


@pytest.fixture(autouse=True)
def _fresh_logging() -> Iterator[None]:
    """A test that configured logging must not leave it writing to a closed capture stream."""
    yield
    import structlog

    from xbot.redact import remember

    structlog.reset_defaults()
    remember(())  # the secrets a test configured are not masked in the next test


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every test starts with no XBOT_* variable and an empty xbot.toml (CONVENTIONS 3.8)."""
    for name in list(os.environ):
        if name.startswith("XBOT_") and name != "XBOT_TEST_POSTGRES_URL":
            monkeypatch.delenv(name, raising=False)
    for name in (
        "PORT",
        "RAILWAY_GIT_COMMIT_SHA",
        "SOURCE_COMMIT",
        "RENDER_GIT_COMMIT",
        "HEROKU_BUILD_COMMIT",
        "GITHUB_SHA",
    ):
        monkeypatch.delenv(name, raising=False)
    empty = tmp_path / "empty-xbot.toml"  # XBOT_CONFIG naming a missing file is an error
    empty.touch()
    monkeypatch.setenv("XBOT_CONFIG", str(empty))


def _postgres_admin_engine() -> Engine | None:
    engine = create_engine(
        POSTGRES_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        engine.dispose()
        if REQUIRE_POSTGRES:
            pytest.fail(f"XBOT_REQUIRE_POSTGRES=1 but PostgreSQL is unreachable: {exc}")
        return None
    return engine


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str | None]:
    """Migrate a template database once per session; None when no server is reachable."""
    from xbot.store.engine import make_engine
    from xbot.store.migrate import upgrade

    admin = _postgres_admin_engine()
    if admin is None:
        yield None
        return
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {TEMPLATE_DB} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {TEMPLATE_DB}"))
    template_url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{TEMPLATE_DB}"
    engine = make_engine(template_url)
    upgrade(engine)
    engine.dispose()
    yield template_url
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {TEMPLATE_DB} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate a template SQLite file once per session."""
    from xbot.store.engine import make_engine
    from xbot.store.migrate import upgrade

    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # closing the last connection checkpoints the WAL into the file
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh migrated SQLite file for this test."""
    path = tmp_path / "xbot.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def postgres_url(postgres_template: str | None) -> Iterator[str]:
    """A fresh migrated PostgreSQL database for this test (CREATE DATABASE … TEMPLATE)."""
    if postgres_template is None:
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_URL}; set XBOT_TEST_POSTGRES_URL")
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"xbot_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DB}"))
    yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """A fresh migrated database on each dialect in turn."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(fixture))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a fresh migrated database, on each dialect in turn."""
    from xbot.store.engine import make_engine

    engine = make_engine(database_url)
    yield engine
    engine.dispose()
