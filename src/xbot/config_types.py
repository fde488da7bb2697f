"""The bounded value types of the settings: every string has a length and a shape."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import StringConstraints

#: seconds in a day: the upper bound of every cadence and gap
DAY = 86400.0

#: a job a process may run (`enabled_jobs`); the names of `[jobs]` cadences
JobName = Literal["fetch", "schedule", "post", "reconcile", "ghost_scan", "probe"]
JOB_NAMES: tuple[str, ...] = get_args(JobName)

#: a handle or author name: 1 to 253 characters, no whitespace
Handle = Annotated[str, StringConstraints(min_length=1, max_length=253, pattern=r"^\S+$")]
#: an http(s) URL up to 2048 characters
Url = Annotated[str, StringConstraints(max_length=2048, pattern=r"^https?://[^\s/?#]+\S*$")]
#: an http(s) URL, or empty for the platform's default
OptionalUrl = Annotated[
    str, StringConstraints(max_length=2048, pattern=r"^(https?://[^\s/?#]+\S*)?$")
]
#: a lower-case name such as a credential name: letters, digits, underscores, up to 64
Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
#: the name of an environment variable: letters, digits, underscores, up to 128
VariableName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")]
#: a topic or banned term: 1 to 200 characters, not only spaces
Term = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"\S")]
#: a language tag such as "en", "pt-BR" or "en_US"
Language = Annotated[
    str, StringConstraints(max_length=35, pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$")
]
