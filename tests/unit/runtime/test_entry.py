"""Where the health listener binds, read before Settings: variables first, then xbot.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from xbot.entry import _listen_address


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    path = tmp_path / "xbot.toml"
    monkeypatch.setenv("XBOT_CONFIG", str(path))
    return path


def test_defaults_without_variables_or_file(config: Path) -> None:
    address = _listen_address()
    assert address is not None
    assert (address.host, address.port) == ("0.0.0.0", 8080)


def test_host_and_port_from_xbot_toml(config: Path) -> None:
    config.write_text('host = "127.0.0.1"\nport = 9123\n', encoding="utf-8")
    address = _listen_address()
    assert address is not None
    assert (address.host, address.port) == ("127.0.0.1", 9123)
    assert str(config) in address.fix


def test_variables_beat_xbot_toml(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config.write_text('host = "127.0.0.1"\nPORT = 9123\n', encoding="utf-8")
    monkeypatch.setenv("XBOT_HOST", "::1")
    monkeypatch.setenv("XBOT_PORT", "9200")
    address = _listen_address()
    assert address is not None
    assert (address.host, address.port) == ("::1", 9200)


@pytest.mark.parametrize(
    "text",
    ["port = 99999\n", "port = -5\n", "port = true\n", 'port = "http"\n', 'host = "a b"\n',
     "host = 5\n", "port = [1]\n"],
)  # fmt: skip
def test_a_bad_address_is_left_for_settings_to_report(config: Path, text: str) -> None:
    config.write_text(text, encoding="utf-8")
    assert _listen_address() is None


@pytest.mark.parametrize("value", ["99999", "-5", "eighty"])
def test_a_bad_port_variable_is_left_for_settings(
    config: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("PORT", value)
    assert _listen_address() is None


def test_an_unreadable_file_means_the_defaults(config: Path) -> None:
    config.write_text("port = \n", encoding="utf-8")
    address = _listen_address()
    assert address is not None
    assert address.port == 8080


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "::1", "[::1]", "fe80::1%eth0", "db-1.internal", "bad host!", "a_b", ""]
)
def test_the_listener_accepts_a_host_exactly_when_settings_do(
    config: Path, monkeypatch: pytest.MonkeyPatch, host: str
) -> None:
    from pydantic import ValidationError

    from xbot.config import Settings

    config.write_text(f"host = {host!r}\n", encoding="utf-8")
    try:
        Settings()
    except ValidationError:
        settings_accept = False
    else:
        settings_accept = True
    assert (_listen_address() is not None) == settings_accept
