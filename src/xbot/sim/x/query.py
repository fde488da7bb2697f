"""The subset of X's search query language the fake understands.

Keywords (tokenized, case-insensitive), "exact phrases", @mentions, #hashtags, `from:`, `to:`,
`url:`, `conversation_id:`, `in_reply_to_tweet_id:`, `lang:`, `is:reply|quote|retweet|verified`,
`has:links|mentions|media|hashtags`, negation with `-`, `OR`, parentheses; terms side by side
mean AND. As on X, `is:`/`has:`/`lang:` need at least one standalone term beside them, and an
unknown operator is a 400.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from xbot.domain.errors import XbotError
from xbot.sim.x.state import Tweet, XStore

Predicate = Callable[[Tweet], bool]
_TOKEN = re.compile(r'\(|\)|-?[^\s()"]+:"[^"]*"|-?"[^"]*"|[^\s()"]+')
_WORD = re.compile(r"[\w']+", re.UNICODE)
_CONJUNCTION_REQUIRED = ("is:", "has:", "lang:")
#: longest query self-serve search accepts
MAX_QUERY_LENGTH = 512


class QueryError(XbotError):
    """The search query is not valid."""


def compile_query(query: str, store: XStore) -> Predicate:
    """Return a predicate for `query`, or raise QueryError with X's kind of message."""
    if not query.strip():
        raise QueryError("There were errors processing your request: query must not be empty")
    if len(query) > MAX_QUERY_LENGTH:
        raise QueryError(f"Query length of {len(query)} exceeds {MAX_QUERY_LENGTH} characters")
    parser = _Parser(_tokens(query), store)
    predicate = parser.parse_or()
    if parser.position != len(parser.tokens):
        raise QueryError("There were errors processing your request: unbalanced parentheses")
    if not parser.standalone:
        raise QueryError(
            "There were errors processing your request: Ambiguous use of is:, has: or lang: "
            "operators. They need to be used with at least one standalone operator."
        )
    return predicate


def _tokens(query: str) -> list[str]:
    found: list[str] = []
    for token in _TOKEN.findall(query):
        if token.startswith("-") and len(token) > 1:
            found += ["-", token[1:]]
        else:
            found.append(token)
    return found


class _Parser:
    def __init__(self, tokens: list[str], store: XStore) -> None:
        self.tokens = tokens
        self.store = store
        self.position = 0
        self.standalone = False

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def parse_or(self) -> Predicate:
        alternatives = [self.parse_and()]
        while self.peek() == "OR":
            self.position += 1
            alternatives.append(self.parse_and())
        if len(alternatives) == 1:
            return alternatives[0]
        return lambda tweet: any(alternative(tweet) for alternative in alternatives)

    def parse_and(self) -> Predicate:
        parts: list[Predicate] = []
        while (item := self.peek()) is not None and item not in {")", "OR"}:
            parts.append(self.parse_unary())
        if not parts:
            raise QueryError("There were errors processing your request: missing search term")
        return lambda tweet: all(part(tweet) for part in parts)

    def parse_unary(self) -> Predicate:
        if self.tokens[self.position] == "-":
            self.position += 1
            if self.peek() is None:
                raise QueryError("There were errors processing your request: dangling '-'")
            inner = self.parse_atom(negated=True)
            return lambda tweet: not inner(tweet)
        return self.parse_atom(negated=False)

    def parse_atom(self, *, negated: bool) -> Predicate:
        term = self.tokens[self.position]
        self.position += 1
        if term == "(":
            inner = self.parse_or()
            if self.peek() != ")":
                raise QueryError(
                    "There were errors processing your request: unbalanced parentheses"
                )
            self.position += 1
            return inner
        if not negated and not term.startswith(_CONJUNCTION_REQUIRED):
            self.standalone = True
        return _term(term, self.store)


def _term(token: str, store: XStore) -> Predicate:  # noqa: PLR0911 - one branch per operator
    if token.startswith('"'):
        phrase = token.strip('"').lower()
        return lambda tweet: phrase in tweet.text.lower()
    if token.startswith("@"):
        handle = token[1:].lower()
        return lambda tweet: any(m.username.lower() == handle for m in tweet.mentions)
    if token.startswith("#"):
        tag = token.lower()
        return lambda tweet: tag in tweet.text.lower().split()
    operator, colon, value = token.partition(":")
    if not colon or operator.startswith("http"):
        return _keyword(token)
    value = value.strip('"')
    simple: dict[str, Predicate] = {
        "from": lambda tweet: _handle_of(tweet.author_id, store) == value.lower(),
        "to": lambda tweet: _handle_of(tweet.in_reply_to_user_id, store) == value.lower(),
        "url": lambda tweet: any(value.lower() in link.expanded_url.lower() for link in tweet.urls),
        "conversation_id": lambda tweet: tweet.conversation_id == value,
        "in_reply_to_tweet_id": lambda tweet: tweet.in_reply_to_tweet_id == value,
        "lang": lambda tweet: tweet.lang == value,
    }
    if operator in simple:
        return simple[operator]
    if operator == "is":
        return _is(value)
    if operator == "has":
        return _has(value)
    raise QueryError(
        f"There were errors processing your request: Reference to invalid operator '{operator}'. "
        "Operator is not available in current product or product packaging."
    )


def _is(value: str) -> Predicate:
    checks: dict[str, Predicate] = {
        "reply": lambda tweet: tweet.in_reply_to_tweet_id is not None,
        "quote": lambda tweet: tweet.quote_of is not None,
        "retweet": lambda _tweet: False,
        "verified": lambda _tweet: False,
    }
    if value not in checks:
        raise QueryError(
            f"There were errors processing your request: Reference to invalid field 'is:{value}'"
        )
    return checks[value]


def _has(value: str) -> Predicate:
    checks: dict[str, Predicate] = {
        "links": lambda tweet: bool(tweet.urls),
        "mentions": lambda tweet: bool(tweet.mentions),
        "media": lambda _tweet: False,
        "hashtags": lambda tweet: "#" in tweet.text,
    }
    if value not in checks:
        raise QueryError(
            f"There were errors processing your request: Reference to invalid field 'has:{value}'"
        )
    return checks[value]


def _keyword(word: str) -> Predicate:
    wanted = word.lower()
    if not wanted.isascii():  # no spaces between words in CJK text: match a substring
        return lambda tweet: wanted in tweet.text.lower()
    return lambda tweet: wanted in {token.lower() for token in _WORD.findall(tweet.text)}


def _handle_of(user_id: str | None, store: XStore) -> str | None:
    user = store.user(user_id) if user_id else None
    return user.handle.lower() if user else None
