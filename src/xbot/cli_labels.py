"""`xbot accounts check`: each configured account's automated-account label (issue 15)."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from xbot.cli_support import EXIT_DATABASE, engine_for, fail, settings
from xbot.domain.errors import ConfigError, XbotError


def accounts_check(
    by: Annotated[str, typer.Option("--by", help="Who runs the check (recorded).")] = "cli",
    as_json: Annotated[bool, typer.Option("--json", help="Print the checks as JSON.")] = False,
) -> None:
    """Check each account's bot label; with labels.apply = true, write a missing one.

    Bluesky: the profile's `bot` self-label; Mastodon: the `bot` flag; X: the operator's
    x.automated_label_attested (X's API does not show the label). Exits 1 unless every
    account carries its label.
    """
    from xbot.operations import Actor
    from xbot.operations_labels import check_labels
    from xbot.serve import load_accounts
    from xbot.store.migrate import verify_schema
    from xbot.store.sql import SqlStore
    from xbot.wiring import PlatformCache, require_secret_key

    loaded = settings()
    engine = engine_for(loaded)
    platforms = PlatformCache(loaded, engine)
    try:
        require_secret_key(loaded)
        verify_schema(engine)
        accounts = load_accounts(SqlStore(engine), loaded)
        checks = check_labels(engine, loaded, accounts, platforms, Actor(name=by))
    except ConfigError as exc:
        fail(exc)
    except XbotError as exc:
        fail(exc, code=EXIT_DATABASE)
    finally:
        platforms.close()
        engine.dispose()
    if as_json:
        rows = [{"account": check.account.key, "state": check.state.value,
                 "ok": check.state.ok, "detail": check.detail} for check in checks]  # fmt: skip
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
    else:
        sys.stdout.write("".join(check.describe() + "\n" for check in checks) or "no accounts\n")
    if not all(check.state.ok for check in checks):
        raise SystemExit(1)
