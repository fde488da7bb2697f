"""The record key derived from a permit, mention facets, and Bluesky answers to xbot's errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xbot.domain.errors import (
    Ambiguous,
    AuthFailed,
    BadResponse,
    ForbiddenByPolicy,
    NotFound,
    PlatformMisconfigured,
    RateLimited,
    Transient,
)
from xbot.platforms.bluesky.errors import maybe_exists, rate_limit_reset, status_error
from xbot.platforms.bluesky.records import (
    TID_ALPHABET,
    is_tid,
    mention_facets,
    rkey_for,
)


@given(st.text(min_size=1, max_size=80))
def test_every_key_gives_a_valid_tid_in_the_past(key: str) -> None:
    rkey = rkey_for(key)
    assert is_tid(rkey)
    value = 0
    for char in rkey:
        value = value * 32 + TID_ALPHABET.index(char)
    assert value < 2**63
    moment = datetime.fromtimestamp((value >> 10) / 1_000_000, UTC)
    assert datetime(2023, 1, 1, tzinfo=UTC) <= moment < datetime(2025, 1, 1, tzinfo=UTC)


def test_the_key_is_deterministic_and_distinct_per_permit() -> None:
    assert rkey_for("pmt_a") == rkey_for("pmt_a")
    keys = {rkey_for(f"pmt_{number:032x}") for number in range(5000)}
    assert len(keys) == 5000


def test_mention_facets_use_utf8_byte_offsets() -> None:
    text = "héllo 🎷 @ann.bsky.social and @nobody.example, mail me@ann.bsky.social"
    dids = {"ann.bsky.social": "did:plc:ann"}
    facets = mention_facets(text, dids.get)
    start = len(text[: text.index("@ann")].encode())
    assert facets == [
        {
            "index": {"byteStart": start, "byteEnd": start + len("@ann.bsky.social")},
            "features": [{"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:ann"}],
        }
    ]
    raw = text.encode()
    assert raw[start : start + len("@ann.bsky.social")] == b"@ann.bsky.social"


@pytest.mark.parametrize(
    ("status", "body", "write", "error"),
    [
        (401, b'{"error":"AuthenticationRequired","message":"Invalid identifier or password"}',
         False, AuthFailed),
        (400, b'{"error":"ExpiredToken","message":"Token has expired"}', False, AuthFailed),
        (400, b'{"error":"AccountTakedown","message":"gone"}', True, AuthFailed),
        (400, b'{"error":"RecordNotFound","message":"Could not locate record: at://x"}', False,
         NotFound),
        (400, b'{"error":"NotFound","message":"Post not found"}', False, NotFound),
        (400, b'{"error":"InvalidRequest","message":"Record/text must not be longer"}', True,
         ForbiddenByPolicy),
        (429, b'{"error":"RateLimitExceeded","message":"Rate Limit Exceeded"}', True, RateLimited),
        (502, b'{"error":"UpstreamFailure","message":"Upstream Failure"}', False, Transient),
        (500, b'{"error":"InternalServerError","message":"Internal Server Error"}', True,
         Ambiguous),
        (302, b"", False, BadResponse),
    ],
)  # fmt: skip
def test_answers_map_to_one_error_each(
    status: int, body: bytes, write: bool, error: type[Exception]
) -> None:
    mapped = status_error(status, body, {}, endpoint="POST /xrpc/x", write=write, secrets=[])
    assert type(mapped) is error
    assert mapped.status == status


@pytest.mark.parametrize("write", [False, True])
def test_no_service_configured_is_the_accounts_misconfiguration(write: bool) -> None:
    body = (
        b'{"error":"InvalidRequest","message":"No service configured for app.bsky.feed.getPosts"}'
    )
    mapped = status_error(
        400, body, {}, endpoint="GET /xrpc/app.bsky.feed.getPosts", write=write, secrets=[]
    )
    assert type(mapped) is PlatformMisconfigured
    assert "has no AppView for app.bsky.feed.getPosts" in str(mapped)
    assert "base_url" in str(mapped)


def test_a_refused_create_may_mean_the_record_exists() -> None:
    assert maybe_exists(500, b'{"error":"InternalServerError"}')
    assert maybe_exists(400, b'{"error":"RecordAlreadyExists","message":"x"}')
    assert maybe_exists(400, b'{"error":"InvalidRequest","message":"Record already exists"}')
    assert not maybe_exists(400, b'{"error":"InvalidRequest","message":"too long"}')
    assert not maybe_exists(429, b"{}")


def test_the_reset_is_epoch_seconds() -> None:
    assert rate_limit_reset({"ratelimit-reset": "1772442300"}) == datetime.fromtimestamp(
        1772442300, UTC
    )
    assert rate_limit_reset({"ratelimit-reset": "later"}) is None
