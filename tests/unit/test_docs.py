"""README.md and docs/: every TOML block loads into Settings, every `xbot` command line in a bash
block is one the CLI accepts, and the README links every doc and keeps its two-command Quickstart.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from cli_invocations import invocation_problem
from xbot.config import load_settings

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
DOCS = ["operations", "credentials", "configuration", "local-llm", "simulator", "architecture"]
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
SEPARATORS = {"&&", "||", ";", "|", "&", "(", ")"}
REDIRECTIONS = {">", ">>", "<", ">&", "2"}


def blocks(language: str) -> list[tuple[str, str]]:
    """(where, text) of every fenced block in that language, in README.md and docs/."""
    found = []
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        for match in BLOCK.finditer(text):
            if match.group(1) == language:
                line = text[: match.start()].count("\n") + 1
                found.append((f"{document.relative_to(ROOT)}:{line}", match.group(2)))
    return found


def xbot_commands(script: str) -> list[list[str]]:
    """Every `xbot ...` command in a shell block, variables and comments left as written.

    A synopsis's optional part (`[--json]`) ends the words checked; redirections are dropped.
    """
    commands = []
    for line in script.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.commenters = "#"
        lexer.wordchars += ":@,%+${}!^[]"
        words: list[str] = []
        for word in [*lexer, ";"]:
            if word not in SEPARATORS:
                words.append(word)
                continue
            command = _command(words)
            if command:
                commands.append(command)
            words = []
    return commands


def _command(words: list[str]) -> list[str]:
    while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=\S*", words[0]):
        words = words[1:]  # VAR=value xbot ...
    if not words or words[0] != "xbot":
        return []
    for index, word in enumerate(words):
        if word.startswith("[") or word in REDIRECTIONS:
            return words[:index]
    return words


TOML_BLOCKS = blocks("toml")
BASH_BLOCKS = blocks("bash")


def test_the_docs_hold_toml_and_bash_blocks_to_check() -> None:
    assert len(TOML_BLOCKS) >= 6
    assert sum(len(xbot_commands(text)) for _, text in BASH_BLOCKS) >= 20


@pytest.mark.parametrize(("where", "text"), TOML_BLOCKS, ids=[w for w, _ in TOML_BLOCKS])
def test_every_toml_block_loads_into_the_settings(
    where: str, text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "xbot.toml"
    config.write_text(text, encoding="utf-8")
    monkeypatch.setenv("XBOT_CONFIG", str(config))
    load_settings()  # raises ConfigError naming the key and the rule


@pytest.mark.parametrize(("where", "text"), BASH_BLOCKS, ids=[w for w, _ in BASH_BLOCKS])
def test_every_xbot_command_in_the_docs_is_accepted_by_the_cli(where: str, text: str) -> None:
    problems = [invocation_problem(command) for command in xbot_commands(text)]
    assert [problem for problem in problems if problem] == [], where


def test_the_command_finder_sees_chained_and_prefixed_commands() -> None:
    script = 'X=1 xbot deploy mark --sha "$S" && xbot certify --wait 1m  # gate\nexport A=b\n'
    assert xbot_commands(script) == [
        ["xbot", "deploy", "mark", "--sha", "$S"],
        ["xbot", "certify", "--wait", "1m"],
    ]


def test_the_readme_links_every_doc_and_keeps_a_two_command_quickstart() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in DOCS:
        assert (ROOT / "docs" / f"{name}.md").is_file(), name
        assert f"(docs/{name}.md)" in readme, name
    assert "../shared" not in readme
    quickstart = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    (commands,) = [text for language, text in BLOCK.findall(quickstart) if language == "bash"]
    assert [line.split("#")[0].strip() for line in commands.splitlines()] == [
        "make demo",
        "make test",
    ]
    for document in DOCUMENTS:
        assert "shared/" not in document.read_text(encoding="utf-8"), document.name
