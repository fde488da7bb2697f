"""The fake Bluesky's repositories: actors (DID + handle) and their app.bsky.feed.post records.

World handles are short (`replybot`); on Bluesky every handle is a domain, so each user is
`<handle><handle_suffix>` (default `replybot.bsky.social`). Text written with short mentions
(`@replybot`, as the traffic generator and tests write it) is stored with the full handle and a
mention facet, the way a Bluesky client composes it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from xbot.sim.bluesky.ids import at_uri, cid_for, parse_at_uri, tid_at
from xbot.sim.bluesky.jetstream import Commit
from xbot.sim.core.traffic import Draft, PostRef
from xbot.sim.core.unicode import well_formed_value
from xbot.sim.core.world import SimUser, UnknownUserError, World

POST_COLLECTION = "app.bsky.feed.post"
PROFILE_COLLECTION = "app.bsky.actor.profile"
THREADGATE_COLLECTION = "app.bsky.feed.threadgate"
#: the record collections besides posts the fake keeps (one `self` profile, gates by root rkey)
OTHER_COLLECTIONS = frozenset({PROFILE_COLLECTION, THREADGATE_COLLECTION})
SELF_LABELS = "com.atproto.label.defs#selfLabels"
MENTION_FEATURE = "app.bsky.richtext.facet#mention"
_MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)")


class RecordExistsError(Exception):
    """A record with this key already exists in the repository."""


def bsky_time(moment: datetime) -> str:
    """Return a timestamp the way Bluesky writes them: `2026-09-01T12:00:00.000Z`."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, kw_only=True, slots=True)
class Actor:
    """A world user as a Bluesky account."""

    user: SimUser
    did: str
    handle: str


@dataclass(frozen=True, kw_only=True, slots=True)
class PostRecord:
    """One app.bsky.feed.post record in someone's repository."""

    uri: str
    cid: str
    did: str
    rkey: str
    value: dict[str, Any]
    #: when the PDS accepted the record (generated posts: their scheduled time)
    indexed_at: datetime
    deleted: bool = False
    parent_uri: str | None = None
    root_uri: str | None = None
    quote_uri: str | None = None
    mention_dids: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The post's text."""
        return str(self.value.get("text", ""))


@dataclass(frozen=True, kw_only=True, slots=True)
class OtherRecord:
    """A record that is not a post: a profile (`self`) or a threadgate (the root post's rkey)."""

    uri: str
    cid: str
    did: str
    collection: str
    rkey: str
    value: dict[str, Any]


@dataclass(kw_only=True, slots=True)
class Repository:
    """The commit state of one account's repository."""

    rev_counter: int = 0
    commit_cid: str = ""


class BlueskyStore:
    """Every account and post of the fake Bluesky; thread-safe; also a traffic PostBoard."""

    def __init__(self, world: World, actors: Sequence[Actor]) -> None:
        self.world = world
        self._lock = threading.RLock()
        self._actors = {actor.did: actor for actor in actors}
        self._names: dict[str, Actor] = {}
        for actor in actors:
            self._names[actor.handle.lower()] = actor
            self._names[actor.user.handle.lower()] = actor
        self._records: dict[str, PostRecord] = {}
        self._others: dict[str, OtherRecord] = {}
        self._repos: dict[str, Repository] = {}
        self._clock_id = 0
        #: told of every commit, under the store's lock (the fake Jetstream's log)
        self.on_commit: Callable[[Commit], None] | None = None

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._records.clear()
            self._others.clear()
            self._repos.clear()
            for actor in self._actors.values():  # seeded: no commit, like an account's past
                seeded = _other(actor.did, PROFILE_COLLECTION, "self", profile_record(actor))
                self._others[seeded.uri] = seeded

    # --- actors ---

    def actor(self, identifier: str) -> Actor:
        """Return an actor by DID, full handle or world handle."""
        key = identifier.lstrip("@").lower()
        found = self._actors.get(key) or self._names.get(key)
        if found is None:
            raise UnknownUserError(f"no Bluesky account {identifier!r} in the simulated world")
        return found

    def find_actor(self, identifier: str) -> Actor | None:
        """Return an actor, or None."""
        try:
            return self.actor(identifier)
        except UnknownUserError:
            return None

    def actors(self) -> list[Actor]:
        """Every actor, bot accounts first."""
        return list(self._actors.values())

    # --- records ---

    def other(self, uri: str) -> OtherRecord | None:
        """Return a profile or threadgate record by URI, or None."""
        with self._lock:
            return self._others.get(uri)

    def put_other(self, did: str, collection: str, rkey: str, value: dict[str, Any]) -> OtherRecord:
        """Create or replace a profile or threadgate record."""
        record = _other(did, collection, rkey, well_formed_value(value))
        with self._lock:
            operation = "update" if record.uri in self._others else "create"
            self._others[record.uri] = record
            self._commit(did)
            self._tell(did, collection, rkey, operation, cid=record.cid, record=record.value)
        return record

    def delete_other(self, uri: str) -> bool:
        """Delete a profile or threadgate record; return whether it existed."""
        with self._lock:
            record = self._others.pop(uri, None)
            if record is not None:
                self._commit(record.did)
                self._tell(record.did, record.collection, record.rkey, "delete")
            return record is not None

    def others(self, did: str, collection: str) -> list[OtherRecord]:
        """Every record of one such collection in one repository."""
        with self._lock:
            return [r for r in self._others.values() if r.did == did and r.collection == collection]

    def self_labels(self, did: str) -> list[str]:
        """Return the values of the self-labels on an account's profile record."""
        profile = self.other(at_uri(did, PROFILE_COLLECTION, "self"))
        labels = (profile.value.get("labels") or {}) if profile is not None else {}
        values = labels.get("values") if isinstance(labels, dict) else None
        return [str(item.get("val")) for item in values or [] if isinstance(item, dict)]

    def threadgate(self, root_uri: str) -> OtherRecord | None:
        """Return the threadgate of a thread (rkey = the root post's rkey), or None."""
        parsed = parse_at_uri(root_uri)
        if parsed is None:
            return None
        return self.other(at_uri(parsed.repo, THREADGATE_COLLECTION, parsed.rkey))

    def get(self, uri: str) -> PostRecord | None:
        """Return a record by URI, deleted or not."""
        with self._lock:
            return self._records.get(uri)

    def live(self, uri: str) -> PostRecord | None:
        """Return a record that exists now, or None."""
        record = self.get(uri)
        return None if record is None or record.deleted else record

    def add(self, did: str, rkey: str, value: dict[str, Any], at: datetime) -> PostRecord:
        """Commit a record; raise RecordExistsError when the key is taken."""
        uri = at_uri(did, POST_COLLECTION, rkey)
        with self._lock:
            existing = self._records.get(uri)
            if existing is not None and not existing.deleted:
                raise RecordExistsError(uri)
            record = self._record(did, rkey, well_formed_value(value), at)
            self._records[uri] = record
            self._commit(did)
            self._tell(did, POST_COLLECTION, rkey, "create", cid=record.cid, record=record.value)
            return record

    def delete(self, uri: str) -> bool:
        """Delete a record; return whether it existed."""
        with self._lock:
            record = self._records.get(uri)
            if record is None or record.deleted:
                return False
            self._records[uri] = replace(record, deleted=True)
            self._commit(record.did)
            self._tell(record.did, POST_COLLECTION, record.rkey, "delete")
            return True

    def repository(self, did: str) -> Repository:
        """Return the commit state of one repository."""
        with self._lock:
            return self._repos.setdefault(did, Repository())

    def select(self, keep: Callable[[PostRecord], bool]) -> list[PostRecord]:
        """Return live records for which `keep` is true, newest first."""
        with self._lock:
            found = [r for r in self._records.values() if not r.deleted and keep(r)]
        return sorted(found, key=lambda r: (r.indexed_at, r.rkey), reverse=True)

    def by_author(self, did: str) -> list[PostRecord]:
        """Every record of one account, deleted ones too, oldest first."""
        with self._lock:
            found = [r for r in self._records.values() if r.did == did]
        return sorted(found, key=lambda r: (r.indexed_at, r.rkey))

    def count(self, keep: Callable[[PostRecord], bool]) -> int:
        """How many live records match."""
        return len(self.select(keep))

    # --- composing posts (admin API and traffic) ---

    def compose(  # noqa: PLR0913 - the parts of a post
        self,
        author: Actor,
        text: str,
        at: datetime,
        *,
        lang: str = "en",
        in_reply_to: str | None = None,
        quote_of: str | None = None,
    ) -> dict[str, Any]:
        """Return a post record as a Bluesky client would write it."""
        full_text, facets = self.mention_facets(text)
        value: dict[str, Any] = {
            "$type": POST_COLLECTION,
            "text": full_text,
            "createdAt": bsky_time(at),
            "langs": [lang],
        }
        if facets:
            value["facets"] = facets
        parent = self.live(in_reply_to) if in_reply_to else None
        if parent is not None:
            root = parent.value.get("reply", {}).get("root") or {
                "uri": parent.uri,
                "cid": parent.cid,
            }
            value["reply"] = {"root": root, "parent": {"uri": parent.uri, "cid": parent.cid}}
        quoted = self.live(quote_of) if quote_of else None
        if quoted is not None:
            strong = {"uri": quoted.uri, "cid": quoted.cid}
            value["embed"] = {"$type": "app.bsky.embed.record", "record": strong}
        del author
        return value

    def mention_facets(self, text: str) -> tuple[str, list[dict[str, Any]]]:
        """Expand short mentions to full handles; return the text and its mention facets."""
        pieces: list[str] = []
        facets: list[dict[str, Any]] = []
        position = 0
        offset = 0
        for match in _MENTION.finditer(text):
            actor = self.find_actor(match.group(1))
            if actor is None:
                continue
            before = text[position : match.start()]
            pieces.append(before)
            offset += len(before.encode())
            mention = "@" + actor.handle
            end = offset + len(mention.encode())
            index = {"byteStart": offset, "byteEnd": end}
            facets.append(
                {"index": index, "features": [{"$type": MENTION_FEATURE, "did": actor.did}]}
            )
            pieces.append(mention)
            offset = end
            position = match.end()
        pieces.append(text[position:])
        return "".join(pieces), facets

    def create_post(  # noqa: PLR0913 - the parts of a post
        self,
        author: Actor,
        text: str,
        at: datetime,
        *,
        lang: str = "en",
        in_reply_to: str | None = None,
        quote_of: str | None = None,
    ) -> PostRecord:
        """Compose and commit a post with a fresh TID."""
        value = self.compose(
            author, text, at, lang=lang, in_reply_to=in_reply_to, quote_of=quote_of
        )
        with self._lock:
            return self.add(author.did, self.fresh_rkey(author.did, at), value, at)

    def fresh_rkey(self, did: str, at: datetime) -> str:
        """Return an unused TID for a record written at `at`."""
        with self._lock:
            while True:
                self._clock_id = (self._clock_id + 1) % 1024
                rkey = tid_at(at, self._clock_id)
                if at_uri(did, POST_COLLECTION, rkey) not in self._records:
                    return rkey

    # --- PostBoard, for the traffic generator ---

    def recent_posts(self, *, by_bot_accounts: bool, limit: int) -> Sequence[PostRef]:
        """Recent live posts by bot accounts or by everyone else."""

        def wanted(record: PostRecord) -> bool:
            return self._actors[record.did].user.is_bot_account == by_bot_accounts

        return [
            PostRef(post_id=r.uri, author_handle=self._actors[r.did].user.handle)
            for r in self.select(wanted)[:limit]
        ]

    def add_post(self, draft: Draft) -> str:
        """Create a generated post."""
        author = self.actor(draft.author)
        record = self.create_post(
            author, draft.text, draft.created_at, lang=draft.language,
            in_reply_to=draft.in_reply_to, quote_of=draft.quote_of,
        )  # fmt: skip
        return record.uri

    # --- helpers ---

    def _record(self, did: str, rkey: str, value: dict[str, Any], at: datetime) -> PostRecord:
        reply = value.get("reply") or {}
        embed = value.get("embed") or {}
        mentions = tuple(
            str(feature.get("did"))
            for facet in value.get("facets") or []
            for feature in facet.get("features") or []
            if feature.get("$type") == MENTION_FEATURE
        )
        return PostRecord(
            uri=at_uri(did, POST_COLLECTION, rkey),
            cid=cid_for(value),
            did=did,
            rkey=rkey,
            value=value,
            indexed_at=at,
            parent_uri=(reply.get("parent") or {}).get("uri"),
            root_uri=(reply.get("root") or {}).get("uri"),
            quote_uri=(embed.get("record") or {}).get("uri"),
            mention_dids=mentions,
        )

    def _commit(self, did: str) -> None:
        repo = self._repos.setdefault(did, Repository())
        repo.rev_counter += 1
        repo.commit_cid = cid_for({"did": did, "rev": repo.rev_counter})

    def _tell(  # noqa: PLR0913 - the parts of a commit
        self,
        did: str,
        collection: str,
        rkey: str,
        operation: str,
        *,
        cid: str | None = None,
        record: dict[str, Any] | None = None,
    ) -> None:
        if self.on_commit is None:
            return
        rev = f"{self._repos[did].rev_counter:013d}"
        self.on_commit(Commit(
            did=did, collection=collection, rkey=rkey, operation=operation,
            rev=rev, cid=cid, record=record,
        ))  # fmt: skip


def _other(did: str, collection: str, rkey: str, value: dict[str, Any]) -> OtherRecord:
    return OtherRecord(
        uri=at_uri(did, collection, rkey), cid=cid_for(value), did=did,
        collection=collection, rkey=rkey, value=value,
    )  # fmt: skip


def profile_record(actor: Actor) -> dict[str, Any]:
    """Return the seeded `app.bsky.actor.profile/self` record: automated accounts carry `bot`."""
    value: dict[str, Any] = {
        "$type": PROFILE_COLLECTION,
        "displayName": actor.user.name,
        "description": actor.user.description,
    }
    if actor.user.automated:
        value["labels"] = {"$type": SELF_LABELS, "values": [{"val": "bot"}]}
    return value


def author_of(uri: str | None) -> str | None:
    """Return the DID that owns an at:// URI."""
    parsed = parse_at_uri(uri) if uri else None
    return parsed.repo if parsed else None
