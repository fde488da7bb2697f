"""One line for a bad configuration: the key, where it was set (a variable or the file), the fix.

Pure functions over the environment mapping that config.py hands in; nothing here reads it.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import SettingsError

from xbot.domain.errors import ConfigError

PREFIX = "XBOT_"
CONFIG_VARIABLE = "XBOT_CONFIG"
#: the variables PORT is read from, in order (platforms set PORT)
PORT_VARIABLES = ("PORT", "XBOT_PORT")
#: variables of the test harness, not settings of xbot
HARNESS_VARIABLES = frozenset({"XBOT_REQUIRE_POSTGRES"})
HARNESS_PREFIX = "XBOT_TEST_"
#: said instead of pydantic's "should match pattern '<regex>'"; the rule that follows says how
PATTERN_PROBLEM = "Input does not have the expected form"
_SOURCE_FAILURE = re.compile(r'field "(?P<field>\w+)" from source "(?P<source>\w+)"')

Location = tuple[str | int, ...]


def check_config_file(environ: Mapping[str, str]) -> None:
    """Refuse an XBOT_CONFIG that names no file, and an xbot.toml that is not a file."""
    named = environ.get(CONFIG_VARIABLE)
    if named is not None and not named.strip():
        raise ConfigError(
            f"{CONFIG_VARIABLE} is set but empty. Set it to the path of xbot.toml, or unset it."
        )
    path = Path(named or "xbot.toml")
    where = f"{CONFIG_VARIABLE}={path}" if named else str(path)
    if path.is_dir():
        raise ConfigError(
            f"{where} is a directory, not a file. Point {CONFIG_VARIABLE} at xbot.toml."
        )
    if named and not path.exists():
        raise ConfigError(f"{where}: no such file. Create it, or fix or unset {CONFIG_VARIABLE}.")
    if path.exists() and not path.is_file():
        raise ConfigError(f"{where} is not a regular file. Point {CONFIG_VARIABLE} at xbot.toml.")


def check_variables(
    environ: Mapping[str, str], fields: Iterable[str], also: frozenset[str]
) -> None:
    """Refuse an XBOT_* variable that no setting reads (a typo would otherwise be ignored)."""
    settings = {PREFIX + field.upper() for field in fields}
    known = settings | also | {CONFIG_VARIABLE, *PORT_VARIABLES} | HARNESS_VARIABLES
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith(PREFIX) or upper in known or upper.startswith(HARNESS_PREFIX):
            continue
        if any(upper.startswith(setting + "__") for setting in settings):
            continue  # a nested key: the model itself refuses unknown ones
        close = difflib.get_close_matches(upper, sorted(settings), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise ConfigError(
            f"unknown variable {name}: no setting has this name{hint}. Fix its name or unset it."
        )


def describe_validation_error(
    exc: ValidationError,
    environ: Mapping[str, str],
    path: Path,
    rules: Mapping[str, str],
    given: Collection[str] = (),
) -> str:
    """Return one line naming the first bad key, its rule, where it was set and the fix.

    `given` names the keys the command itself passed (e.g. from an option): they win over all.
    """
    first = exc.errors()[0]
    loc = _field_location(first["loc"])
    key = dotted(loc)
    where, advice = _where(loc, environ, path, given, missing=first["type"] == "missing")
    rule = rules.get(_rule_key(loc))
    expected = f" (expected {rule})" if rule else ""
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    problem = PATTERN_PROBLEM if first["type"] == "string_pattern_mismatch" else first["msg"]
    return (
        f"invalid configuration value for '{key}' in {where}: {problem}{expected}{more}. {advice}."
    )


def _where(
    loc: Location, environ: Mapping[str, str], path: Path, given: Collection[str], *, missing: bool
) -> tuple[str, str]:
    """Return where the value at `loc` was set and how to fix it there."""
    if loc and loc[0] in given:
        return "the command's options", "Fix the option"
    variable = variable_for(loc, environ, missing=missing)
    if variable:
        return variable, f"Set {variable} to a valid value"
    return str(path), f"Set '{dotted(loc)}' in {path} to a valid value"


def describe_settings_error(exc: SettingsError, environ: Mapping[str, str], path: Path) -> str:
    """Return one line for a value pydantic-settings could not even parse (bad JSON)."""
    found = _SOURCE_FAILURE.search(str(exc))
    field = found["field"] if found else "?"
    variable = variable_for((field,), environ, missing=False) if found else None
    where = variable or str(path)
    cause = str(exc.__cause__ or exc).splitlines()[0]
    return (
        f"invalid configuration value for '{field}' in {where}: not valid JSON ({cause}). "
        f"Set {where} to a JSON value, or unset it."
    )


def dotted(loc: Location) -> str:
    """Return a location as the key an operator writes: accounts[0].budgets.per_hour."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part != "[key]":
            text += f".{part}" if text else part
    return text


def variable_for(loc: Location, environ: Mapping[str, str], *, missing: bool) -> str | None:
    """Return the environment variable that set the value at `loc`, or None for the file."""
    upper = {name.upper(): value for name, value in environ.items()}
    leading = _leading_names(loc)
    for size in range(len(leading), 0, -1):
        for name in _variable_names(leading[:size]):
            value = upper.get(name)
            if value is not None and _holds(value, loc[size:], missing=missing):
                return name
    return None


def _variable_names(names: Sequence[str]) -> tuple[str, ...]:
    if list(names) == ["port"]:
        return PORT_VARIABLES
    return (PREFIX + "__".join(names).upper(),)


def _leading_names(loc: Location) -> list[str]:
    names: list[str] = []
    for part in loc:
        if not isinstance(part, str):
            break
        names.append(part)
    return names


def _holds(raw: str, rest: Location, *, missing: bool) -> bool:
    """Whether the variable's value (JSON when structured) reaches the rest of the location."""
    if not rest:
        return True
    try:
        node: Any = json.loads(raw)
    except ValueError:
        return False
    steps = rest[:-1] if missing else rest
    for part in steps:
        if part == "[key]":
            continue
        if not _has(node, part):
            return False
        node = node[part]
    return True


def _has(node: Any, part: str | int) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def _field_location(loc: Location) -> Location:
    if loc and isinstance(loc[0], str) and loc[0].upper() in PORT_VARIABLES:
        return ("port", *loc[1:])
    return loc


def _rule_key(loc: Location) -> str:
    """Return the location with list indexes and dict keys removed: accounts.budgets.per_hour."""
    return ".".join(str(part) for part in loc if isinstance(part, str) and part != "[key]")


def field_paths(model: type[BaseModel], prefix: str = "") -> dict[str, FieldInfo]:
    """Return every field of a model and its sub-models by path, e.g. accounts.budgets.per_hour."""
    found: dict[str, FieldInfo] = {}
    for name, info in model.model_fields.items():
        path = prefix + name
        found[path] = info
        for inner in _models_in(info.annotation):
            found.update(field_paths(inner, path + "."))
    return found


def field_rules(model: type[BaseModel]) -> dict[str, str]:
    """Return each documented field's description (its bounds), by path."""
    return {path: info.description for path, info in field_paths(model).items() if info.description}


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if get_origin(annotation) in {list, tuple}:
        return [model for argument in get_args(annotation) for model in _models_in(argument)]
    return []
