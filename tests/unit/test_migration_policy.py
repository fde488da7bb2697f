"""Schema compatibility (docs/operations.md): every migration is additive for one release.

Workers of release N-1 keep running while `xbot migrate` brings the schema to release N and
until the new workers take over, so an upgrade may add tables, nullable columns, columns with a
server default and indexes, and may widen a constraint; it may not drop or rename a table or a
column, make a column NOT NULL, or add a NOT NULL column without a default. Removing something
takes two releases: stop using it, then drop it. Each exception is listed here with its reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

VERSIONS = (
    Path(__file__).resolve().parents[2] / "src" / "xbot" / "store" / "migrations" / "versions"
)
FORBIDDEN = {"drop_column", "drop_table", "rename_table", "drop_constraint"}
#: migration -> the forbidden operations it may use, and why old workers are unaffected
EXCEPTIONS = {
    "0001_initial_schema": ("*", "the first schema: there is no previous release"),
    "0003_posted_id_per_account": (
        "drop_constraint",
        (
            "replaces UNIQUE(actual_tweet_id) with the wider UNIQUE(account_id, actual_tweet_id), "
            "which every row the previous release writes still satisfies"
        ),
    ),
}


def upgrade_calls(path: Path) -> list[ast.Call]:
    """Every `op.X(...)`/`batch_op.X(...)` call inside the migration's `upgrade()`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    (upgrade,) = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade"]
    calls = [
        node
        for node in ast.walk(upgrade)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    ]
    return sorted(calls, key=lambda call: call.lineno)


def problems(path: Path) -> list[str]:
    """What in the migration's upgrade() would break a worker of the previous release."""
    allowed = EXCEPTIONS.get(path.stem, ("", ""))[0]
    found = []
    for call in upgrade_calls(path):
        name = call.func.attr  # type: ignore[attr-defined]
        keywords = {k.arg: k.value for k in call.keywords}
        if name in FORBIDDEN and allowed not in {"*", name}:
            found.append(f"{name} at line {call.lineno}")
        if name == "alter_column" and (
            "new_column_name" in keywords or _false(keywords, "nullable")
        ):
            found.append(f"alter_column renaming or making NOT NULL at line {call.lineno}")
        if name == "add_column" and _adds_required_column(call):
            found.append(f"add_column NOT NULL without server_default at line {call.lineno}")
    return found


def _false(keywords: dict[str | None, ast.expr], name: str) -> bool:
    value = keywords.get(name)
    return isinstance(value, ast.Constant) and value.value is False


def _adds_required_column(call: ast.Call) -> bool:
    for column in call.args:
        if isinstance(column, ast.Call):
            keywords = {k.arg: k.value for k in column.keywords}
            if _false(keywords, "nullable") and "server_default" not in keywords:
                return True
    return False


MIGRATIONS = sorted(VERSIONS.glob("0*.py"))


def test_the_policy_covers_every_migration() -> None:
    assert len(MIGRATIONS) >= 7
    assert set(EXCEPTIONS) <= {path.stem for path in MIGRATIONS}


@pytest.mark.parametrize("path", MIGRATIONS, ids=lambda path: path.stem)
def test_each_migration_is_additive_for_the_previous_release(path: Path) -> None:
    assert problems(path) == [], (
        f"{path.name} would break workers of the previous release during a rolling upgrade; "
        "split it over two releases (docs/operations.md, schema compatibility)"
    )


def test_the_check_catches_a_dropped_column_and_a_required_one(tmp_path: Path) -> None:
    bad = tmp_path / "0099_bad.py"
    bad.write_text(
        "def upgrade():\n"
        "    with op.batch_alter_table('post_attempts') as batch_op:\n"
        "        batch_op.drop_column('fence')\n"
        "        batch_op.add_column(sa.Column('x', sa.Integer(), nullable=False))\n"
        "        batch_op.add_column(sa.Column('y', sa.Integer(), nullable=False,"
        " server_default='0'))\n"
        "    op.alter_column('workers', 'host', new_column_name='hostname')\n",
        encoding="utf-8",
    )
    assert problems(bad) == [
        "drop_column at line 3",
        "add_column NOT NULL without server_default at line 4",
        "alter_column renaming or making NOT NULL at line 6",
    ]
