"""One XRPC exchange with Bluesky: the session's bearer token, one renewal, errors mapped.

Calls are named the way faults and rate limits name them: `GET /xrpc/<nsid>`. createSession goes
to the configured base URL; every other call to the account's PDS named in the session
(`Session.endpoint`, from the DID document). A call refused for its session (400
`ExpiredToken`/`InvalidToken`, 401) is sent once more after a renewal: refreshSession when the
access token expired, else (or when the refresh fails) a new createSession. Bluesky checks the
token before it acts, so that second send never repeats a write that may have landed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import httpx2
from pydantic import SecretStr

from xbot.domain.errors import AuthFailed, BadResponse, PlatformError
from xbot.platforms.bluesky.errors import AUTH_ERRORS, status_error, xrpc_error
from xbot.platforms.bluesky.session import (
    DEFAULT_PLC_DIRECTORY,
    Session,
    SessionStore,
    did_document_url,
)
from xbot.platforms.http import Exchange, HttpOptions, excerpt, send_capped

DEFAULT_BASE_URL = "https://bsky.social"
CREATE_SESSION = "com.atproto.server.createSession"
REFRESH_SESSION = "com.atproto.server.refreshSession"


class XrpcWire:
    """The adapter's HTTP client, app password and session."""

    def __init__(  # noqa: PLR0913 - the parts of one connection
        self,
        *,
        http: httpx2.Client,
        identifier: str,
        password: SecretStr,
        store: SessionStore,
        options: HttpOptions,
        service: str,
        plc_directory: str = DEFAULT_PLC_DIRECTORY,
    ) -> None:
        self.http = http
        self.identifier = identifier
        self.options = options
        self.service = service
        self.plc_directory = plc_directory
        self._password = password
        self._store = store
        self._session: Session | None = None

    def session(self) -> Session:
        """Return the current session: the stored one, or a new login."""
        if self._session is None:
            self._session = Session.from_dict(self._store.load(), service=self.service)
        if self._session is None:
            self._login()
        assert self._session is not None  # noqa: S101 - _login sets it or raises
        return self._session

    def call(
        self,
        verb: str,
        nsid: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        write: bool = False,
    ) -> Exchange:
        """Send one authenticated XRPC call; renew the session once if it was refused."""
        answer = self._send(verb, nsid, params=params, json=json, write=write, token=self._token())
        if _session_refused(answer):
            self._renew(answer)
            answer = self._send(
                verb, nsid, params=params, json=json, write=write, token=self._token()
            )
        return answer

    def secrets(self) -> list[str]:
        """Return the secret values to keep out of messages."""
        found = [self._password.get_secret_value()]
        if self._session is not None:
            found += self._session.secrets()
        return found

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    # --- the session ---

    def _token(self) -> str:
        return self.session().access_jwt.get_secret_value()

    def _renew(self, refused: Exchange) -> None:
        name, _ = xrpc_error(refused.body)
        if name == "ExpiredToken" and self._session is not None:
            try:
                self._refresh(self._session)
            except AuthFailed:
                pass  # the refresh token is used up or revoked: log in again
            else:
                return
        self._login()

    def _refresh(self, session: Session) -> None:
        token = session.refresh_jwt.get_secret_value()
        answer = self._send(
            "POST", REFRESH_SESSION, params=None, json=None, write=False, token=token
        )
        self._adopt(answer, REFRESH_SESSION)

    def _login(self) -> None:
        body = {"identifier": self.identifier, "password": self._password.get_secret_value()}
        answer = self._send("POST", CREATE_SESSION, params=None, json=body, write=False, token=None)
        self._adopt(answer, CREATE_SESSION)

    def _adopt(self, answer: Exchange, nsid: str) -> None:
        endpoint = f"POST /xrpc/{nsid}"
        if not 200 <= answer.status < 300:
            raise status_error(
                answer.status, answer.body, answer.headers,
                endpoint=endpoint, write=False, secrets=self.secrets(),
            )  # fmt: skip
        try:
            body = answer.json()
        except ValueError:
            body = None
        session = (
            Session.from_answer(body, service=self.service) if isinstance(body, dict) else None
        )
        if session is None:
            raise BadResponse(
                f"Bluesky answered {endpoint} without a session",
                status=answer.status,
                excerpt=excerpt(answer.body, self.secrets()),
            )
        session = self._placed(session, nsid)
        self._session = session
        self._store.save(session.as_dict())

    def _placed(self, session: Session, nsid: str) -> Session:
        """Name the PDS when the answer has no didDoc; on any failure calls stay at the base URL.

        A refresh keeps the session's PDS; a login resolves the DID document (the PLC directory,
        or did:web's well-known URL).
        """
        if session.pds is not None:
            return session
        if nsid == REFRESH_SESSION and self._session is not None:
            return replace(session, pds=self._session.pds)
        url = did_document_url(session.did, self.plc_directory)
        if url is None:
            return session
        request = self.http.build_request("GET", url)
        try:
            answer = send_capped(
                self.http, request, endpoint="GET did document", write=False, platform="Bluesky",
                limit=self.options.max_response_bytes, secrets=self.secrets(),
            )  # fmt: skip
            document = answer.json() if answer.status == 200 else None
        except (PlatformError, ValueError):
            return session
        return session.with_did_document(document)

    # --- one exchange ---

    def _send(  # noqa: PLR0913 - one request's parts
        self,
        verb: str,
        nsid: str,
        *,
        params: Mapping[str, Any] | None,
        json: Any,
        write: bool,
        token: str | None,
    ) -> Exchange:
        endpoint = f"{verb} /xrpc/{nsid}"
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        request = self.http.build_request(
            verb, self._url(nsid), params=params, json=json, headers=headers
        )
        return send_capped(
            self.http, request, endpoint=endpoint, write=write, platform="Bluesky",
            limit=self.options.max_response_bytes, secrets=self.secrets(),
        )  # fmt: skip

    def _url(self, nsid: str) -> str:
        """Log in at the configured service; send everything else to the account's PDS."""
        path = f"/xrpc/{nsid}"
        if nsid == CREATE_SESSION or self._session is None:
            return path
        return self._session.endpoint + path


def _session_refused(answer: Exchange) -> bool:
    if answer.status == 401:
        return True
    name, _ = xrpc_error(answer.body)
    return answer.status == 400 and name in AUTH_ERRORS - {"AccountTakedown"}
