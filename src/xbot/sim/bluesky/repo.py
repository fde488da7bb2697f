"""PDS methods of the fake Bluesky: com.atproto.server.*, identity and repo (facts §2.1-2.2)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from xbot.sim.bluesky.auth import AuthProblemError
from xbot.sim.bluesky.ids import at_uri, is_tid
from xbot.sim.bluesky.limits import WRITE_POINTS
from xbot.sim.bluesky.records import validate_post
from xbot.sim.bluesky.state import OTHER_COLLECTIONS, POST_COLLECTION, Actor, RecordExistsError
from xbot.sim.bluesky.xrpc import (
    Method,
    XrpcCall,
    XrpcError,
    invalid_request,
    rate_limit_exceeded,
)
from xbot.sim.core.world import UnknownUserError

if TYPE_CHECKING:
    from xbot.sim.bluesky.backend import BlueskyBackend

#: where the fake serves its PLC directory: `<fake URL>/plc` stands for https://plc.directory
PLC_PREFIX = "/plc"


def repo_methods() -> dict[str, Method]:
    """Return the PDS's XRPC methods by NSID."""
    server, identity, repo = "com.atproto.server.", "com.atproto.identity.", "com.atproto.repo."
    return {
        server + "createSession": Method(verb="POST", auth="none", handler=create_session),
        server + "refreshSession": Method(verb="POST", auth="refresh", handler=refresh_session),
        server + "getSession": Method(verb="GET", auth="required", handler=get_session),
        server + "describeServer": Method(verb="GET", auth="none", handler=describe_server),
        identity + "resolveHandle": Method(verb="GET", auth="none", handler=resolve_handle),
        repo + "createRecord": Method(verb="POST", auth="required", handler=create_record),
        repo + "putRecord": Method(verb="POST", auth="required", handler=put_record),
        repo + "getRecord": Method(verb="GET", auth="optional", handler=get_record),
        repo + "listRecords": Method(verb="GET", auth="optional", handler=list_records),
        repo + "deleteRecord": Method(verb="POST", auth="required", handler=delete_record),
    }


def _session_body(call: XrpcCall, actor: Actor, tokens: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        **tokens,
        "handle": actor.handle,
        "did": actor.did,
        "email": f"{actor.user.handle}@example.com",
        "emailConfirmed": True,
        "active": True,
    }
    if call.fake.settings.did_doc:
        body["didDoc"] = did_document(call.fake, actor, str(call.request.base_url))
    return body


def did_document(fake: BlueskyBackend, actor: Actor, base_url: str) -> dict[str, Any]:
    """Return the account's DID document; its PDS is `pds_endpoint`, else the URL asked."""
    endpoint = fake.settings.pds_endpoint or base_url.rstrip("/")
    return {
        "@context": ["https://www.w3.org/ns/did/v1"],
        "id": actor.did,
        "alsoKnownAs": [f"at://{actor.handle}"],
        "verificationMethod": [],
        "service": [
            {
                "id": "#atproto_pds",
                "type": "AtprotoPersonalDataServer",
                "serviceEndpoint": endpoint,
            }
        ],
    }


def plc_routes(fake: BlueskyBackend) -> list[BaseRoute]:
    """Return a PLC directory (`GET /plc/<did>` -> the DID document), like plc.directory/<did>."""

    async def document(request: Request) -> Response:
        did = request.path_params["did"]
        actor = fake.store.find_actor(did) if did.startswith("did:plc:") else None
        if actor is None or actor.did != did:
            return JSONResponse({"message": f"DID not registered: {did}"}, status_code=404)
        return JSONResponse(did_document(fake, actor, str(request.base_url)))

    return [Route(PLC_PREFIX + "/{did}", document, methods=["GET"])]


def create_session(call: XrpcCall) -> Response:
    """com.atproto.server.createSession: app password in, token pair out; 30 / 5 min per account."""
    identifier = str(call.field("identifier"))
    password = str(call.field("password"))
    actor = call.fake.store.find_actor(identifier.removeprefix("at://"))
    key = actor.did if actor else identifier.lower()
    verdict = call.fake.consume("login", key, call.now.timestamp())
    call.headers.update(verdict.headers())
    if verdict.exceeded:
        raise rate_limit_exceeded(call.headers)
    if actor is None or not call.fake.auth.password_matches(actor.user.handle, password):
        raise XrpcError(401, "AuthenticationRequired", "Invalid identifier or password")
    return call.answer(_session_body(call, actor, call.fake.auth.issue(actor.did)))


def refresh_session(call: XrpcCall) -> Response:
    """com.atproto.server.refreshSession: a new pair; the old refresh token is used up."""
    actor = call.fake.store.actor(call.did)
    return call.answer(_session_body(call, actor, call.fake.auth.issue(actor.did)))


def get_session(call: XrpcCall) -> Response:
    """com.atproto.server.getSession."""
    actor = call.fake.store.actor(call.did)
    body = _session_body(call, actor, {})
    return call.answer(body)


def describe_server(call: XrpcCall) -> Response:
    """com.atproto.server.describeServer."""
    suffix = call.fake.settings.handle_suffix
    return call.answer(
        {"did": "did:web:bsky.sim", "availableUserDomains": [suffix], "inviteCodeRequired": True}
    )


def resolve_handle(call: XrpcCall) -> Response:
    """com.atproto.identity.resolveHandle."""
    actor = call.fake.store.find_actor(call.required("handle"))
    if actor is None or "." not in call.required("handle"):
        raise invalid_request("Unable to resolve handle")
    return call.answer({"did": actor.did})


def _own_repo(call: XrpcCall, collections: frozenset[str] = frozenset({POST_COLLECTION})) -> Actor:
    try:
        actor = call.fake.store.actor(str(call.field("repo")))
    except UnknownUserError:
        raise invalid_request("Could not find repo: " + str(call.field("repo"))) from None
    if actor.did != call.did:
        raise AuthProblemError(403, "InvalidToken", "Token does not match repo")
    collection = call.field("collection")
    if collection not in collections:
        supported = ", ".join(sorted(collections))
        raise invalid_request(f"The fake supports only {supported} here, not {collection!r}")
    return actor


def create_record(call: XrpcCall) -> Response:
    """com.atproto.repo.createRecord of a post (optional client rkey), profile or threadgate."""
    if call.body.get("collection") in OTHER_COLLECTIONS:
        return _write_other(call, create=True)
    actor = _own_repo(call)
    fake = call.fake
    rkey = call.body.get("rkey")
    if rkey is not None and not (isinstance(rkey, str) and is_tid(rkey)):
        raise invalid_request(f"Invalid record key for {POST_COLLECTION}: must be a tid")
    swap = call.body.get("swapCommit")
    repository = fake.store.repository(actor.did)
    if swap is not None and swap != repository.commit_cid:
        raise XrpcError(400, "InvalidSwap", f"Commit was at {repository.commit_cid or 'null'}")
    record = call.field("record")
    validate_post(record, fake.store, check_reply_refs=fake.settings.check_reply_refs)
    verdict = fake.consume("write", actor.did, call.now.timestamp(), WRITE_POINTS["create"])
    call.headers.update(verdict.headers())
    if verdict.exceeded:
        raise rate_limit_exceeded(call.headers)
    try:
        created = fake.create_record(actor, record, rkey)
    except RecordExistsError:
        raise _duplicate(call, actor, str(rkey)) from None
    repository = fake.store.repository(actor.did)
    commit = {"cid": repository.commit_cid, "rev": f"{repository.rev_counter:013d}"}
    body = {"uri": created.uri, "cid": created.cid, "commit": commit, "validationStatus": "valid"}
    return call.answer(body)


def _duplicate(call: XrpcCall, actor: Actor, rkey: str) -> XrpcError:
    if call.fake.settings.duplicate_rkey == "named":
        uri = at_uri(actor.did, POST_COLLECTION, rkey)
        return XrpcError(
            400, call.fake.settings.duplicate_rkey_error, f"Record already exists: {uri}"
        )
    # what the reference PDS and indigo answer today (indigo#873, atproto PR #4728)
    return XrpcError(500, "InternalServerError", "Internal Server Error")


def put_record(call: XrpcCall) -> Response:
    """com.atproto.repo.putRecord of a profile (`self`) or a threadgate: create or replace."""
    return _write_other(call, create=False)


def _write_other(call: XrpcCall, *, create: bool) -> Response:
    actor = _own_repo(call, OTHER_COLLECTIONS)
    collection, rkey = str(call.field("collection")), str(call.field("rkey"))
    record = call.field("record")
    if not isinstance(record, dict) or record.get("$type") != collection:
        raise invalid_request(f"Invalid {collection} record: $type must be {collection}")
    uri = at_uri(actor.did, collection, rkey)
    existing = call.fake.store.other(uri)
    if create and existing is not None:
        raise XrpcError(500, "InternalServerError", "Internal Server Error")
    swap = call.body.get("swapRecord")
    if swap is not None and (existing is None or existing.cid != swap):
        raise XrpcError(400, "InvalidSwap", f"Record was at {existing.cid if existing else 'null'}")
    points = WRITE_POINTS["create" if existing is None else "update"]
    verdict = call.fake.consume("write", actor.did, call.now.timestamp(), points)
    call.headers.update(verdict.headers())
    if verdict.exceeded:
        raise rate_limit_exceeded(call.headers)
    written = call.fake.store.put_other(actor.did, collection, rkey, record)
    repository = call.fake.store.repository(actor.did)
    commit = {"cid": repository.commit_cid, "rev": f"{repository.rev_counter:013d}"}
    body = {"uri": written.uri, "cid": written.cid, "commit": commit, "validationStatus": "valid"}
    return call.answer(body)


def get_record(call: XrpcCall) -> Response:
    """com.atproto.repo.getRecord: reads the repository itself, so a new record shows at once."""
    repo = call.required("repo")
    collection = call.required("collection")
    rkey = call.required("rkey")
    actor = call.fake.store.find_actor(repo)
    if actor is None:
        raise invalid_request(f"Could not find repo: {repo}")
    uri = at_uri(actor.did, collection, rkey)
    wanted_cid = call.param("cid")
    if collection in OTHER_COLLECTIONS:
        other = call.fake.store.other(uri)
        if other is None or (wanted_cid is not None and wanted_cid != other.cid):
            raise XrpcError(400, "RecordNotFound", f"Could not locate record: {uri}")
        return call.answer({"uri": other.uri, "cid": other.cid, "value": other.value})
    record = call.fake.store.live(uri)
    if record is None or (wanted_cid is not None and wanted_cid != record.cid):
        raise XrpcError(400, "RecordNotFound", f"Could not locate record: {uri}")
    return call.answer({"uri": record.uri, "cid": record.cid, "value": record.value})


def list_records(call: XrpcCall) -> Response:
    """com.atproto.repo.listRecords: one collection by record key, newest key first (or reverse).

    As on the reference PDS, the cursor is the last record's key whenever the page is not empty,
    so the end of the listing shows as an empty page.
    """
    repo = call.required("repo")
    collection = call.required("collection")
    actor = call.fake.store.find_actor(repo)
    if actor is None:
        raise invalid_request(f"Could not find repo: {repo}")
    limit = call.limit(default=50)
    reverse = _flag(call.param("reverse"), "reverse")
    cursor = call.param("cursor")
    records = call.fake.store.select(
        lambda r: (
            r.did == actor.did
            and collection == POST_COLLECTION
            and _beyond(r.rkey, cursor, reverse=reverse)
        )
    )
    chunk = sorted(records, key=lambda r: r.rkey, reverse=not reverse)[:limit]
    body: dict[str, Any] = {
        "records": [{"uri": r.uri, "cid": r.cid, "value": r.value} for r in chunk]
    }
    if chunk:
        body["cursor"] = chunk[-1].rkey
    return call.answer(body)


def _beyond(rkey: str, cursor: str | None, *, reverse: bool) -> bool:
    if not cursor:
        return True
    return rkey > cursor if reverse else rkey < cursor


def _flag(raw: str | None, name: str) -> bool:
    if raw is None or raw == "false":
        return False
    if raw == "true":
        return True
    raise invalid_request(f"Error: {name} must be a boolean")


def delete_record(call: XrpcCall) -> Response:
    """com.atproto.repo.deleteRecord; deleting a missing record succeeds too."""
    actor = _own_repo(call)
    rkey = str(call.field("rkey"))
    verdict = call.fake.consume("write", actor.did, call.now.timestamp(), WRITE_POINTS["delete"])
    call.headers.update(verdict.headers())
    if verdict.exceeded:
        raise rate_limit_exceeded(call.headers)
    call.fake.store.delete(at_uri(actor.did, POST_COLLECTION, rkey))
    repository = call.fake.store.repository(actor.did)
    return call.answer(
        {"commit": {"cid": repository.commit_cid, "rev": f"{repository.rev_counter:013d}"}}
    )
