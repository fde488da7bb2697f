"""The event catalogue (xbot.events) is the one vocabulary of `system_events`.

Certify's `.sql` files filter on event types by literal; a name there that no code writes would make
a check wait forever, so every literal they filter on must be catalogued. Every event the source
writes must be catalogued too, and every catalogue entry must be written somewhere.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from xbot.config import Settings
from xbot.domain.claims import ClaimRefusal, ClaimRefusalReason
from xbot.events import EventType, JobPhase, JobPrefix, job_event_type, posting_blocked
from xbot.jobs.registry import job_specs

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "xbot"
#: certify's queries, and the proofs a test seeds its world with
SQL_FILES = sorted([*(PACKAGE / "certify").glob("*.sql"), *(ROOT / "tests").rglob("*.sql")])
#: `event_type = 'x'`, `event_type <> 'x'` and `event_type IN ('x', 'y')`
EQUALS = re.compile(r"event_type\s*(?:=|<>|!=)\s*'([^']*)'", re.IGNORECASE)
IN_LIST = re.compile(r"event_type\s+(?:NOT\s+)?IN\s*\(([^)]*)\)", re.IGNORECASE)
LIKE = re.compile(r"event_type\s+LIKE\s+'([^']*)'", re.IGNORECASE)
#: the functions whose first string argument is an event type
WRITERS = {"append_event": 1, "job_event": 2, "permit_event": 2}
CATALOGUE = {event.value for event in EventType}


def sql_event_types(text: str) -> set[str]:
    """Return every event type a SQL text filters on by equality or IN list."""
    found = set(EQUALS.findall(text))
    for listed in IN_LIST.findall(text):
        found |= set(re.findall(r"'([^']*)'", listed))
    return found


def like_matches(pattern: str, name: str) -> bool:
    """Return True when a SQL LIKE pattern matches the name."""
    parts = (".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch("".join(parts), name) is not None


def sql_text(path: Path) -> str:
    """Return a SQL file without its `--` comments."""
    return re.sub(r"--[^\n]*", "", path.read_text())


def source_files() -> list[Path]:
    """Return the production modules, without the fakes and the catalogue itself."""
    skip = {PACKAGE / "events.py"}
    return [p for p in PACKAGE.rglob("*.py") if "sim" not in p.parts and p not in skip]


def written_literals(tree: ast.AST) -> set[str]:
    """Return the string literals passed as the event type to an event writer."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        position = WRITERS.get(str(name))
        if position is None or len(node.args) <= position - 1:
            continue
        argument = node.args[position - 1]
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            found.add(argument.value)
    return found


def test_the_sql_parser_sees_the_shapes_certify_uses() -> None:
    """The test's own parser finds equality, IN lists and LIKE patterns (it can fail)."""
    text = "WHERE e.event_type = 'a' AND b.event_type IN ('b',\n 'c') OR event_type LIKE 'd_%'"
    assert sql_event_types(text) == {"a", "b", "c"}
    assert LIKE.findall(text) == ["d_%"]
    assert like_matches("reply_v2_fetch_job_%", "reply_v2_fetch_job_started")
    assert not like_matches("reply_v2_fetch_job_%", "reply_v2_scheduler_job_started")


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda path: path.name)
def test_every_event_type_a_sql_file_filters_on_is_catalogued(path: Path) -> None:
    """A name in a query that nobody writes would leave a check waiting forever."""
    text = sql_text(path)
    unknown = sql_event_types(text) - CATALOGUE
    assert not unknown, f"{path.name} filters on event types not in xbot.events: {unknown}"
    for pattern in LIKE.findall(text):
        assert any(like_matches(pattern, name) for name in CATALOGUE), (path.name, pattern)


def test_certify_filters_on_the_events_it_certifies() -> None:
    """Certify reads the fetch, scheduler, watchdog and posting_blocked events by name."""
    names: set[str] = set()
    for path in (PACKAGE / "certify").glob("*.sql"):
        names |= sql_event_types(sql_text(path))
    assert {
        EventType.REPLY_V2_FETCH_JOB_STARTED,
        EventType.REPLY_V2_SCHEDULER_JOB_COMPLETED,
        EventType.REPLY_V2_ATTEMPT_CREATED,
        EventType.PRODUCTION_WATCHDOG_BOOT,
        EventType.PRODUCTION_WATCHDOG_REPORT,
        EventType.POSTING_BLOCKED_KILL_SWITCH,
    } <= names


def test_every_literal_event_the_source_writes_is_catalogued() -> None:
    """An event type written as a string literal must still be one the catalogue names."""
    literals: dict[str, set[str]] = {}
    for path in source_files():
        for name in written_literals(ast.parse(path.read_text())):
            literals.setdefault(name, set()).add(str(path.relative_to(PACKAGE)))
    unknown = {name: files for name, files in literals.items() if name not in CATALOGUE}
    assert not unknown, f"events written but not catalogued in xbot.events: {unknown}"


def composed_events() -> set[str]:
    """Return the events the runner and the claim compose from a prefix or a reason."""
    composed = {posting_blocked(reason) for reason in ClaimRefusalReason}
    for spec in job_specs(Settings()):
        prefix = spec.event_prefix or JobPrefix.QUIET
        phases = list(JobPhase) if spec.event_prefix else [JobPhase.FAILED]
        composed |= {job_event_type(prefix, phase) for phase in phases}
    return {str(name) for name in composed}


def test_every_catalogue_entry_is_written_somewhere() -> None:
    """A catalogued event nothing writes is a name certify could wait on forever."""
    text = "\n".join(path.read_text() for path in source_files())
    named = {event.value for event in EventType if f"EventType.{event.name}" in text}
    literal = {event.value for event in EventType if f'"{event.value}"' in text}
    unwritten = CATALOGUE - named - literal - composed_events()
    assert not unwritten, f"catalogued but never written: {unwritten}"


def test_every_refusal_and_job_phase_names_a_catalogued_event() -> None:
    """A refused claim and a run's lifecycle write catalogued names (ValueError otherwise)."""
    for reason in ClaimRefusalReason:
        refusal = ClaimRefusal(reason=reason, detail="")
        assert refusal.event_type == posting_blocked(reason)
    assert composed_events() <= CATALOGUE
    with pytest.raises(ValueError, match="not_an_event"):
        posting_blocked("not_an_event")
