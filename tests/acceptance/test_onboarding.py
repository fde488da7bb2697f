"""`xbot init`, `xbot accounts add x|bluesky|mastodon` and `xbot config check`, end to end.

Each flow runs as the real CLI against a fake platform on loopback; the browser's part (the
consent page, its form, the redirect to the command's loopback port) is played by an HTTP
client. No token may appear in the command's output, and what the command stored must be
what a worker then posts with.
"""

from __future__ import annotations

import stat
import subprocess
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from acceptance.conftest import XBOT, run_xbot
from acceptance.consent import approve, pin_of, wait_for_url
from acceptance.test_bad_input import one_line
from xbot.config import Settings
from xbot.sim.bluesky.fake import FakeBluesky
from xbot.sim.core.server import SimServer
from xbot.sim.core.world import build_world
from xbot.sim.mastodon.fake import FakeMastodon
from xbot.sim.x.fake import FakeX
from xbot.store.engine import make_engine
from xbot.store.secretbox import SessionCipher
from xbot.store.sessions import DatabaseSessionStore

pytestmark = pytest.mark.timeout(120)
#: the operator attests X's Automated label (no API shows it)
ATTESTED = {"XBOT_X__AUTOMATED_LABEL_ATTESTED": "true"}


@pytest.fixture
def fake_x() -> Iterator[tuple[FakeX, SimServer]]:
    fake = FakeX(build_world(5))
    with fake.server() as server:
        yield fake, server


@pytest.fixture
def fake_mastodon() -> Iterator[tuple[FakeMastodon, SimServer]]:
    fake = FakeMastodon(build_world(5))
    with fake.server() as server:
        yield fake, server
    fake.close()


@pytest.fixture
def fake_bluesky() -> Iterator[tuple[FakeBluesky, SimServer]]:
    fake = FakeBluesky(build_world(5))
    with fake.server() as server:
        yield fake, server


def start(args: list[str], env: Mapping[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [XBOT, *args],
        env=dict(env),
        cwd=cwd,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=60)
    return process.returncode, out, err


def stored(env: Mapping[str, str], key: str = "credentials") -> dict[str, Any]:
    engine = make_engine(env["XBOT_DATABASE_URL"])
    try:
        cipher = SessionCipher(SecretStr(env["XBOT_SECRET_KEY"]))
        return dict(DatabaseSessionStore(engine, 1, key, cipher).load() or {})
    finally:
        engine.dispose()


def assert_no_secret(text: str, secrets: Mapping[str, Any]) -> None:
    for name, value in secrets.items():
        if isinstance(value, str) and len(value) >= 8 and name != "oauth2_scope":
            assert value not in text, f"{name} leaked"


def configured(env: Mapping[str, str]) -> Settings:
    with Path(env["XBOT_CONFIG"]).open("rb") as file:
        return Settings.model_validate(tomllib.load(file))


def test_init_writes_a_commented_config_that_loads(
    tmp_path: Path, xbot_env: dict[str, str]
) -> None:
    target = tmp_path / "new" / "xbot.toml"
    args = [
        "init",
        "--path",
        str(target),
        "--no-input",
        "--platform",
        "mastodon",
        "--handle",
        "bot",
        "--base-url",
        "https://m.example",
        "--topics",
        "python, postgres",
    ]
    done = run_xbot(args, xbot_env, tmp_path)
    assert done.returncode == 0, done.stderr
    text = target.read_text()
    assert text.startswith("# xbot.toml, written by `xbot init`")
    loaded = configured({"XBOT_CONFIG": str(target)})
    [account] = loaded.accounts
    assert (account.platform, account.handle, account.topics) == (
        "mastodon",
        "bot",
        ["python", "postgres"],
    )
    assert account.credentials == {"access_token": "MASTODON_ACCESS_TOKEN"}
    shown = run_xbot(["config", "show"], {**xbot_env, "XBOT_CONFIG": str(target)}, tmp_path)
    assert shown.returncode == 0, shown.stderr

    again = run_xbot(["init", "--path", str(target), "--no-input"], xbot_env, tmp_path)
    assert again.returncode == 1
    assert (
        one_line(again.stderr) == f"error: {target} exists; keep it, or pass --force to replace it"
    )
    assert target.read_text() == text
    forced = run_xbot(["init", "--path", str(target), "--no-input", "--force"], xbot_env, tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert configured({"XBOT_CONFIG": str(target)}).accounts == []


def test_init_refuses_what_it_cannot_ask(tmp_path: Path, xbot_env: dict[str, str]) -> None:
    target = tmp_path / "x.toml"
    done = run_xbot(
        ["init", "--path", str(target), "--no-input", "--platform", "mastodon", "--handle", "bot"],
        xbot_env,
        tmp_path,
    )
    assert done.returncode == 1
    assert "pass --base-url" in one_line(done.stderr)
    bad = run_xbot(
        ["init", "--path", str(target), "--no-input", "--platform", "myspace"], xbot_env, tmp_path
    )
    assert (
        one_line(bad.stderr)
        == "error: platform 'myspace' is unknown: use one of x, bluesky, mastodon"
    )
    assert not target.exists()


def test_x_oauth2_pkce_then_check_then_post(
    tmp_path: Path, xbot_env: dict[str, str], fake_x: tuple[FakeX, SimServer]
) -> None:
    fake, server = fake_x
    env = {**xbot_env, "X_CLIENT_ID": fake.auth.client_id, **ATTESTED}
    args = [
        "accounts",
        "add",
        "x",
        "--base-url",
        server.base_url,
        "--no-browser",
        "--redirect-port",
        "0",
    ]
    process = start(args, env, tmp_path)
    assert approve(wait_for_url(process), "replybot") == 200
    code, out, err = finish(process)
    assert code == 0, err
    assert (
        "authorized x:@replybot (scopes: tweet.read tweet.write users.read offline.access)" in out
    )
    saved = stored(env)
    assert set(saved) == {
        "client_id",
        "oauth2_access_token",
        "oauth2_refresh_token",
        "oauth2_scope",
    }
    assert_no_secret(out + err, saved)
    [account] = configured(env).accounts
    assert (account.platform, account.handle, account.base_url) == (
        "x",
        "replybot",
        server.base_url,
    )

    checked = run_xbot(["config", "check"], env, tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "PASS x:@replybot" in checked.stdout
    assert "who-am-I @replybot" in checked.stdout
    assert "write access (tweet.write)" in checked.stdout
    assert_no_secret(checked.stdout + checked.stderr, saved)

    # a worker runs on what was stored: every job's pass succeeds (exit 1 if one failed)
    fake.post_as(fake.world.users[0].handle, "@replybot what is a permit?")
    ran = run_xbot(["run", "--once"], {**env, "PORT": "0"}, tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert '"job": "fetch"' in ran.stdout
    assert_no_secret(ran.stdout + ran.stderr, saved)


def test_x_oauth1_pin_flow(
    tmp_path: Path, xbot_env: dict[str, str], fake_x: tuple[FakeX, SimServer]
) -> None:
    fake, server = fake_x
    env = {
        **xbot_env,
        "X_CONSUMER_KEY": fake.auth.consumer_key,
        "X_CONSUMER_SECRET": fake.auth.consumer_secret,
        **ATTESTED,
    }
    args = [
        "accounts",
        "add",
        "x",
        "--oauth1",
        "--handle",
        "replybot",
        "--base-url",
        server.base_url,
        "--no-browser",
    ]
    process = start(args, env, tmp_path)
    pin = pin_of(wait_for_url(process), "replybot")
    assert pin.isdigit()
    assert process.stdin is not None
    process.stdin.write(pin + "\n")
    process.stdin.flush()
    code, out, err = finish(process)
    assert code == 0, err
    assert "authorized x:@replybot (access level: read-write)" in out
    saved = stored(env)
    assert set(saved) == {"consumer_key", "consumer_secret", "access_token", "access_token_secret"}
    assert_no_secret(out + err, saved)
    [account] = configured(env).accounts
    assert account.credentials == {
        "consumer_key": "X_CONSUMER_KEY",
        "consumer_secret": "X_CONSUMER_SECRET",
    }

    checked = run_xbot(["config", "check"], env, tmp_path)
    assert checked.returncode == 0, checked.stdout
    assert "write access (read-write)" in checked.stdout
    assert checked.stdout.rstrip().endswith("Automated label attested")

    unattested = {key: value for key, value in env.items() if key not in ATTESTED}
    label = run_xbot(["config", "check"], unattested, tmp_path)
    assert label.returncode == 1
    assert label.stdout.rstrip().endswith(
        "x.automated_label_attested is false: set X's Automated "
        "label on the account, then attest it in xbot.toml"
    )

    fake.configure(app_permission="read")  # the app was switched to read-only
    refused = run_xbot(["config", "check"], env, tmp_path)
    assert refused.returncode == 1
    assert "FAIL x:@replybot" in refused.stdout
    assert "permission is 'read'" in refused.stdout
    assert_no_secret(refused.stdout + refused.stderr, saved)


def test_x_wrong_account_is_refused_and_nothing_stored(
    tmp_path: Path, xbot_env: dict[str, str], fake_x: tuple[FakeX, SimServer]
) -> None:
    fake, server = fake_x
    env = {**xbot_env, "X_CLIENT_ID": fake.auth.client_id}
    args = [
        "accounts",
        "add",
        "x",
        "--handle",
        "someoneelse",
        "--base-url",
        server.base_url,
        "--no-browser",
        "--redirect-port",
        "0",
    ]
    process = start(args, env, tmp_path)
    approve(wait_for_url(process), "replybot")
    code, _, err = finish(process)
    assert code == 1
    assert one_line(err).startswith("error: X authorized @replybot, not @someoneelse")
    assert Path(env["XBOT_CONFIG"]).read_text() == ""


def test_x_denied_approval_is_one_line(
    tmp_path: Path, xbot_env: dict[str, str], fake_x: tuple[FakeX, SimServer]
) -> None:
    fake, server = fake_x
    env = {**xbot_env, "X_CLIENT_ID": fake.auth.client_id}
    args = [
        "accounts",
        "add",
        "x",
        "--base-url",
        server.base_url,
        "--no-browser",
        "--redirect-port",
        "0",
    ]
    process = start(args, env, tmp_path)
    approve(wait_for_url(process), "replybot", decision="deny")
    code, _, err = finish(process)
    assert code == 1
    assert one_line(err) == "error: X did not authorize xbot (access_denied)"


def test_bluesky_app_password_then_check(
    tmp_path: Path, xbot_env: dict[str, str], fake_bluesky: tuple[FakeBluesky, SimServer]
) -> None:
    fake, server = fake_bluesky
    bot = fake.describe()["bot_accounts"][0]
    handle, password = bot["handle"], bot["credentials"]["password"]
    env = {**xbot_env, "BLUESKY_APP_PASSWORD": password}
    args = ["accounts", "add", "bluesky", "--handle", handle, "--base-url", server.base_url]
    done = run_xbot(args, env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"authorized bluesky:@{handle} (session for did:" in done.stdout
    assert password not in done.stdout + done.stderr
    assert stored(env) == {"app_password": password}
    assert set(stored(env, "bluesky")) >= {"did", "access_jwt", "refresh_jwt"}

    without = {key: value for key, value in env.items() if key != "BLUESKY_APP_PASSWORD"}
    checked = run_xbot(["config", "check"], without, tmp_path)
    assert checked.returncode == 0, checked.stdout
    assert f"PASS bluesky:@{handle}  credentials stored" in checked.stdout
    assert password not in checked.stdout


def test_bluesky_wrong_password_is_one_line_and_nothing_stored(
    tmp_path: Path, xbot_env: dict[str, str], fake_bluesky: tuple[FakeBluesky, SimServer]
) -> None:
    fake, server = fake_bluesky
    handle = fake.describe()["bot_accounts"][0]["handle"]
    env = {**xbot_env, "BLUESKY_APP_PASSWORD": "wrong-pass-word-1234"}
    args = ["accounts", "add", "bluesky", "--handle", handle, "--base-url", server.base_url]
    done = run_xbot(args, env, tmp_path)
    assert done.returncode == 1
    line = one_line(done.stderr)
    assert line.startswith("error: ")
    assert "wrong-pass-word-1234" not in line
    assert Path(env["XBOT_CONFIG"]).read_text() == ""
    without = {key: value for key, value in env.items() if key != "BLUESKY_APP_PASSWORD"}
    unset = run_xbot(args, without, tmp_path)
    assert one_line(unset.stderr) == (
        "error: the account's app password is needed: "
        "set the environment variable BLUESKY_APP_PASSWORD"
    )


def test_mastodon_app_registration_and_code_flow(
    tmp_path: Path, xbot_env: dict[str, str], fake_mastodon: tuple[FakeMastodon, SimServer]
) -> None:
    _, server = fake_mastodon
    args = ["accounts", "add", "mastodon", "--base-url", server.base_url, "--no-browser"]
    process = start(args, xbot_env, tmp_path)
    assert approve(wait_for_url(process), "replybot") == 200
    code, out, err = finish(process)
    assert code == 0, err
    assert (
        "authorized mastodon:@replybot (scopes: read:accounts read:notifications "
        "read:statuses write:statuses)" in out
    )
    saved = stored(xbot_env)
    assert set(saved) == {"access_token"}
    assert_no_secret(out + err, saved)
    checked = run_xbot(["config", "check"], xbot_env, tmp_path)
    assert checked.returncode == 0, checked.stdout
    assert "PASS mastodon:@replybot" in checked.stdout
    assert "write:statuses granted" in checked.stdout
    assert_no_secret(checked.stdout, saved)


def test_mastodon_env_file_mode(
    tmp_path: Path, xbot_env: dict[str, str], fake_mastodon: tuple[FakeMastodon, SimServer]
) -> None:
    _, server = fake_mastodon
    env = {key: value for key, value in xbot_env.items() if key != "XBOT_SECRET_KEY"}
    env_file = tmp_path / "mastodon.env"
    args = [
        "accounts",
        "add",
        "mastodon",
        "--base-url",
        server.base_url,
        "--no-browser",
        "--env-file",
        str(env_file),
    ]
    process = start(args, env, tmp_path)
    approve(wait_for_url(process), "replybot")
    code, out, err = finish(process)
    assert code == 0, err
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    name, _, token = env_file.read_text().splitlines()[1].partition("=")
    assert name == "MASTODON_ACCESS_TOKEN"
    assert token not in out + err
    assert configured(env).accounts[0].credentials == {"access_token": "MASTODON_ACCESS_TOKEN"}
    assert not (tmp_path / "xbot.db").exists()

    unset = run_xbot(["config", "check"], env, tmp_path)
    assert unset.returncode == 1
    assert "FAIL mastodon:@replybot  variables" not in unset.stdout
    assert "unset: MASTODON_ACCESS_TOKEN" in unset.stdout
    checked = run_xbot(["config", "check"], {**env, name: token}, tmp_path)
    assert checked.returncode == 0, checked.stdout
    assert token not in checked.stdout


def test_store_mode_needs_the_key(tmp_path: Path, xbot_env: dict[str, str]) -> None:
    env = {key: value for key, value in xbot_env.items() if key != "XBOT_SECRET_KEY"}
    done = run_xbot(["accounts", "add", "bluesky", "--handle", "bot.example"], env, tmp_path)
    assert done.returncode == 1
    assert "pass --env-file PATH" in one_line(done.stderr)


def test_check_fails_on_refused_credentials(
    tmp_path: Path, xbot_env: dict[str, str], fake_mastodon: tuple[FakeMastodon, SimServer]
) -> None:
    fake, server = fake_mastodon
    config = (
        '[[accounts]]\nplatform = "mastodon"\nhandle = "replybot"\n'
        f'base_url = "{server.base_url}"\n'
        '[accounts.credentials]\naccess_token = "MASTODON_TOKEN"\n'
    )
    Path(xbot_env["XBOT_CONFIG"]).write_text(config)
    env = {**xbot_env, "MASTODON_TOKEN": "not-the-token-at-all-1234"}
    refused = run_xbot(["config", "check"], env, tmp_path)
    assert refused.returncode == 1
    [line] = [text for text in refused.stdout.splitlines() if "mastodon:" in text]
    assert line.startswith("FAIL mastodon:@replybot  variables set · ")
    assert "not-the-token-at-all-1234" not in refused.stdout
    good = run_xbot(
        ["config", "check"], {**env, "MASTODON_TOKEN": fake.token("replybot")}, tmp_path
    )
    assert good.returncode == 0, good.stdout
