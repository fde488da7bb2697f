"""The uvicorn thread server: real sockets on 127.0.0.1 (no subprocess)."""

from __future__ import annotations

import logging
import socket

import httpx2
import pytest
from sim_toy import ToyFake
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from xbot.domain.errors import PortInUse
from xbot.sim.core.faults import Fault
from xbot.sim.core.server import SimServer


def test_the_server_serves_on_a_free_loopback_port() -> None:
    toy = ToyFake()
    with SimServer(toy.app) as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        assert server.port > 0
        response = httpx2.post(server.base_url + "/notes", json={"text": "hi"})
        assert response.status_code == 201
    with pytest.raises(httpx2.ConnectError):
        httpx2.get(server.base_url + "/notes", timeout=1)


def test_a_reset_fault_resets_the_tcp_connection() -> None:
    toy = ToyFake()
    toy.parts.faults.add(Fault(endpoint="POST /notes", kind="reset"))
    with SimServer(toy.app) as server, httpx2.Client(base_url=server.base_url) as client:
        with pytest.raises((httpx2.ReadError, httpx2.RemoteProtocolError)):
            client.post("/notes", json={"text": "hi"})
        assert toy.notes == []
        assert client.post("/notes", json={"text": "again"}).status_code == 201


def test_accept_then_timeout_over_a_socket() -> None:
    toy = ToyFake()
    toy.parts.faults.add(Fault(endpoint="POST /notes", kind="accept_then_timeout", seconds=5))
    timeout = httpx2.Timeout(5, read=0.2)
    with (
        SimServer(toy.app) as server,
        httpx2.Client(base_url=server.base_url, timeout=timeout) as client,
        pytest.raises(httpx2.ReadTimeout),
    ):
        client.post("/notes", json={"text": "landed"})
    assert [note["text"] for note in toy.notes] == ["landed"]


def test_a_busy_port_is_reported() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(PortInUse, match=str(port)):
            SimServer(ToyFake().app, port=port)


def test_a_refused_websocket_upgrade_is_answered_quietly(caplog: pytest.LogCaptureFixture) -> None:
    async def refuse(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        await websocket.send_denial_response(JSONResponse({"error": "no"}, status_code=401))

    with SimServer(refuse) as server, caplog.at_level(logging.ERROR, logger="uvicorn.error"):
        with pytest.raises(InvalidStatus) as raised:
            connect(server.base_url.replace("http://", "ws://") + "/stream", proxy=None)
        assert raised.value.response.status_code == 401
        assert raised.value.response.body == b'{"error":"no"}'
    assert not [record for record in caplog.records if record.name == "uvicorn.error"]
