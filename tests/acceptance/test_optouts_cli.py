"""`xbot optouts list|add|remove` through the real CLI, and its one-line refusals."""

from __future__ import annotations

import json
from pathlib import Path

from acceptance.conftest import run_xbot


def test_add_list_remove(xbot_env: dict[str, str], tmp_path: Path) -> None:
    assert run_xbot(["migrate"], xbot_env, tmp_path).returncode == 0
    empty = run_xbot(["optouts", "list"], xbot_env, tmp_path)
    assert (empty.returncode, empty.stdout) == (0, "no opt-outs\n")

    added = run_xbot(
        ["optouts", "add", "bluesky", "did:plc:ann", "--handle", "ann.bsky.social", "--by", "ops"],
        xbot_env,
        tmp_path,
    )
    assert (added.returncode, added.stdout) == (0, "bluesky:did:plc:ann opted out\n")
    again = run_xbot(["optouts", "add", "bluesky", "did:plc:ann"], xbot_env, tmp_path)
    assert again.stdout == "bluesky:did:plc:ann had opted out already\n"

    listed = run_xbot(["optouts", "list", "--json"], xbot_env, tmp_path)
    [row] = json.loads(listed.stdout)
    assert (row["platform"], row["author_id"], row["how"], row["created_by"]) == (
        "bluesky", "did:plc:ann", "operator", "ops",
    )  # fmt: skip
    text = run_xbot(["optouts", "list", "--platform", "bluesky"], xbot_env, tmp_path).stdout
    assert text.startswith("bluesky\tdid:plc:ann @ann.bsky.social\toperator\t")

    removed = run_xbot(["optouts", "remove", "bluesky", "@ANN.bsky.social"], xbot_env, tmp_path)
    assert (removed.returncode, removed.stdout) == (
        0,
        "bluesky:did:plc:ann may be answered again\n",
    )
    assert run_xbot(["optouts", "list"], xbot_env, tmp_path).stdout == "no opt-outs\n"


def test_bad_input_is_one_line(xbot_env: dict[str, str], tmp_path: Path) -> None:
    assert run_xbot(["migrate"], xbot_env, tmp_path).returncode == 0
    unknown = run_xbot(["optouts", "add", "myspace", "42"], xbot_env, tmp_path)
    assert unknown.returncode == 1
    assert unknown.stderr == (
        "error: unknown platform 'myspace': use one of x, bluesky, mastodon\n"
    )
    missing = run_xbot(["optouts", "remove", "x", "nobody"], xbot_env, tmp_path)
    assert missing.returncode == 1
    assert missing.stderr == "error: 'nobody' has not opted out on x: see `xbot optouts list`\n"
