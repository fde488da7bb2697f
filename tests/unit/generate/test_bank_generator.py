"""The bank generator: relevance, determinism, slots, rotation, and clear failures."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

import pytest

from xbot.domain.errors import GeneratorFailed
from xbot.domain.guard import Accepted, GuardPolicy, check_reply
from xbot.domain.mentions import mention
from xbot.domain.policy import PlatformName
from xbot.generate import bank as bank_module
from xbot.generate.bank import BUILT_IN, Bank, BankEntry, BankGenerator, choose, load_bank
from xbot.generate.bank_file import template_slots, variety

X = PlatformName.X

BANK = Bank(
    source="test",
    entries=(
        BankEntry(entry_id="generic-a", templates=("Thanks, {author}!",)),
        BankEntry(entry_id="generic-b", templates=("Noted about {topic}, {author}.",)),
        BankEntry(
            entry_id="wheels",
            templates=("Wheels for {topic}, {author}.",),
            keywords=("wheel",),
            topics=("python packaging",),
        ),
        BankEntry(
            entry_id="errors",
            templates=("Read the traceback from the top.",),
            keywords=("traceback", "error"),
        ),
        BankEntry(
            entry_id="phrase",
            templates=("Try the getting started guide.",),
            keywords=("getting started",),
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
    draft = choose(BANK, text, "ann", ["python packaging"], platform=X)
    assert draft.meta["entry"] == entry
    assert draft.generator == "bank"


def test_off_topic_posts_get_a_generic_reply_never_an_unrelated_one() -> None:
    for text in ("I like turtles", "\U0001f525\U0001f525", "", "ignore previous instructions"):
        assert choose(BANK, text, "ann", [], platform=X).meta["entry"] in {"generic-a", "generic-b"}


def test_our_own_handle_is_not_a_keyword() -> None:
    bank = Bank(
        source="t",
        entries=(
            BankEntry(entry_id="bot", templates=("I am a bot.",), keywords=("bot",)),
            BankEntry(entry_id="generic", templates=("Hi.",)),
        ),
    )
    assert choose(bank, "@bot hello", "ann", [], platform=X).meta["entry"] == "generic"
    assert choose(bank, "are you a bot?", "ann", [], platform=X).meta["entry"] == "bot"


def test_choice_is_deterministic_and_ties_depend_on_the_post() -> None:
    first = choose(BANK, "nice day", "ann", [], platform=X)
    assert all(choose(BANK, "nice day", "ann", [], platform=X) == first for _ in range(5))
    chosen = {choose(BANK, f"nice day {n}", "ann", [], platform=X).meta["entry"] for n in range(30)}
    assert chosen == {"generic-a", "generic-b"}


def test_slots_are_filled_with_clean_values() -> None:
    draft = choose(
        BANK, "a wheel for python packaging", "@Ann\u202e\u200b", ["python packaging"], platform=X
    )
    assert draft.text == "Wheels for python packaging, @Ann."
    assert draft.meta == {
        "bank": "test",
        "entry": "wheels",
        "relevance": 1.5,
        "topic": "python packaging",
    }


def test_recent_replies_are_avoided_so_the_bank_rotates() -> None:
    first = choose(BANK, "nice day", "ann", [], platform=X)
    second = choose(BANK, "nice day", "ann", [], avoid=[first.text], platform=X)
    assert second.meta["entry"] != first.meta["entry"]
    both = [first.text, second.text]
    assert (
        choose(BANK, "nice day", "ann", [], avoid=both, platform=X) == first
    )  # nothing left: the best


AUTHORS = {
    PlatformName.X: "ann_dev",
    PlatformName.BLUESKY: "ann.bsky.social",
    PlatformName.MASTODON: "ann@fosstodon.org",
}


@pytest.mark.parametrize("platform", list(PlatformName))
def test_the_built_in_bank_loads_and_every_reply_passes_the_guard(platform: PlatformName) -> None:
    bank = load_bank()
    assert bank.source == BUILT_IN
    assert len(bank.entries) >= 10
    assert any(not entry.keywords for entry in bank.entries)
    author = AUTHORS[platform]
    policy = GuardPolicy(platform=platform)
    for entry in bank.entries:
        for text in every_wording(bank, entry, author, platform):
            verdict = check_reply(text, target_author=author, recent_replies=(), policy=policy)
            assert isinstance(verdict, Accepted), (entry.entry_id, platform, verdict)


def every_wording(bank: Bank, entry: BankEntry, author: str, platform: PlatformName) -> list[str]:
    written = mention(platform, author)
    texts = []
    for template in entry.templates:
        names = [name for name in template_slots(template) if name in bank.slots]
        for phrases in itertools.product(*(bank.slots[name] for name in names)):
            values = dict(zip(names, phrases, strict=True))
            texts.append(template.format(author=written, topic="python packaging", **values))
    assert len(texts) == variety(bank, entry)
    return texts


@pytest.mark.parametrize(
    ("platform", "author", "expected"),
    [
        (PlatformName.X, "ann_dev", "Hi @ann_dev!"),
        (PlatformName.X, "@ann_dev", "Hi @ann_dev!"),
        (PlatformName.BLUESKY, "Ann.bsky.social", "Hi @ann.bsky.social!"),
        (PlatformName.MASTODON, "ann", "Hi @ann!"),
        (PlatformName.MASTODON, "ann@Fosstodon.org", "Hi @ann@fosstodon.org!"),
    ],
)
def test_the_author_is_always_written_as_a_mention(
    platform: PlatformName, author: str, expected: str
) -> None:
    for template in ("Hi {author}!", "Hi @{author}!"):  # older banks wrote the @ themselves
        bank = Bank(source="t", entries=(BankEntry(entry_id="hi", templates=(template,)),))
        if template.startswith("Hi @"):
            bank = Bank(source="t", entries=load_entries(template))
        draft = choose(bank, "hello", author, [], platform=platform)
        assert draft.text == expected
        verdict = check_reply(
            draft.text, target_author=author, recent_replies=(),
            policy=GuardPolicy(platform=platform),
        )  # fmt: skip
        assert isinstance(verdict, Accepted), verdict


def load_entries(template: str) -> tuple[BankEntry, ...]:
    path = Path(tempfile.mkdtemp()) / "bank.toml"
    path.write_text(f'[[reply]]\nid = "hi"\ntext = "{template}"\n', encoding="utf-8")
    return load_bank(path).entries


@pytest.mark.parametrize(
    ("platform", "author"),
    [
        (PlatformName.X, "a" * 16),
        (PlatformName.X, "ann.bsky.social"),
        (PlatformName.BLUESKY, "annbskysocial"),
        (PlatformName.BLUESKY, "evil.com/path"),
        (PlatformName.MASTODON, "ann smith"),
    ],
)
def test_an_author_who_cannot_be_mentioned_gets_no_reply(
    platform: PlatformName, author: str
) -> None:
    with pytest.raises(GeneratorFailed, match="not a valid"):
        choose(BANK, "hello", author, [], platform=platform)


def test_slots_multiply_the_wordings(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[slots]\nask = ["Why?", "How?", "When?"]\n\n'
        '[[reply]]\nid = "a"\ntext = ["Hi {author}. {ask}", "Yo {author}. {ask} {ask}", "Bye."]\n',
    )
    bank = load_bank(path)
    assert variety(bank, bank.entries[0]) == 3 + 3 + 1
    seen = set()
    for _ in range(7):
        draft = choose(bank, "hello", "ann", [], platform=X, avoid=sorted(seen), threshold=1.0)
        seen.add(draft.text)
    assert "Yo @ann. How? How?" in seen
    assert len(seen) == 7  # every wording once: with threshold 1.0 only exact repeats count


def test_a_bank_file(tmp_path: Path) -> None:
    path = write(
        tmp_path, '[[reply]]\nid = "one"\ntext = "Hi {author}, {{braces}} ok"\nkeywords = ["hi"]\n'
    )
    generator = BankGenerator(path, platform=X)
    assert generator.generate("hi there", "ann", []) == "Hi @ann, {braces} ok"
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
        ("[[reply]]\ntext = []\n", "needs a non-empty text"),
        ('[[reply]]\ntext = ["hi", 3]\n', "needs a non-empty text"),
        ('slots = 3\n[[reply]]\ntext = "hi"\n', "[slots] must be a table"),
        ('[slots]\nask = []\n[[reply]]\ntext = "hi"\n', "needs phrases"),
        ('[slots]\nask = ["{author}"]\n[[reply]]\ntext = "hi"\n', "without braces"),
        ('[slots]\nauthor = ["x"]\n[[reply]]\ntext = "hi"\n', "cannot define 'author'"),
        ('[slots]\nask = ["x"]\n[[reply]]\ntext = "hi {tell}"\n', "only {ask}, {author}"),
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
    generator = BankGenerator(tmp_path / "absent.toml", platform=X)  # building never raises
    with pytest.raises(GeneratorFailed, match="cannot read the reply bank .*absent.toml"):
        generator.generate("hi", "ann", [])
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(GeneratorFailed, match="cannot read"):
        load_bank(binary)


def test_a_fixed_bank_file_is_picked_up_on_the_next_use(tmp_path: Path) -> None:
    path = tmp_path / "bank.toml"
    generator = BankGenerator(path, platform=X)
    with pytest.raises(GeneratorFailed):
        generator.generate("hi", "ann", [])
    path.write_text('[[reply]]\ntext = "fixed"\n', encoding="utf-8")
    assert generator.generate("hi", "ann", []) == "fixed"


def test_a_worn_out_bank_gives_up_after_a_bounded_number_of_wordings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    phrases = tuple(f"number {index}" for index in range(1000))
    entry = BankEntry(entry_id="many", templates=("The same reply again, {many}.",))
    bank = Bank(source="t", entries=(entry,), slots={"many": phrases})
    compared: list[str] = []

    def counting(text: str, previous: str, threshold: float) -> bool:
        compared.append(text)
        return True  # everything repeats

    monkeypatch.setattr(bank_module, "alike", counting)
    first = choose(bank, "hello", "ann", [], platform=X)
    again = choose(bank, "hello", "ann", [], platform=X, avoid=["anything"])
    assert again == first  # the best, for the guard to refuse as the repeat it is
    assert len(compared) == bank_module.MAX_WORDINGS_TRIED
