"""Saved platform sessions are encrypted at rest, on SQLite and PostgreSQL (issue 11)."""

from __future__ import annotations

import pytest
from alembic import command
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import Engine, text, update

from xbot.config import AccountSettings, Settings
from xbot.domain.errors import SecretKeyMissing, SecretKeyWrong
from xbot.serve import load_accounts
from xbot.store.migrate import alembic_config, current_revision
from xbot.store.revisions import head_revision
from xbot.store.secretbox import SessionCipher
from xbot.store.sessions import DatabaseSessionStore, reseal_sessions
from xbot.store.sql import SqlStore
from xbot.store.tables import accounts

OLD = Fernet.generate_key().decode()
NEW = Fernet.generate_key().decode()
ACCESS = "eyJhbGciOiJIUzI1NiJ9.access-canary-7d1f"
REFRESH = "eyJhbGciOiJIUzI1NiJ9.refresh-canary-2b9c"
SESSION = {"did": "did:plc:bot", "access_jwt": ACCESS, "refresh_jwt": REFRESH, "service": "s"}
BEFORE_0005 = "0003_posted_id_per_account"


def cipher(keys: str | None) -> SessionCipher:
    return SessionCipher(SecretStr(keys) if keys else None)


@pytest.fixture
def account_id(engine: Engine) -> int:
    settings = Settings(accounts=[AccountSettings(platform="bluesky", handle="bot.example")])
    [account] = load_accounts(SqlStore(engine), settings)
    return account.account_id


def stored_text(engine: Engine, account_id: int) -> str:
    """The column as the database holds it, as text."""
    with engine.connect() as connection:
        value = connection.execute(
            text("SELECT CAST(session_state AS TEXT) FROM accounts WHERE id = :id"),
            {"id": account_id},
        ).scalar()
    return str(value)


def write_plain(engine: Engine, account_id: int, state: dict[str, object]) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(accounts).where(accounts.c.id == account_id).values(session_state=state)
        )


def test_a_saved_session_is_not_stored_in_plain_text(engine: Engine, account_id: int) -> None:
    store = DatabaseSessionStore(engine, account_id, "bluesky", cipher(NEW))
    store.save(SESSION)
    raw = stored_text(engine, account_id)
    assert ACCESS not in raw
    assert REFRESH not in raw
    assert "did:plc:bot" not in raw
    assert store.load() == SESSION


def test_saving_without_a_key_fails_and_keeps_the_row(engine: Engine, account_id: int) -> None:
    DatabaseSessionStore(engine, account_id, "x_oauth2", cipher(NEW)).save({"a": "b"})
    before = stored_text(engine, account_id)
    keyless = DatabaseSessionStore(engine, account_id, "bluesky", cipher(None))
    with pytest.raises(SecretKeyMissing, match="XBOT_SECRET_KEY") as caught:
        keyless.save(SESSION)
    assert "\n" not in str(caught.value)
    assert "xbot secrets generate-key" in str(caught.value)
    assert stored_text(engine, account_id) == before


def test_a_plain_legacy_row_is_read_and_sealed_on_its_next_write(
    engine: Engine, account_id: int
) -> None:
    write_plain(engine, account_id, {"bluesky": SESSION, "x_oauth2": {"client_id": "c"}})
    assert DatabaseSessionStore(engine, account_id, "bluesky", cipher(None)).load() == SESSION
    store = DatabaseSessionStore(engine, account_id, "x_oauth2", cipher(NEW))
    store.save({"client_id": "d"})
    assert ACCESS not in stored_text(engine, account_id)
    assert DatabaseSessionStore(engine, account_id, "bluesky", cipher(NEW)).load() == SESSION
    assert store.load() == {"client_id": "d"}


def test_rotation_reseals_with_the_newest_key(engine: Engine, account_id: int) -> None:
    DatabaseSessionStore(engine, account_id, "bluesky", cipher(OLD)).save(SESSION)
    with engine.begin() as connection:
        assert reseal_sessions(connection, cipher(f"{NEW},{OLD}")) == 1
    assert DatabaseSessionStore(engine, account_id, "bluesky", cipher(NEW)).load() == SESSION
    with pytest.raises(SecretKeyWrong, match="XBOT_SECRET_KEY"):
        DatabaseSessionStore(engine, account_id, "bluesky", cipher(OLD)).load()


def test_an_encrypted_session_needs_the_key_to_be_read(engine: Engine, account_id: int) -> None:
    DatabaseSessionStore(engine, account_id, "bluesky", cipher(NEW)).save(SESSION)
    with pytest.raises(SecretKeyMissing):
        DatabaseSessionStore(engine, account_id, "bluesky", cipher(None)).load()


def test_migration_0005_encrypts_plain_rows_when_given_a_key(
    engine: Engine, account_id: int
) -> None:
    command.downgrade(alembic_config(engine), BEFORE_0005)
    write_plain(engine, account_id, {"bluesky": SESSION})
    command.upgrade(alembic_config(engine, SecretStr(NEW)), "head")
    assert current_revision(engine) == head_revision()
    assert ACCESS not in stored_text(engine, account_id)
    assert DatabaseSessionStore(engine, account_id, "bluesky", cipher(NEW)).load() == SESSION
    command.downgrade(alembic_config(engine, SecretStr(NEW)), BEFORE_0005)
    assert ACCESS in stored_text(engine, account_id)


def test_migration_0005_without_a_key_leaves_rows_readable(engine: Engine, account_id: int) -> None:
    command.downgrade(alembic_config(engine), BEFORE_0005)
    write_plain(engine, account_id, {"bluesky": SESSION})
    command.upgrade(alembic_config(engine), "head")
    assert current_revision(engine) == head_revision()
    assert DatabaseSessionStore(engine, account_id, "bluesky", cipher(None)).load() == SESSION
    with engine.begin() as connection:
        assert reseal_sessions(connection, cipher(NEW)) == 1
    assert ACCESS not in stored_text(engine, account_id)
    assert DatabaseSessionStore(engine, account_id, "bluesky", cipher(NEW)).load() == SESSION
