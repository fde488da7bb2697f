"""Log lines, events and error lines go through the one redaction function."""

from __future__ import annotations

import json

import pytest
import structlog
from sqlalchemy import Engine, select

from xbot.cli_support import fail
from xbot.config import AccountSettings, Settings
from xbot.logging import configure
from xbot.redact import remember
from xbot.store.queries.common import database_now
from xbot.store.queries.events import append_event
from xbot.store.tables import system_events


def unreachable() -> None:
    raise RuntimeError("cannot reach postgresql://bot:url-canary@db/x")


def test_log_lines_mask_known_secrets_and_url_passwords(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure("info", "json", secrets=["known-canary-1f3a"])
    try:
        unreachable()
    except RuntimeError:
        structlog.get_logger("test").exception(
            "failed", token="known-canary-1f3a", nested={"list": ["password=pw-canary"]}
        )
    line = capsys.readouterr().err
    assert json.loads(line)["event"] == "failed"
    assert "canary" not in line
    assert "postgresql://bot:***@db/x" in line


def test_error_lines_mask_known_secrets(capsys: pytest.CaptureFixture[str]) -> None:
    configure("info", "json", secrets=["known-canary-77aa"])
    with pytest.raises(SystemExit):
        fail(RuntimeError("token known-canary-77aa refused by https://u:p-canary@h/"))
    assert "canary" not in capsys.readouterr().err


def test_secret_values_gathers_every_configured_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_APP_PASSWORD", "cred-canary")
    monkeypatch.setenv("OPENAI_API_KEY", "llm-canary")
    settings = Settings(
        database_url="postgresql://bot:db-canary@h/x",
        admin_token="admin-canary-0123456789",
        accounts=[
            AccountSettings(
                platform="bluesky",
                handle="bot.example",
                credentials={"app_password": "BOT_APP_PASSWORD"},
            )
        ],
    )
    found = set(settings.secret_values())
    assert {"cred-canary", "llm-canary", "db-canary", "admin-canary-0123456789"} <= found


def test_events_mask_url_passwords_and_configured_secrets(engine: Engine) -> None:
    remember(["llm-key-canary-0c4e"])
    with engine.begin() as connection:
        append_event(
            connection,
            "job_failed",
            {
                "error": "postgresql://bot:evt-canary@db/x unreachable",
                "password": "p",
                "detail": ["refused key llm-key-canary-0c4e"],
            },
            now=database_now(connection),
        )
    with engine.connect() as connection:
        [data] = connection.execute(select(system_events.c.event_data)).scalars().all()
    assert "canary" not in json.dumps(data)
    assert data["password"] == "***"
