"""`xbot secrets generate-key|rotate`: the key that encrypts saved platform sessions."""

from __future__ import annotations

import sys

from xbot.cli_support import EXIT_DATABASE, engine_for, fail, settings
from xbot.domain.errors import ConfigError, SecretKeyMissing, StoreError

#: the event a rotation appends (how many sessions were re-encrypted, never a key)
SECRETS_ROTATED = "secrets_rotated"


def generate_key() -> None:
    """Print a new random key for XBOT_SECRET_KEY."""
    from xbot.store.secretbox import generate_key as new_key

    sys.stdout.write(new_key() + "\n")


def rotate() -> None:
    """Re-encrypt every saved session with the first key of XBOT_SECRET_KEY (new,old,...)."""
    from xbot.store.engine import translated_errors
    from xbot.store.migrate import verify_schema
    from xbot.store.queries.common import database_now
    from xbot.store.queries.events import append_event
    from xbot.store.secretbox import SessionCipher
    from xbot.store.sessions import reseal_sessions

    loaded = settings()
    cipher = SessionCipher(loaded.secret_key)
    if not cipher.has_key:
        fail(SecretKeyMissing())
    engine = engine_for(loaded)
    try:
        verify_schema(engine)
        with translated_errors(), engine.begin() as connection:
            count = reseal_sessions(connection, cipher)
            append_event(
                connection,
                SECRETS_ROTATED,
                {"sessions": count},
                now=database_now(connection),
                component="cli",
            )
    except ConfigError as exc:  # a session no key opens: nothing was written
        fail(exc)
    except StoreError as exc:
        fail(exc, code=EXIT_DATABASE)
    finally:
        engine.dispose()
    sys.stdout.write(f"re-encrypted {count} saved session(s) with the newest key\n")
