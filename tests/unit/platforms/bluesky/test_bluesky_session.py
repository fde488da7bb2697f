"""The session names the account's PDS from the DID document, and keeps it across restarts."""

from __future__ import annotations

from typing import Any

import pytest

from xbot.platforms.bluesky.session import Session, did_document_url, pds_endpoint, web_origin

DID = "did:plc:abcdefghijklmnopqrstuvwx"


def did_doc(*services: dict[str, Any]) -> dict[str, Any]:
    return {"id": DID, "service": list(services)}


def pds(endpoint: object, **changes: object) -> dict[str, Any]:
    entry = {"id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": endpoint}
    return {**entry, **changes}


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (did_doc(pds("https://pds.example.org")), "https://pds.example.org"),
        (did_doc(pds("https://pds.example.org/")), "https://pds.example.org"),
        (did_doc(pds("http://127.0.0.1:8081", id=f"{DID}#atproto_pds")), "http://127.0.0.1:8081"),
        (
            did_doc(
                {
                    "id": "#atproto_labeler",
                    "type": "AtprotoLabeler",
                    "serviceEndpoint": "https://l",
                },
                pds("https://morel.us-east.host.bsky.network"),
            ),
            "https://morel.us-east.host.bsky.network",
        ),
        (did_doc(pds("https://pds.example.org", type="Other")), None),
        (did_doc(pds("ftp://pds.example.org")), None),
        (did_doc(pds("javascript:alert(1)")), None),
        (did_doc(pds(["https://pds.example.org"])), None),
        (did_doc(pds("https://")), None),
        (did_doc("not a service"), None),  # type: ignore[arg-type]
        ({"id": DID}, None),
        ({"id": DID, "service": "https://pds.example.org"}, None),
        ("a string", None),
        (None, None),
    ],
)
def test_the_pds_is_the_atproto_pds_service_of_the_did_document(
    doc: object, expected: str | None
) -> None:
    assert pds_endpoint(doc) == expected


def answer(**extra: object) -> dict[str, object]:
    return {"did": DID, "handle": "bot.example.org", "accessJwt": "a", "refreshJwt": "r", **extra}


def test_a_login_answer_names_the_pds_and_the_store_keeps_it() -> None:
    session = Session.from_answer(
        answer(didDoc=did_doc(pds("https://pds.example.org"))), service="https://bsky.social"
    )
    assert session is not None
    assert session.endpoint == "https://pds.example.org"
    saved = session.as_dict()
    assert saved["pds"] == "https://pds.example.org"
    again = Session.from_dict(saved, service="https://bsky.social")
    assert again is not None
    assert again.endpoint == "https://pds.example.org"


def test_without_a_did_document_calls_stay_at_the_service() -> None:
    session = Session.from_answer(answer(), service="https://bsky.social")
    assert session is not None
    assert session.endpoint == "https://bsky.social"
    assert "pds" not in session.as_dict()
    stored = {**session.as_dict(), "pds": "file:///etc/passwd"}
    restored = Session.from_dict(stored, service="https://bsky.social")
    assert restored is not None
    assert restored.endpoint == "https://bsky.social"


def test_web_origin_accepts_only_http_urls() -> None:
    assert web_origin(" https://pds.example.org// ") == "https://pds.example.org"
    assert web_origin("pds.example.org") is None
    assert web_origin(42) is None


def test_tokens_never_downgrade_from_https_to_http() -> None:
    doc = did_doc(pds("http://pds.example.org"))
    over_https = Session.from_answer(answer(didDoc=doc), service="https://bsky.social")
    assert over_https is not None
    assert over_https.endpoint == "https://bsky.social"
    over_http = Session.from_answer(answer(didDoc=doc), service="http://127.0.0.1:2583")
    assert over_http is not None
    assert over_http.endpoint == "http://pds.example.org"
    saved = {**over_https.as_dict(), "pds": "http://pds.example.org"}
    assert Session.from_dict(saved, service="https://bsky.social").endpoint == "https://bsky.social"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("did", "url"),
    [
        (DID, f"https://plc.example/{DID}"),
        ("did:web:pds.example.org", "https://pds.example.org/.well-known/did.json"),
        ("did:web:localhost%3A2583", "https://localhost:2583/.well-known/did.json"),
        ("did:web:example.org:user:alice", None),
        ("did:web:evil.example%2Fpath", None),
        ("did:web:user%40evil.example", None),
        ("did:plc:../../etc/passwd", None),
        ("did:key:z6Mkabc", None),
    ],
)
def test_where_a_did_document_is_published(did: str, url: str | None) -> None:
    assert did_document_url(did, "https://plc.example/") == url


def test_a_resolved_document_names_the_pds_unless_it_downgrades() -> None:
    session = Session.from_answer(answer(), service="https://bsky.social")
    assert session is not None
    resolved = session.with_did_document(did_doc(pds("https://pds.example.org")))
    assert resolved.endpoint == "https://pds.example.org"
    assert session.with_did_document(did_doc(pds("http://pds.example.org"))).pds is None
    assert resolved.with_did_document({"nothing": 1}).endpoint == "https://pds.example.org"
