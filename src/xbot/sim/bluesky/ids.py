"""Identifiers of the fake Bluesky: DIDs, TIDs, CIDs and at:// URIs (platform-facts §2.5).

- DID: `did:plc:` + 24 base32 characters, derived from the world seed and the handle.
- TID: 13 characters of base32-sortable (`234567abcdefghijklmnopqrstuvwxyz`) for a 64-bit value
  whose top bit is 0: 53 bits of microseconds since the epoch, then a 10-bit clock id.
- CID: CIDv1, dag-cbor codec, sha-256 multihash, multibase base32 ('b'), so every CID starts
  with `bafyrei`. The hash is taken over canonical JSON of the record instead of DAG-CBOR:
  the same record always gets the same CID, which is all a client may rely on.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import regex

TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
TID_PATTERN = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
RECORD_KEY_PATTERN = re.compile(r"^[A-Za-z0-9._:~-]{1,512}$")
#: CIDv1 (0x01), dag-cbor (0x71), sha2-256 (0x12), 32 bytes (0x20)
_CID_PREFIX = bytes([0x01, 0x71, 0x12, 0x20])
_AT_URI = re.compile(r"^at://(?P<repo>[^/]+)/(?P<collection>[^/]+)/(?P<rkey>[^/]+)$")


def did_for(seed: int, handle: str) -> str:
    """Return the stable `did:plc:` of a world user."""
    digest = hashlib.sha256(f"bluesky-did:{seed}:{handle.lower()}".encode()).digest()
    return "did:plc:" + base64.b32encode(digest).decode().lower()[:24]


def tid_from_int(value: int) -> str:
    """Encode a 64-bit value (top bit 0) as a 13-character TID."""
    chars = []
    for _ in range(13):
        chars.append(TID_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def tid_at(moment: datetime, clock_id: int = 0) -> str:
    """Return the TID for a moment and a 10-bit clock id."""
    micros = int(moment.timestamp() * 1_000_000)
    return tid_from_int(((micros & ((1 << 53) - 1)) << 10) | (clock_id & 1023))


def is_tid(value: str) -> bool:
    """Whether `value` is a syntactically valid TID."""
    return TID_PATTERN.fullmatch(value) is not None


def is_record_key(value: str) -> bool:
    """Whether `value` is a syntactically valid record key (not `.` or `..`)."""
    return RECORD_KEY_PATTERN.fullmatch(value) is not None and value not in {".", ".."}


def canonical_json(value: Any) -> bytes:
    """Return the record's bytes the CID is computed over."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def cid_for(value: Any) -> str:
    """Return the CID of a record: `bafyrei...`."""
    digest = hashlib.sha256(canonical_json(value)).digest()
    return "b" + base64.b32encode(_CID_PREFIX + digest).decode().lower().rstrip("=")


def at_uri(did: str, collection: str, rkey: str) -> str:
    """Return the at:// URI of a record."""
    return f"at://{did}/{collection}/{rkey}"


@dataclass(frozen=True, kw_only=True, slots=True)
class AtUri:
    """The parts of an at:// URI."""

    repo: str
    collection: str
    rkey: str


def parse_at_uri(uri: str) -> AtUri | None:
    """Split an at:// URI into repo, collection and record key, or None."""
    match = _AT_URI.fullmatch(uri)
    if match is None:
        return None
    return AtUri(repo=match["repo"], collection=match["collection"], rkey=match["rkey"])


def graphemes(text: str) -> int:
    """Count extended grapheme clusters, as Bluesky limits text."""
    return len(regex.findall(r"\X", text))
