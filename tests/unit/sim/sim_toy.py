"""A toy fake built on the sim core, so the core is tested apart from any platform."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Scope

from xbot.sim.core.admin import FakeParts, build_fake_app
from xbot.sim.core.clock import SimClock
from xbot.sim.core.world import UnknownUserError


class ToyFake:
    """Notes posted by users; a write endpoint and a read endpoint."""

    def __init__(self, clock: SimClock | None = None) -> None:
        self.notes: list[dict[str, Any]] = []
        self.resets = 0
        self.parts = FakeParts(clock=clock or SimClock(speed=0))
        routes = [
            Route("/notes", self.add_note, methods=["POST"]),
            Route("/notes", self.read_notes, methods=["GET"]),
            Route("/notes/{note_id}", self.read_notes, methods=["GET"]),
        ]
        self.app: ASGIApp = build_fake_app(
            routes, backend=self, parts=self.parts, responder=self.status_response
        )

    async def add_note(self, request: Request) -> Response:
        body = await request.json()
        self.notes.append({"id": str(len(self.notes) + 1), "author": "ann", "text": body["text"]})
        return JSONResponse({"id": self.notes[-1]["id"]}, status_code=201)

    async def read_notes(self, request: Request) -> Response:
        return JSONResponse({"notes": self.notes})

    def status_response(self, status: int, scope: Scope) -> Response:
        return JSONResponse({"toy_error": status, "path": scope["path"]}, status_code=status)

    # SimBackend
    def create_post(
        self, *, author: str, text: str, in_reply_to: str | None, quote_of: str | None
    ) -> Mapping[str, Any]:
        if author == "nobody":
            raise UnknownUserError("no user @nobody")
        note = {
            "id": str(len(self.notes) + 1),
            "author": author,
            "text": text,
            "in_reply_to": in_reply_to,
            "created_at": self.parts.clock.now().isoformat(),
        }
        self.notes.append(note)
        return note

    def list_posts(self, author: str) -> Sequence[Mapping[str, Any]]:
        return [note for note in self.notes if note["author"] == author]

    def reset(self) -> None:
        self.notes.clear()
        self.resets += 1

    def describe(self) -> Mapping[str, Any]:
        return {"platform": "toy", "notes": len(self.notes)}
