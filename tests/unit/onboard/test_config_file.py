"""The xbot.toml `xbot init` writes loads into Settings, for every platform and odd answers."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from xbot.config import Settings
from xbot.domain.errors import ConfigError
from xbot.onboard.config_file import (
    DEFAULT_VARIABLES,
    PLATFORMS,
    AccountAnswers,
    InitAnswers,
    append_account,
    render_config,
    write_new_config,
)


def loaded(text: str) -> Settings:
    return Settings.model_validate(tomllib.loads(text))


@pytest.mark.parametrize("platform", PLATFORMS)
def test_each_platform_renders_a_valid_config(platform: str) -> None:
    account = AccountAnswers(
        platform=platform,  # type: ignore[arg-type]
        handle="bot",
        base_url="https://example.social" if platform == "mastodon" else "",
        topics=['quo"tes', "back\\slash"],
    )
    settings = loaded(render_config(InitAnswers(accounts=[account], require_deploy_mark=True)))
    [configured] = settings.accounts
    assert configured.topics == ['quo"tes', "back\\slash"]
    assert configured.credentials == DEFAULT_VARIABLES[platform]  # type: ignore[index]
    assert settings.require_deploy_mark is True


def test_no_account_is_a_valid_config_with_comments() -> None:
    text = render_config(InitAnswers(database_url="postgresql+psycopg://bot@db/xbot"))
    assert loaded(text).accounts == []
    assert loaded(text).database_url == "postgresql+psycopg://bot@db/xbot"
    assert sum(line.startswith("#") for line in text.splitlines()) >= 10


def test_appended_accounts_stay_valid(tmp_path: Path) -> None:
    path = tmp_path / "xbot.toml"
    write_new_config(path, render_config(InitAnswers()), force=False)
    append_account(path, AccountAnswers(platform="x", handle="one"))
    append_account(path, AccountAnswers(platform="bluesky", handle="two", credentials={}))
    accounts = loaded(path.read_text()).accounts
    assert [(a.platform, a.handle) for a in accounts] == [("x", "one"), ("bluesky", "two")]
    assert accounts[1].credentials == {}


def test_an_existing_file_is_kept_without_force(tmp_path: Path) -> None:
    path = tmp_path / "xbot.toml"
    path.write_text("# mine\n")
    with pytest.raises(ConfigError, match="pass --force"):
        write_new_config(path, "x = 1\n", force=False)
    assert path.read_text() == "# mine\n"
    write_new_config(path, "x = 1\n", force=True)
    assert path.read_text() == "x = 1\n"
