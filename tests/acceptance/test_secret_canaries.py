"""Canary secrets in every credential, key, token and the DB password never show (issue 11).

A real worker runs against the three fake platforms and the fake model over loopback, on a
PostgreSQL URL that carries a password and password parameters (trust mode accepts any). Then
`xbot run --once`, `xbot certify` (JSON and Markdown), `xbot config show`, `xbot secrets rotate`
and /ready, /health. No canary may appear in any output line, HTTP answer, event or table.
"""

from __future__ import annotations

import json
import secrets
import signal
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import MetaData, create_engine, select, text

from acceptance.conftest import run_xbot, wait_for
from xbot.sim.stack import ServeOptions, SimStack
from xbot.store.secretbox import SessionCipher

#: fast cadences so a few seconds hold fetches, schedules and posts on every platform
CADENCE = {"FETCH": "1", "SCHEDULE": "1", "POST": "0.5", "RECONCILE": "2", "GHOST_SCAN": "3"}
X_OAUTH2 = ("client_id", "oauth2_access_token", "oauth2_refresh_token")


def canary(label: str) -> str:
    return f"{label}-canary-{secrets.token_hex(8)}"


def toml_value(value: Any) -> str:
    return json.dumps(value)  # JSON strings, numbers, booleans and arrays read as TOML


def config_text(described: dict[str, Any], extra_x: dict[str, str]) -> str:
    lines = ["[x]", "ai_replies_approved = true", "", "[llm]"]
    lines += [f"{key} = {toml_value(value)}" for key, value in described["llm"].items()]
    for account in described["accounts"]:
        credentials = dict(account["credentials"])
        if account["platform"] == "x":
            credentials.update(extra_x)
        lines += ["", "[[accounts]]"]
        lines += [f"{key} = {toml_value(account[key])}" for key in ("platform", "handle")]
        lines += [f"base_url = {toml_value(account['base_url'])}", 'generator = "llm"']
        lines += ["", "[accounts.credentials]"]
        lines += [f"{name} = {toml_value(variable)}" for name, variable in credentials.items()]
        lines += ["", "[accounts.budgets]", "per_hour = 60", "per_day = 500"]
        lines += ["min_gap_seconds = 1", "author_cooldown_minutes = 0"]
    return "\n".join(lines) + "\n"


def get(port: int, path: str, token: str | None = None) -> str:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return str(answer.headers) + answer.read().decode()
    except urllib.error.HTTPError as error:
        return str(error.headers) + error.read().decode()


def dump_every_table(url: str) -> str:
    engine = create_engine(url)
    metadata = MetaData()
    metadata.reflect(engine)
    try:
        with engine.connect() as connection:
            tables = {
                name: [list(row) for row in connection.execute(select(table))]
                for name, table in metadata.tables.items()
            }
    finally:
        engine.dispose()
    return json.dumps(tables, default=str)


def saved_session_tokens(url: str, key: str) -> list[str]:
    """The JWTs the Bluesky fake issued, read back through the key (they are canaries too)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT session_state FROM accounts")).scalars()
            states = [SessionCipher(SecretStr(key)).open(value) for value in stored if value]
    finally:
        engine.dispose()
    sessions = [state["bluesky"] for state in states if "bluesky" in state]
    return [session[name] for session in sessions for name in ("access_jwt", "refresh_jwt")]


def posted_replies(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            sql = "SELECT count(*) FROM system_events WHERE event_type = 'reply_posted'"
            return int(connection.execute(text(sql)).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.slow
def test_no_canary_appears_anywhere(
    xbot_env: dict[str, str], postgres_url: str, start_xbot: Any, tmp_path: Path
) -> None:
    options = ServeOptions(seed=11, speed=1, traffic_per_minute=120)
    with SimStack(options=options) as stack:
        described = stack.describe()
        credentials = dict(described["env"])  # every credential variable: the fakes' secrets
        x_bot = stack.fakes["x"].fake.describe()["bot_accounts"][0]["credentials"]
        extra_x = {name: f"SIM_X_EXTRA_{name.upper()}" for name in X_OAUTH2}
        credentials.update({extra_x[name]: str(x_bot[name]) for name in X_OAUTH2})
        admin_token = canary("admin")
        secret_key = Fernet.generate_key().decode()
        old_key = Fernet.generate_key().decode()
        db_password, ssl_password, passfile = canary("db"), canary("ssl"), canary("passfile")
        database_url = postgres_url.replace("postgres@", f"postgres:{db_password}@", 1) + (
            f"?sslpassword={ssl_password}&passfile=/nonexistent/{passfile}"
        )
        canaries = {
            **credentials,
            "XBOT_ADMIN_TOKEN": admin_token,
            "XBOT_SECRET_KEY": secret_key,
            "old key": old_key,
            "db password": db_password,
            "sslpassword": ssl_password,
            "passfile": passfile,
        }
        assert len(set(canaries.values())) == len(canaries)
        assert all(len(value) >= 16 for value in canaries.values())

        Path(xbot_env["XBOT_CONFIG"]).write_text(config_text(described, extra_x), "utf-8")
        xbot_env.update(credentials)
        xbot_env.update({f"XBOT_JOBS__{job}": seconds for job, seconds in CADENCE.items()})
        xbot_env["XBOT_POLL_INTERVAL"] = "0.2"
        xbot_env["XBOT_DATABASE_URL"] = database_url
        xbot_env["XBOT_ADMIN_TOKEN"] = admin_token
        xbot_env["XBOT_SECRET_KEY"] = f"{secret_key},{old_key}"

        seen: dict[str, str] = {}
        for args in (["migrate"], ["run", "--once"]):
            done = run_xbot(args, xbot_env, tmp_path)
            assert done.returncode == 0, done.stderr
            seen[" ".join(args)] = done.stdout + done.stderr

        worker = start_xbot(["worker"], xbot_env)
        worker.wait_ready()
        wait_for(lambda: posted_replies(postgres_url) >= 3, timeout=60, interval=0.5)
        for path in ("/health", "/ready"):
            seen[f"GET {path}"] = get(worker.port, path)
            seen[f"GET {path} as admin"] = get(worker.port, path, admin_token)
        assert worker.stop(signal.SIGTERM) == 0
        seen["worker"] = worker.stderr()

    report = {}
    commands = (["certify", "--json"], ["certify"], ["config", "show"], ["secrets", "rotate"])
    for args in commands:
        done = run_xbot(args, xbot_env, tmp_path)
        assert done.returncode in {0, 1, 2}, done.stderr
        seen[" ".join(args)] = done.stdout + done.stderr
        report = report or json.loads(done.stdout)
    assert report["database"].startswith("postgresql+psycopg://postgres:***@")
    assert "postgres:***@" in seen["certify"]  # the Markdown report names the database too

    jwts = saved_session_tokens(postgres_url, secret_key)
    assert jwts, "the Bluesky session was saved"
    canaries.update({f"bluesky jwt {index}": jwt for index, jwt in enumerate(jwts)})
    seen["every table"] = dump_every_table(postgres_url)
    assert "reply_posted" in seen["every table"]

    leaks = [
        (name, where)
        for name, value in canaries.items()
        for where, output in seen.items()
        if value in output
    ]
    assert not leaks, leaks
