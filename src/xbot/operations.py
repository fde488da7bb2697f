"""What an operator does to a running system, and the reads beside it: one module for every door.

The CLI, the demo and the console call these; each action owns its transaction and records one
event naming who acted (`Actor.name`, the event's `by`) and through which door (`Actor.via`, the
event's component).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Engine

from xbot.domain.audit import NewEvent
from xbot.domain.errors import ConfigError
from xbot.domain.ghosts import GhostRecord
from xbot.domain.readiness import DeclaredSha, is_sha, resolve_declared_sha
from xbot.events import EventType
from xbot.provenance import git_commit
from xbot.store.engine import translated_errors
from xbot.store.migrate import current_revision, upgrade, verify_schema
from xbot.store.queries import controls, status, usage
from xbot.store.queries.common import database_now
from xbot.store.queries.events import append_event
from xbot.store.queries.trace import Trace, find_trace, newest_post_id
from xbot.store.revisions import head_revision
from xbot.store.sql import SqlStore


@dataclass(frozen=True, kw_only=True, slots=True)
class Actor:
    """Who acts, and through which door; every event an action records names both."""

    #: the person or job responsible (`--by`)
    name: str
    #: the component the event records: "cli", "web" or "demo"
    via: str = "cli"


@dataclass(frozen=True, kw_only=True, slots=True)
class Migration:
    """The schema revision before and after `migrate`."""

    before: str | None
    after: str


@dataclass(frozen=True, kw_only=True, slots=True)
class AcknowledgedGhost:
    """A ghost an operator vouched for: certification stops counting it."""

    ghost_id: int
    post_id: str
    account_id: int
    acknowledged_by: str


def migrate(engine: Engine, secret_key: SecretStr | None = None) -> Migration:
    """Bring the schema to the newest revision (the key encrypts saved sessions)."""
    before = current_revision(engine)
    upgrade(engine, secret_key)
    return Migration(before=before, after=head_revision())


def pause(engine: Engine, actor: Actor, *, drain: bool = False) -> None:
    """Turn the kill switch on: every worker stops claiming permits within one poll.

    With `drain`, the post job also expires pending permits instead of keeping them.
    """
    _set_kill_switch(engine, actor, on=True, drain=drain)


def resume(engine: Engine, actor: Actor) -> None:
    """Turn the kill switch off and lift every stop set by X's refusal to be paid."""
    _set_kill_switch(engine, actor, on=False, drain=False)


def _set_kill_switch(engine: Engine, actor: Actor, *, on: bool, drain: bool) -> None:
    verify_schema(engine)
    value = {"on": on, "drain": drain}
    with translated_errors(), engine.begin() as connection:
        now = database_now(connection)
        controls.set_control(
            connection, controls.KILL_SWITCH, value, now=now, updated_by=actor.name
        )
        lifted = {} if on else {"cost_stops_lifted": usage.clear_cost_stops(connection)}
        append_event(
            connection,
            "kill_switch_on" if on else "kill_switch_off",
            {**value, "by": actor.name, **lifted},
            now=now,
            component=actor.via,
            severity="warning" if on else "info",
        )


def mark_deployment(
    engine: Engine, actor: Actor, sha: str, *, note: str | None = None, checkout: Path | None = None
) -> DeclaredSha:
    """Declare the active deployment; workers on another SHA stop posting (the fence).

    A unique prefix is stored as the full SHA a worker booted with (or `git rev-parse` gives in
    `checkout`, the working directory by default); otherwise the prefix is stored, and the
    fence compares by prefix. Raises ConfigError for a value that is not a SHA or is ambiguous.
    """
    given = sha.strip()
    if not is_sha(given):
        hint = "give 7 to 64 hex digits, e.g. `git rev-parse HEAD`"
        raise ConfigError(f"--sha {given!r} is not a git SHA: {hint}")
    verify_schema(engine)
    store = SqlStore(engine)
    directory = checkout or Path.cwd()
    declared = resolve_declared_sha(
        given, store.workers.booted_shas(given), lambda: git_commit(given, directory)
    )
    data: dict[str, str | None] = {"sha": declared.sha, "given": given, "by": actor.name}
    data |= {"source": declared.source, "note": note}
    event = NewEvent(event_type=EventType.DEPLOYMENT_MARKED, data=data, component=actor.via)
    store.accounts.mark_deployment(declared.sha, actor.name, note, event)
    return declared


def acknowledge_ghost(
    engine: Engine, actor: Actor, identifier: str, *, reason: str = ""
) -> AcknowledgedGhost | None:
    """Acknowledge a ghost by its id or its post id (`reason`: why); None when there is none."""

    def acknowledged(ghost: GhostRecord) -> NewEvent:
        return NewEvent(
            event_type=EventType.GHOST_ACKNOWLEDGED,
            data={
                "ghost_id": ghost.ghost_id,
                "post_id": ghost.post_id,
                "by": actor.name,
                "reason": reason,
            },
            component=actor.via,
            account_id=ghost.account_id,
        )

    ghost = SqlStore(engine).ghosts.acknowledge(identifier, actor.name, acknowledged)
    if ghost is None:
        return None
    return AcknowledgedGhost(
        ghost_id=ghost.ghost_id,
        post_id=ghost.post_id,
        account_id=ghost.account_id,
        acknowledged_by=str(ghost.acknowledged_by),
    )


def list_ghosts(engine: Engine, *, include_acknowledged: bool = False) -> list[dict[str, Any]]:
    """Return ghosts, newest first, with the account's handle: unacknowledged ones by default."""
    ghosts = SqlStore(engine).ghosts.ghosts(include_acknowledged=include_acknowledged)
    return [ghost.as_row() for ghost in ghosts]


def trace(engine: Engine, identifier: str) -> Trace | None:
    """Return what xbot recorded about the reply any id of its chain names, or None."""
    with translated_errors(), engine.connect() as connection:
        return find_trace(connection, identifier)


def newest_post_trace(engine: Engine) -> Trace | None:
    """Return the trace of the newest published post (read back first), or None when none."""
    with translated_errors(), engine.connect() as connection:
        post_id = newest_post_id(connection)
        return find_trace(connection, post_id) if post_id else None


def pipeline_counts(engine: Engine) -> dict[str, int]:
    """Count each stage of the pipeline, for progress displays."""
    with translated_errors(), engine.connect() as connection:
        return status.pipeline_counts(connection)


def reply_latencies(engine: Engine) -> list[float]:
    """Return seconds from mention to reply for the newest published replies."""
    with translated_errors(), engine.connect() as connection:
        return status.reply_latencies(connection)
