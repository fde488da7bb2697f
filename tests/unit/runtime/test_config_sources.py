"""Which source a bad value is blamed on, what the environment may hold, every field's bounds."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, get_args, get_origin

import annotated_types
import pytest
from pydantic.fields import FieldInfo

from xbot.config import Settings, load_settings
from xbot.config_errors import field_paths, variable_for
from xbot.domain.errors import ConfigError


def write_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str) -> Path:
    path = tmp_path / "xbot.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("XBOT_CONFIG", str(path))
    return path


def refusal(**environment: str) -> str:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment.items():
            patch.setenv(name, value)
        with pytest.raises(ConfigError) as caught:
            load_settings()
    return str(caught.value)


def test_a_bad_file_value_is_blamed_on_the_file_when_a_variable_sets_its_neighbour(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = write_config(monkeypatch, tmp_path, "[jobs]\nschedule = -1\n")
    message = refusal(XBOT_JOBS='{"fetch": 5}')
    assert f"'jobs.schedule' in {path}" in message
    assert "XBOT_JOBS" not in message


def test_a_variable_beats_the_file_and_takes_the_blame(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write_config(monkeypatch, tmp_path, "[jobs]\nfetch = 10\n")
    message = refusal(XBOT_JOBS__FETCH="inf")
    assert "'jobs.fetch' in XBOT_JOBS__FETCH" in message
    assert "finite" in message


def test_a_missing_key_inside_a_json_variable_is_blamed_on_it() -> None:
    message = refusal(XBOT_ACCOUNTS='[{"platform": "x"}]')
    assert "'accounts[0].handle' in XBOT_ACCOUNTS" in message


def test_pattern_errors_say_the_rule_not_the_regex() -> None:
    message = refusal(XBOT_GIT_SHA="zzzzzzz")
    assert "7 to 64 hex digits" in message
    assert "pattern" not in message


@pytest.mark.parametrize(
    ("loc", "environment", "expected"),
    [
        (("port",), {"PORT": "1", "XBOT_PORT": "2"}, "PORT"),
        (("port",), {"XBOT_PORT": "2"}, "XBOT_PORT"),
        (("llm", "model"), {"xbot_llm__model": ""}, "XBOT_LLM__MODEL"),
        (("accounts", 1, "handle"), {"XBOT_ACCOUNTS": '[{"handle": "a"}]'}, None),
        (("role",), {}, None),
    ],
)
def test_variable_for(loc: Any, environment: dict[str, str], expected: str | None) -> None:
    assert variable_for(loc, environment, missing=False) == expected


def test_variables_an_account_names_are_not_unknown(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write_config(
        monkeypatch,
        tmp_path,
        '[[accounts]]\nplatform = "x"\nhandle = "bot"\n'
        'credentials = { consumer_key = "XBOT_X_CONSUMER_KEY" }\n'
        '[llm]\napi_key_env = "XBOT_LLM_KEY"\n',
    )
    for name in ("XBOT_X_CONSUMER_KEY", "XBOT_LLM_KEY", "XBOT_REQUIRE_POSTGRES", "XBOT_GIT_SHA"):
        monkeypatch.setenv(name, "abcdef0")
    monkeypatch.setenv("XBOT_JOBS__FETCH", "30")
    assert load_settings().jobs.fetch == 30


def test_an_unknown_variable_is_refused_with_a_suggestion() -> None:
    message = refusal(XBOT_POLL_INTERVALL="1")
    assert "XBOT_POLL_INTERVALL" in message
    assert "did you mean XBOT_POLL_INTERVAL?" in message


def test_an_unknown_nested_variable_is_refused() -> None:
    assert "jobs.fetchh" in refusal(XBOT_JOBS__FETCHH="1")


def test_the_same_account_twice_is_refused_whatever_the_spelling(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    account = '[[accounts]]\nplatform = "bluesky"\nhandle = "{}"\n'
    write_config(
        monkeypatch, tmp_path, account.format("Bot.example") + account.format("@bot.example")
    )
    assert "listed twice" in refusal()


def test_the_same_handle_on_two_platforms_is_two_accounts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    account = '[[accounts]]\nplatform = "{}"\nhandle = "bot"\n'
    write_config(monkeypatch, tmp_path, account.format("x") + account.format("mastodon"))
    assert len(load_settings().accounts) == 2


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("XBOT_CONFIG", "", "empty"),
        ("XBOT_CONFIG", "/nonexistent/xbot.toml", "no such file"),
        ("XBOT_CONFIG", "/", "directory"),
        ("XBOT_CONFIG", "/dev/null", "not a regular file"),
    ],
)
def test_xbot_config_must_name_a_file(variable: str, value: str, expected: str) -> None:
    assert expected in refusal(**{variable: value})


def _constraints(info: FieldInfo) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in info.metadata:
        for name in ("gt", "ge", "lt", "le", "max_length", "pattern"):
            if getattr(item, name, None) is not None:
                found[name] = getattr(item, name)
    return found


NUMERIC = {int, float}


@pytest.mark.parametrize(("path", "info"), sorted(field_paths(Settings).items()))
def test_every_number_is_bounded_and_every_string_is_limited(path: str, info: FieldInfo) -> None:
    """A field added without bounds fails here; the bounds are in its description."""
    if info.annotation in NUMERIC:
        bounds = _constraints(info)
        assert {"gt", "ge"} & set(bounds), f"{path} needs a lower bound"
        assert {"lt", "le"} & set(bounds), f"{path} needs an upper bound"
        upper = bounds.get("le", bounds.get("lt"))
        assert math.isfinite(upper)
        assert info.description, f"{path} needs a description naming its bounds"
        assert str(upper if upper != int(upper) else int(upper)) in info.description
    if info.annotation is str:
        assert {"max_length", "pattern"} & set(_constraints(info)), f"{path} needs a length"
    if get_origin(info.annotation) in {list, dict}:
        assert any(isinstance(item, annotated_types.MaxLen) for item in info.metadata), path
        assert get_args(info.annotation) != (str,), f"{path} items need a bounded type"
