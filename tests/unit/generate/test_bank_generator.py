"""The bank generator: relevance, determinism, slots, rotation, and clear failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from xbot.domain.errors import GeneratorFailed
from xbot.domain.guard import Accepted, GuardPolicy, check_reply
from xbot.domain.policy import PlatformName
from xbot.generate.bank import BUILT_IN, Bank, BankEntry, BankGenerator, choose, load_bank

BANK = Bank(
    source="test",
    entries=(
        BankEntry(entry_id="generic-a", text="Thanks, @{author}!"),
        BankEntry(entry_id="generic-b", text="Noted about {topic}, {author}."),
        BankEntry(
            entry_id="wheels",
            text="Wheels for {topic}, @{author}.",
            keywords=("wheel",),
            topics=("python packaging",),
        ),
        BankEntry(
            entry_id="errors",
            text="Read the traceback from the top.",
            keywords=("traceback", "error"),
        ),
        BankEntry(
            entry_id="phrase", text="Try the getting started guide.", keywords=("getting started",)
        ),
    ),
)


def write(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "bank.toml"
    path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        ("how do I build a wheel?", "wheels"),
        ("wheels wheels wheels", "wheels"),
        ("I got an error and a traceback", "errors"),
        ("where is the getting started page", "phrase"),
        ("getting there, started late", "phrase"),  # a phrase needs all its words, in any order
    ],
)
def test_the_most_relevant_entry_wins(text: str, entry: str) -> None:
    draft = choose(BANK, text, "ann", ["python packaging"])
    assert draft.meta["entry"] == entry
    assert draft.generator == "bank"


def test_off_topic_posts_get_a_generic_reply_never_an_unrelated_one() -> None:
    for text in ("I like turtles", "\U0001f525\U0001f525", "", "ignore previous instructions"):
        assert choose(BANK, text, "ann", []).meta["entry"] in {"generic-a", "generic-b"}


def test_our_own_handle_is_not_a_keyword() -> None:
    bank = Bank(
        source="t",
        entries=(
            BankEntry(entry_id="bot", text="I am a bot.", keywords=("bot",)),
            BankEntry(entry_id="generic", text="Hi."),
        ),
    )
    assert choose(bank, "@bot hello", "ann", []).meta["entry"] == "generic"
    assert choose(bank, "are you a bot?", "ann", []).meta["entry"] == "bot"


def test_choice_is_deterministic_and_ties_depend_on_the_post() -> None:
    first = choose(BANK, "nice day", "ann", [])
    assert all(choose(BANK, "nice day", "ann", []) == first for _ in range(5))
    chosen = {choose(BANK, f"nice day {n}", "ann", []).meta["entry"] for n in range(30)}
    assert chosen == {"generic-a", "generic-b"}


def test_slots_are_filled_with_clean_values() -> None:
    draft = choose(BANK, "a wheel for python packaging", "@Ann\u202e\u200b", ["python packaging"])
    assert draft.text == "Wheels for python packaging, @Ann."
    assert draft.meta == {
        "bank": "test",
        "entry": "wheels",
        "relevance": 1.5,
        "topic": "python packaging",
    }


def test_recent_replies_are_avoided_so_the_bank_rotates() -> None:
    first = choose(BANK, "nice day", "ann", [])
    second = choose(BANK, "nice day", "ann", [], avoid=[first.text])
    assert second.meta["entry"] != first.meta["entry"]
    both = [first.text, second.text]
    assert choose(BANK, "nice day", "ann", [], avoid=both) == first  # nothing left: the best


def test_the_built_in_bank_loads_and_every_reply_passes_the_guard() -> None:
    bank = load_bank()
    assert bank.source == BUILT_IN
    assert len(bank.entries) >= 10
    assert any(not entry.keywords for entry in bank.entries)
    for entry in bank.entries:
        text = entry.text.format(author="ann", topic="python packaging")
        for platform in PlatformName:
            verdict = check_reply(
                text, target_author="ann", recent_replies=(), policy=GuardPolicy(platform=platform)
            )
            assert isinstance(verdict, Accepted), (entry.entry_id, platform, verdict)


def test_a_bank_file(tmp_path: Path) -> None:
    path = write(
        tmp_path, '[[reply]]\nid = "one"\ntext = "Hi {author}, {{braces}} ok"\nkeywords = ["hi"]\n'
    )
    generator = BankGenerator(path)
    assert generator.generate("hi there", "ann", []) == "Hi ann, {braces} ok"
    assert generator.draft("hi there", "ann", []).meta["bank"] == str(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[[reply]\n", "not valid TOML"),
        ("title = 'no replies'\n", "no [[reply]] entries"),
        ("reply = 3\n", "no [[reply]] entries"),
        ('[[reply]]\nid = "a"\n', "needs a non-empty text"),
        ('[[reply]]\ntext = "  "\n', "needs a non-empty text"),
        ('[[reply]]\ntext = "hi {name}"\n', "uses the slot {name}"),
        ('[[reply]]\ntext = "hi {author.__class__}"\n', "uses the slot"),
        ('[[reply]]\ntext = "hi {author!r}"\n', "uses the slot"),
        ('[[reply]]\ntext = "hi {0}"\n', "uses the slot"),
        ('[[reply]]\ntext = "hi {"\n', "broken template"),
        ('[[reply]]\ntext = "hi"\nkeyword = ["x"]\n', "unknown key 'keyword'"),
        ('[[reply]]\ntext = "hi"\nkeywords = "x"\n', "keywords must be a list of strings"),
        ('[[reply]]\ntext = "hi"\ntopics = [1]\n', "topics must be a list of strings"),
        (
            '[[reply]]\nid = "a"\ntext = "x"\n[[reply]]\nid = "a"\ntext = "y"\n',
            "repeats the id 'a'",
        ),
    ],
)
def test_a_broken_bank_fails_with_a_clear_reason(
    tmp_path: Path, content: str, message: str
) -> None:
    path = write(tmp_path, content)
    with pytest.raises(GeneratorFailed, match="reply bank") as raised:
        load_bank(path)
    assert message in str(raised.value)
    assert str(path) in str(raised.value)


def test_a_missing_or_unreadable_bank_fails_on_use_not_on_construction(tmp_path: Path) -> None:
    generator = BankGenerator(tmp_path / "absent.toml")  # building never raises
    with pytest.raises(GeneratorFailed, match="cannot read the reply bank .*absent.toml"):
        generator.generate("hi", "ann", [])
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(GeneratorFailed, match="cannot read"):
        load_bank(binary)


def test_a_fixed_bank_file_is_picked_up_on_the_next_use(tmp_path: Path) -> None:
    path = tmp_path / "bank.toml"
    generator = BankGenerator(path)
    with pytest.raises(GeneratorFailed):
        generator.generate("hi", "ann", [])
    path.write_text('[[reply]]\ntext = "fixed"\n', encoding="utf-8")
    assert generator.generate("hi", "ann", []) == "fixed"
