"""`xbot secrets generate-key|rotate` and the missing-key error, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import text

from acceptance.conftest import run_xbot
from acceptance.test_bad_input import one_line
from xbot.config import AccountSettings, Settings
from xbot.domain.errors import SecretKeyWrong
from xbot.serve import load_accounts
from xbot.store.engine import make_engine
from xbot.store.secretbox import SessionCipher
from xbot.store.sessions import DatabaseSessionStore
from xbot.store.sql import SqlStore

SESSION = {"access_jwt": "eyJ.access-canary-51ab", "refresh_jwt": "eyJ.refresh-canary-9e0d"}
BLUESKY_ACCOUNT = '[[accounts]]\nplatform = "bluesky"\nhandle = "bot.example"\n'


def seed_session(database_url: str, key: str) -> None:
    engine = make_engine(database_url)
    settings = Settings(accounts=[AccountSettings(platform="bluesky", handle="bot.example")])
    [account] = load_accounts(SqlStore(engine), settings)
    cipher = SessionCipher(SecretStr(key))
    DatabaseSessionStore(engine, account.account_id, "bluesky", cipher).save(SESSION)
    engine.dispose()


def load_session(database_url: str, key: str) -> object:
    engine = make_engine(database_url)
    try:
        cipher = SessionCipher(SecretStr(key))
        return DatabaseSessionStore(engine, 1, "bluesky", cipher).load()
    finally:
        engine.dispose()


def stored(database_url: str) -> list[str]:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT CAST(session_state AS TEXT) FROM accounts"))
        found = [str(row[0]) for row in rows]
    engine.dispose()
    return found


def test_generate_key_prints_a_usable_key(xbot_env: dict[str, str], tmp_path: Path) -> None:
    done = run_xbot(["secrets", "generate-key"], xbot_env, tmp_path)
    assert done.returncode == 0, done.stderr
    key = done.stdout.strip()
    assert Fernet(key).decrypt(Fernet(key).encrypt(b"x")) == b"x"


def test_rotate_reencrypts_every_session_with_the_newest_key(
    xbot_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    seed_session(database_url, old)
    xbot_env["XBOT_DATABASE_URL"] = database_url
    xbot_env["XBOT_SECRET_KEY"] = f"{new},{old}"
    done = run_xbot(["secrets", "rotate"], xbot_env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "re-encrypted 1 saved session" in done.stdout
    assert load_session(database_url, new) == SESSION
    with pytest.raises(SecretKeyWrong):
        load_session(database_url, old)
    assert not any("canary" in value for value in stored(database_url))


def test_rotate_without_a_key_is_one_line(
    xbot_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    key = Fernet.generate_key().decode()
    seed_session(database_url, key)
    before = stored(database_url)
    xbot_env["XBOT_DATABASE_URL"] = database_url
    del xbot_env["XBOT_SECRET_KEY"]
    done = run_xbot(["secrets", "rotate"], xbot_env, tmp_path)
    assert done.returncode == 1
    line = one_line(done.stderr)
    assert "XBOT_SECRET_KEY" in line
    assert "xbot secrets generate-key" in line
    assert stored(database_url) == before
    assert load_session(database_url, key) == SESSION


def test_rotate_with_the_wrong_key_changes_nothing(
    xbot_env: dict[str, str], tmp_path: Path, sqlite_url: str
) -> None:
    key = Fernet.generate_key().decode()
    seed_session(sqlite_url, key)
    before = stored(sqlite_url)
    xbot_env["XBOT_DATABASE_URL"] = sqlite_url
    xbot_env["XBOT_SECRET_KEY"] = Fernet.generate_key().decode()
    done = run_xbot(["secrets", "rotate"], xbot_env, tmp_path)
    assert done.returncode == 1
    assert "cannot be decrypted" in one_line(done.stderr)
    assert stored(sqlite_url) == before


def test_a_worker_with_a_bluesky_account_needs_a_key(
    xbot_env: dict[str, str], tmp_path: Path, sqlite_url: str
) -> None:
    Path(xbot_env["XBOT_CONFIG"]).write_text(BLUESKY_ACCOUNT, encoding="utf-8")
    xbot_env["XBOT_DATABASE_URL"] = sqlite_url
    key = Fernet.generate_key().decode()
    seed_session(sqlite_url, key)
    before = stored(sqlite_url)
    del xbot_env["XBOT_SECRET_KEY"]
    done = run_xbot(["run", "--once"], xbot_env, tmp_path)
    assert done.returncode == 1
    line = one_line(done.stderr)
    assert "bluesky:@bot.example" in line
    assert "XBOT_SECRET_KEY" in line
    assert stored(sqlite_url) == before


def test_an_invalid_secret_key_is_one_line_without_its_value(
    xbot_env: dict[str, str], tmp_path: Path
) -> None:
    xbot_env["XBOT_SECRET_KEY"] = "not-a-key-canary-3f1e"
    done = run_xbot(["config", "show"], xbot_env, tmp_path)
    assert done.returncode == 1
    line = one_line(done.stderr)
    assert "secret_key" in line
    assert "canary" not in done.stderr + done.stdout


def test_a_worker_whose_key_opens_no_saved_session_stops_at_boot(
    xbot_env: dict[str, str], tmp_path: Path, sqlite_url: str
) -> None:
    Path(xbot_env["XBOT_CONFIG"]).write_text(BLUESKY_ACCOUNT, encoding="utf-8")
    xbot_env["XBOT_DATABASE_URL"] = sqlite_url
    seed_session(sqlite_url, Fernet.generate_key().decode())
    before = stored(sqlite_url)
    done = run_xbot(["run", "--once"], xbot_env, tmp_path)  # xbot_env holds another key
    assert done.returncode == 1
    line = one_line(done.stderr)
    assert "bluesky:@bot.example's saved session" in line
    assert "cannot be decrypted with XBOT_SECRET_KEY" in line
    assert stored(sqlite_url) == before


def test_config_show_says_which_credential_variables_are_set_never_their_values(
    xbot_env: dict[str, str], tmp_path: Path
) -> None:
    Path(xbot_env["XBOT_CONFIG"]).write_text(
        '[[accounts]]\nplatform = "mastodon"\nhandle = "bot"\n'
        '[accounts.credentials]\naccess_token = "MASTODON_TOKEN"\n\n'
        '[[accounts]]\nplatform = "x"\nhandle = "xbot"\n'
        '[accounts.credentials]\nconsumer_key = "X_CONSUMER_KEY"\n',
        encoding="utf-8",
    )
    xbot_env["MASTODON_TOKEN"] = "canary-token-9d2c41"
    xbot_env.pop("X_CONSUMER_KEY", None)
    xbot_env.pop("OPENAI_API_KEY", None)
    done = run_xbot(["config", "show"], xbot_env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["credential_variables"] == {
        "OPENAI_API_KEY": "not set",
        "MASTODON_TOKEN": "set",
        "X_CONSUMER_KEY": "not set",
    }
    assert "canary" not in done.stdout + done.stderr
