"""One status→error table for every platform, with each platform's overrides (DESIGN §9).

The shared table: 429 is `RateLimited` until the platform's reset time; a 5xx is `Ambiguous` on
a write (the post may exist: read back) and `Transient` on a read (nothing changed: read again
later); 401 is `AuthFailed`; 404 is `NotFound`; anything else is an unexpected `BadResponse`. A
platform's `Dialect` says how its error bodies read, adds or replaces statuses, names the other
4xx it uses for a refusal, and lists overrides that look inside a body before the table does.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass, field

from xbot.domain.errors import (
    Ambiguous,
    AuthFailed,
    BadResponse,
    ForbiddenByPolicy,
    NotFound,
    PlatformError,
    PlatformMisconfigured,
    RateLimited,
    Transient,
)
from xbot.platforms.http import LimitHeaders, excerpt, scrub

#: any status from 500 up is the server's failure
FROM_500 = range(500, sys.maxsize)
NO_STATUSES: frozenset[int] = frozenset()

Mapped = PlatformError | PlatformMisconfigured


@dataclass(frozen=True, kw_only=True, slots=True)
class Answer:
    """A non-2xx answer being classified: its status, body, and what a message says of it."""

    status: int
    body: bytes
    write: bool
    #: "<platform> answered <status> to <endpoint>: <detail>", secret-free
    said: str
    #: a short, secret-free excerpt of the body
    quoted: str
    #: what the body says went wrong, secret-free
    detail: str

    def as_error(self, error: type[PlatformError], hint: str = "") -> PlatformError:
        """Return `error` with this answer's message (plus `hint`), status and excerpt."""
        return error(self.said + hint, status=self.status, excerpt=self.quoted)


#: looks inside one answer; returns its error, or None to leave it to the table
Override = Callable[[Answer], Mapped | None]


@dataclass(frozen=True, slots=True)
class Rule:
    """The error of one status, what its message adds, and the error on a write if it differs."""

    error: type[PlatformError]
    hint: str = ""
    on_write: type[PlatformError] | None = None

    def apply(self, answer: Answer) -> PlatformError:
        """Return this rule's error for `answer`."""
        error = self.on_write if answer.write and self.on_write else self.error
        return answer.as_error(error, self.hint)


#: a server failure: the write may have landed, the read surely changed nothing
SERVER_FAILURE = Rule(Transient, on_write=Ambiguous)


@dataclass(frozen=True, kw_only=True, slots=True)
class Dialect:
    """How one platform's error answers read and where it departs from the shared table."""

    platform: str
    #: (label after the status, detail) of an error body, given the body and its excerpt
    describe: Callable[[bytes, str], tuple[str, str]]
    limits: LimitHeaders
    #: what a 401 adds to its message: the credentials to check
    auth_hint: str
    #: statuses beyond (or instead of) the shared 401 and 404
    rules: Mapping[int, Rule] = field(default_factory=dict)
    #: other statuses that are a refusal (`ForbiddenByPolicy`) rather than unexpected
    refusals: Container[int] = NO_STATUSES
    server_failures: Container[int] = FROM_500
    overrides: tuple[Override, ...] = ()

    def status_error(  # noqa: PLR0913 - the parts of one answer
        self,
        status: int,
        body: bytes,
        headers: Mapping[str, str],
        *,
        endpoint: str,
        write: bool,
        secrets: Iterable[str],
    ) -> Mapped:
        """Map a non-2xx answer to one error of the taxonomy, with status and a short excerpt."""
        answer = self._answer(status, body, endpoint=endpoint, write=write, secrets=secrets)
        for override in self.overrides:
            if (error := override(answer)) is not None:
                return error
        if status == 429:
            reset_at = self.limits.reset_at(headers)
            return RateLimited(answer.said, reset_at=reset_at, status=status, excerpt=answer.quoted)
        return self._by_status(answer) or BadResponse(
            f"{self.platform} answered an unexpected {status} to {endpoint}",
            status=status,
            excerpt=answer.quoted,
        )

    def _answer(
        self, status: int, body: bytes, *, endpoint: str, write: bool, secrets: Iterable[str]
    ) -> Answer:
        """Return the answer with its secret-free message and excerpt."""
        secrets = list(secrets)
        quoted = excerpt(body, secrets)
        label, detail = self.describe(body, quoted)
        said = scrub(f"{self.platform} answered {status}{label} to {endpoint}: {detail}", secrets)
        detail = scrub(detail, secrets)
        return Answer(
            status=status, body=body, write=write, said=said, quoted=quoted, detail=detail
        )

    def _by_status(self, answer: Answer) -> PlatformError | None:
        status = answer.status
        if status in self.server_failures:
            return SERVER_FAILURE.apply(answer)
        rule = self.rules.get(status) or self._shared_rules().get(status)
        if rule is not None:
            return rule.apply(answer)
        if status in self.refusals:
            return answer.as_error(ForbiddenByPolicy)
        return None

    def _shared_rules(self) -> Mapping[int, Rule]:
        return {401: Rule(AuthFailed, self.auth_hint), 404: Rule(NotFound)}
