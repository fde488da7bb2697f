"""`xbot certify` imports only what it runs: no SQLAlchemy (the checks run on the driver), no
Alembic, Mako, migrations, crypto, rich or twitter-text (whose package import compiles every
regex it has: ~0.5 s), and no Typer: the console script reads a plain certify command line
by hand (xbot.cli_certify)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

#: packages (and xbot modules) a certification never uses: the schema check reads the revision
#: without Alembic
NOT_NEEDED = frozenset(
    {
        "alembic",
        "mako",
        "cryptography",
        "rich",
        "httpx",
        "structlog",
        "twitter_text",
        "sqlalchemy",
        "typer",
        "regex",  # the link finder's: check J loads it only when the window has posts
        # the permit model and review transitions: certify reads the mode from domain.account_mode
        "xbot.domain.permits",
        "xbot.domain.review",
    }
)
PROGRAM = """
import sys
sys.argv = ["xbot", "certify", "--json"]
from xbot.entry import main
try:
    main()
except SystemExit as exc:
    code = exc.code
loaded = sorted({{*sys.modules, *(name.split(".")[0] for name in sys.modules)}} & {not_needed!r})
sys.stderr.write(f"EXIT={{code}} LOADED={{','.join(loaded)}}\\n")
"""


def test_certify_loads_no_migration_machinery(database_url: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM.format(not_needed=set(NOT_NEEDED))],
        env={**os.environ, "XBOT_DATABASE_URL": database_url},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    last = done.stderr.splitlines()[-1] if done.stderr else ""
    assert last.startswith("EXIT=1 "), done.stderr  # an empty database is not operational
    assert last.endswith(" LOADED="), f"certify imported {last.partition('LOADED=')[2]}"
