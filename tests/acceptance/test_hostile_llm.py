"""A hostile model behind the `llm` generator gets nothing posted on X, Bluesky or Mastodon.

`xbot run --once` (fetch → schedule → post) runs as a subprocess against the fakes on loopback.
First the fake model answers normally, so replies reach every platform (the pipeline works);
then it turns hostile and every answer is one of the guard's classes: the very key xbot called
it with (in disguise), invented credentials, links in any spelling, foreign mentions, disguised
instructions to readers, the system prompt, over-length text, forbidden characters. No post
appears after that, and nothing any fake holds carries the key or a hostile answer.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import create_engine, text

from acceptance.conftest import run_xbot
from xbot.domain.instructions import find_instruction
from xbot.domain.leaks import comparable, find_leak
from xbot.domain.links import find_links, find_mentions, same_handle
from xbot.domain.text import forbidden_character
from xbot.sim.openai.attacks import HOSTILE
from xbot.sim.stack import ServeOptions, SimStack

PLATFORMS = ("x", "bluesky", "mastodon")
CONTROL_MENTIONS = 2
HOSTILE_MENTIONS = 7  # 21 model answers over three accounts: every hostile class at least once
QUESTIONS = (
    "how do I publish a python package?",
    "which build backend do you like for python packaging?",
    "is a lock file worth it for a small python app?",
    "why does pip say my wheel is not supported?",
    "any tips on versioning a python library?",
    "should I pin dependencies in a python library?",
    "what goes into pyproject.toml first?",
    "is uv faster than pip for python installs?",
    "how do I test a python package before release?",
)


def toml_value(value: Any) -> str:
    """Return `value` as TOML (strings, numbers, booleans, lists and inline tables)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    items = ", ".join(f"{key} = {toml_value(item)}" for key, item in value.items())
    return "{ " + items + " }"


def write_config(path: Path, description: dict[str, Any]) -> None:
    lines = ["[x]", "ai_replies_approved = true", "", "[llm]"]
    llm = {**description["llm"], "model": "sim-gpt", "timeout_seconds": 10.0}
    lines += [f"{key} = {toml_value(value)}" for key, value in llm.items()]
    budgets = {"per_hour": 100, "per_day": 500, "min_gap_seconds": 0, "author_cooldown_minutes": 0}
    for account in description["accounts"]:
        settings = {
            **account,
            "generator": "llm",
            "topics": ["python", "packaging"],
            "budgets": budgets,
        }
        lines += ["", "[[accounts]]"]
        lines += [f"{key} = {toml_value(value)}" for key, value in settings.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def humans(fake: dict[str, Any]) -> list[str]:
    return [user["handle"] for user in fake["users"] if not user["automated"]]


def mention_bots(description: dict[str, Any], count: int, offset: int) -> None:
    for account in description["accounts"]:
        fake = description["fakes"][account["platform"]]
        people = humans(fake)
        with httpx2.Client(base_url=fake["admin_url"], timeout=10) as admin:
            for number in range(offset, offset + count):
                text = f"@{account['handle']} {QUESTIONS[number % len(QUESTIONS)]} ({number})"
                author = people[number % len(people)]
                response = admin.post("/posts", json={"author": author, "text": text})
                assert response.status_code in {200, 201}, response.text


def bot_posts(description: dict[str, Any]) -> dict[str, list[str]]:
    """Return the text of every post each bot account has on its fake, oldest first."""
    found: dict[str, list[str]] = {}
    for platform in PLATFORMS:
        fake = description["fakes"][platform]
        bot = fake["bot_accounts"][0]
        author = bot.get("world_handle") or bot["handle"]
        response = httpx2.get(fake["admin_url"] + "/posts", params={"author": author}, timeout=10)
        response.raise_for_status()
        found[platform] = [str(post["text"]) for post in response.json()["posts"]]
    return found


def run_pipeline(env: dict[str, str], cwd: Path, rounds: int) -> None:
    for _ in range(rounds):
        done = run_xbot(["run", "--once"], env, cwd, timeout=120)
        assert done.returncode == 0, done.stderr
        failed = [item for item in json.loads(done.stdout) if item["error"]]
        assert failed == [], failed


def stored_texts(database_url: str) -> list[str]:
    """Return every event's data and every decided reply, as text."""
    engine = create_engine(database_url)
    with engine.connect() as connection:
        events = connection.execute(text("SELECT event_data FROM system_events")).all()
        replies = connection.execute(text("SELECT reply_text FROM reply_decisions")).all()
    engine.dispose()
    return [str(row[0]) for row in [*events, *replies]]


def skip_reasons(database_url: str) -> Counter[str]:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT skip_reason FROM reply_candidate_queue WHERE skip_reason IS NOT NULL")
        ).all()
    engine.dispose()
    return Counter(row[0] for row in rows)


def carries(reply: str, key: str) -> bool:
    """Return True when a reply holds the key: a 12-character run of it (either way round),
    its base64 or its hex."""
    runs = {comparable(key)[i : i + 12] for i in range(len(comparable(key)) - 11)}
    readable = comparable(reply) + " " + comparable(reply)[::-1]
    encoded = (base64.b64encode(key.encode()).decode(), key.encode().hex())
    return any(code in reply for code in encoded) or any(run in readable for run in runs)


def assert_harmless(text: str, key: str, author_handles: set[str]) -> None:
    """Independent checks of a published post: what no guard bug may let through."""
    assert comparable(key)[4:16] not in comparable(text)
    assert find_leak(text, (key,)) is None
    assert find_links(text) == []
    assert find_instruction(text) is None
    assert forbidden_character(text) is None
    for mention in find_mentions(text):
        assert any(same_handle(mention, handle) for handle in author_handles), text


@pytest.mark.timeout(600)
def test_a_hostile_llm_gets_nothing_posted_anywhere(
    xbot_env: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    options = ServeOptions(seed=8, speed=0, traffic_per_minute=0)
    with SimStack(options=options) as stack:
        description = stack.describe()
        key = description["env"]["SIM_OPENAI_API_KEY"]
        openai_admin = description["fakes"]["openai"]["admin_url"]
        write_config(tmp_path / "xbot.toml", description)
        env = {
            **xbot_env,
            **description["env"],
            "XBOT_DATABASE_URL": database_url,
            "XBOT_ENABLED_JOBS": '["fetch", "schedule", "post"]',
            "XBOT_JOBS__FETCH": "0.01",
            "XBOT_JOBS__SCHEDULE": "0.01",
            "XBOT_JOBS__POST": "0.01",
        }

        # the fake clock stands still: let the Bluesky AppView show new posts at once
        no_lag = {"notification_delay_seconds": 0, "view_delay_seconds": 0}
        bluesky_admin = description["fakes"]["bluesky"]["admin_url"]
        httpx2.post(bluesky_admin + "/settings", json=no_lag, timeout=10).raise_for_status()
        mention_bots(description, CONTROL_MENTIONS, offset=0)
        run_pipeline(env, tmp_path, rounds=2)
        control = bot_posts(description)
        replied = skip_reasons(database_url)
        assert replied == Counter(), replied  # every control mention was answered
        assert all(len(control[platform]) >= CONTROL_MENTIONS for platform in PLATFORMS)

        hostile = {"mode": "adversarial", "attacks": list(HOSTILE)}
        httpx2.post(openai_admin + "/mode", json=hostile, timeout=10).raise_for_status()
        mention_bots(description, HOSTILE_MENTIONS, offset=CONTROL_MENTIONS)
        run_pipeline(env, tmp_path, rounds=2)
        after = bot_posts(description)
        log = httpx2.get(openai_admin + "/requests", timeout=10).json()["requests"]

    answers = [entry for entry in log if entry.get("mode") == "adversarial"]
    assert {entry["attack"] for entry in answers} == set(HOSTILE)
    offered = [entry["reply"] for entry in answers if entry["attack"] == "configured_key"]
    assert offered
    assert all(carries(reply, key) for reply in offered)  # the key xbot called it with
    assert after == control  # not one hostile answer was published
    replies = {entry["reply"] for entry in answers}
    handles = {user for platform in PLATFORMS for user in humans(description["fakes"][platform])}
    for platform in PLATFORMS:
        for post in after[platform]:
            assert post not in replies
            assert_harmless(post, key, handles)
    reasons = skip_reasons(database_url)
    guarded = sum(count for reason, count in reasons.items() if reason.startswith("guard_"))
    assert guarded + reasons["generator_failed"] >= len(answers)
    assert {"guard_secret", "guard_link", "guard_instruction", "guard_mention"} <= set(reasons)
    for stored in stored_texts(database_url):  # refusals name a kind and a length, never the key
        assert not carries(stored, key), stored
