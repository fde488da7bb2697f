from __future__ import annotations

from pathlib import Path

import pytest

from xbot.config import load_settings, redacted
from xbot.domain.errors import ConfigError
from xbot.redact import redact_url


def test_defaults() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite:///./xbot.db"
    assert (settings.host, settings.port, settings.role) == ("0.0.0.0", 8080, "all")
    assert settings.jobs.fetch == 300
    assert settings.jobs.watchdog == 300


def test_environment_overrides_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "xbot.toml"
    path.write_text('role = "web"\nport = 9000\n[jobs]\nfetch = 10\n', encoding="utf-8")
    monkeypatch.setenv("XBOT_CONFIG", str(path))
    monkeypatch.setenv("PORT", "9100")
    monkeypatch.setenv("XBOT_JOBS__SCHEDULE", "5")
    settings = load_settings()
    assert settings.role == "web"
    assert settings.port == 9100
    assert settings.jobs.fetch == 10
    assert settings.jobs.schedule == 5


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("PORT", "eighty", "PORT"),
        ("XBOT_ROLE", "boss", "XBOT_ROLE"),
        ("XBOT_JOBS__FETCH", "-3", "XBOT_JOBS__FETCH"),
        ("XBOT_POLL_INTERVAL", "0", "XBOT_POLL_INTERVAL"),
    ],
)
def test_bad_value_names_key_and_fix(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, named: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert named in message
    assert "\n" not in message
    assert "valid value" in message


def test_broken_toml_is_one_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "xbot.toml"
    path.write_text("role = \n", encoding="utf-8")
    monkeypatch.setenv("XBOT_CONFIG", str(path))
    with pytest.raises(ConfigError, match="xbot.toml"):
        load_settings()


def test_unknown_key_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "xbot.toml"
    path.write_text("databse_url = 'x'\n", encoding="utf-8")
    monkeypatch.setenv("XBOT_CONFIG", str(path))
    with pytest.raises(ConfigError, match="databse_url"):
        load_settings()


def test_redaction_hides_database_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XBOT_DATABASE_URL", "postgresql://bot:hunter2@db:5432/x")
    shown = redacted(load_settings())
    assert "hunter2" not in str(shown)
    assert shown["database_url"] == "postgresql://bot:***@db:5432/x"
    assert redact_url("sqlite:///./xbot.db") == "sqlite:///./xbot.db"


def test_redaction_hides_every_url_password_and_secret_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XBOT_DATABASE_URL", "postgresql://bot@db/x?sslpassword=kp-canary")
    monkeypatch.setenv("XBOT_ADMIN_TOKEN", "admin-canary-0123456789")
    monkeypatch.setenv("XBOT_LLM__BASE_URL", "https://u:llm-canary@llm.example/v1")
    shown = str(redacted(load_settings()))
    assert "canary" not in shown


def test_a_thousand_accounts_load_and_one_more_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "xbot.toml"
    entry = '[[accounts]]\nplatform = "mastodon"\nhandle = "bot{n}@example.social"\n'
    path.write_text("".join(entry.format(n=n) for n in range(1000)), encoding="utf-8")
    monkeypatch.setenv("XBOT_CONFIG", str(path))
    assert len(load_settings().accounts) == 1000
    path.write_text("".join(entry.format(n=n) for n in range(1001)), encoding="utf-8")
    with pytest.raises(ConfigError, match="accounts"):
        load_settings()
