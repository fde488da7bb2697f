"""`xbot sim serve` as a subprocess: JSON on the first line, working fakes, clean shutdown."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from websockets.sync.client import connect

from xbot.config import AccountSettings
from xbot.domain.posts import ReplyTarget
from xbot.platforms.x import build_x_platform

XBOT = str(Path(sys.executable).with_name("xbot"))


@pytest.fixture
def serve(xbot_env: dict[str, str], tmp_path: Path) -> Iterator[Any]:
    started: list[subprocess.Popen[str]] = []

    def start(*args: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [XBOT, "sim", "serve", *args],
            env=xbot_env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)


def test_json_first_line_then_the_fakes_serve_until_sigterm(
    serve: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    process = serve("--json", "--seed", "4", "--speed", "0", "--traffic", "0")
    assert process.stdout is not None
    description = json.loads(process.stdout.readline())
    assert description["seed"] == 4
    assert set(description["fakes"]) == {"x", "bluesky", "mastodon", "openai"}
    assert {account["platform"] for account in description["accounts"]} == {
        "x",
        "bluesky",
        "mastodon",
    }
    llm = description["llm"]
    key = description["env"][llm["api_key_env"]]
    models = httpx2.get(llm["base_url"] + "/models", headers={"Authorization": f"Bearer {key}"})
    assert models.status_code == 200
    jetstream = description["bluesky"]["jetstream_url"]
    assert jetstream == "ws" + description["fakes"]["bluesky"]["base_url"].removeprefix("http")
    with connect(jetstream + "/subscribe?wantedCollections=app.bsky.feed.post") as websocket:
        assert websocket.protocol.state.name == "OPEN"
    x = description["fakes"]["x"]
    assert x["base_url"].startswith("http://127.0.0.1:")
    assert x["admin_url"] == x["base_url"] + "/_sim"
    bot = x["bot_accounts"][0]
    assert bot["handle"] == "replybot"
    assert {"consumer_key", "access_token", "oauth2_access_token", "oauth2_refresh_token"} <= set(
        bot["credentials"]
    )

    (account,) = [a for a in description["accounts"] if a["platform"] == "x"]
    for variable, value in description["env"].items():
        monkeypatch.setenv(variable, value)
    platform = build_x_platform(AccountSettings(**account))
    assert platform.whoami() == (bot["user_id"], "replybot")

    user = next(u["handle"] for u in x["users"] if not u["automated"])
    with httpx2.Client(base_url=x["admin_url"]) as admin:
        mention = admin.post("/posts", json={"author": user, "text": "@replybot hello?"}).json()[
            "post"
        ]
        (candidate,) = platform.fetch_candidates(None).posts
        assert candidate.post_id == mention["id"]
        platform.publish_reply(
            ReplyTarget(post_id=mention["id"], author_handle=user), "Hello!", "pmt_x"
        )
        posts = admin.get("/posts", params={"author": "replybot"}).json()["posts"]
    assert [post["text"] for post in posts if post["in_reply_to"] == mention["id"]] == ["Hello!"]
    platform.close()

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0


def test_text_output_names_urls_and_credentials(serve: Any) -> None:
    process = serve("--seed", "2")
    assert process.stdout is not None
    lines = [process.stdout.readline() for _ in range(4)]
    assert lines[0].startswith("xbot sim: fake platforms on loopback (seed 2")
    assert lines[1].startswith("x ")
    assert "http://127.0.0.1:" in lines[1]
    assert lines[2].strip() == "@replybot"
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=15) == 0


def test_a_busy_port_is_one_error_line(serve: Any) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        process = serve("--json", "--port", str(port))
        stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 1
    assert stdout == ""
    assert stderr.startswith("error: cannot listen on 127.0.0.1:")
    assert len(stderr.strip().splitlines()) == 1
