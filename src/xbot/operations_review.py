"""Review and shadow-mode actions, shared by the CLI, the demo and the console (issue 14).

Each action is one transaction on the database clock and one event naming who acted (`by`) and
through which door (the event's component). Two reviewers acting on one permit at once: the
first write takes the permit over (its fence moves), the second finds it changed and gets a
ReviewError naming what happened; nothing is written twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from xbot.config import AccountSettings, Settings
from xbot.domain.account_mode import AccountMode, effective_mode, mode_control
from xbot.domain.candidates import CandidateStatus
from xbot.domain.drafts import NEAR_DUPLICATE_WINDOW
from xbot.domain.errors import LeaseLost, ReviewError
from xbot.domain.guard import Accepted, GuardPolicy, check_reply
from xbot.domain.permits import ForbiddenTransition, Permit, PermitReply
from xbot.domain.review import (
    REVIEW_REJECTED,
    Approve,
    Edit,
    Reject,
    ReviewAction,
    content_sha256,
    review,
)
from xbot.operations import Actor
from xbot.store.engine import translated_errors
from xbot.store.queries import controls, decisions, reviews
from xbot.store.queries import permits as permit_queries
from xbot.store.queries.common import database_now
from xbot.store.queries.events import append_event


@dataclass(frozen=True, kw_only=True, slots=True)
class Reviewed:
    """What a review action did: the permit after it, and the text it approved (if any)."""

    permit: Permit
    text: str


def list_reviews(engine: Engine) -> list[dict[str, Any]]:
    """Return the permits waiting for review, oldest first, with text, hash and deadline."""
    with translated_errors(), engine.connect() as connection:
        return [review_view(row) for row in reviews.awaiting_review(connection)]


def show_review(engine: Engine, permit_id: str) -> dict[str, Any]:
    """Return one permit's review view; ReviewError when there is no such permit."""
    with translated_errors(), engine.connect() as connection:
        row = reviews.review_row(connection, permit_id)
    if row is None:
        raise ReviewError(f"no permit {permit_id!r}: see `xbot review list`")
    return review_view(row)


def review_view(row: Mapping[str, Any]) -> dict[str, Any]:
    """Return what a reviewer sees of a permit: its exact text and the hash an approval binds."""
    permit = Permit.from_row(row)
    return {
        "permit_id": permit.permit_id,
        "decision_id": permit.decision_id,
        "account": f"{row['platform']}:{row['handle']}",
        "status": permit.status.value,
        "text": row["reply_text"],
        "text_sha256": content_sha256(row["reply_text"]),
        "generator": row["generator"],
        "in_reply_to": {"post_id": row["target_post_id"], "author": row["author_handle"],
                        "text": row["target_text"]},
        "created_at": _iso(permit.created_at),
        "review_deadline": _iso(permit.review_deadline),
        "approved_sha256": permit.approved_sha256,
        "approved_by": permit.approved_by,
        "approved_at": _iso(permit.approved_at),
        "failure_reason": permit.failure_reason,
    }  # fmt: skip


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def approve(engine: Engine, actor: Actor, permit_id: str, sha256: str | None = None) -> Reviewed:
    """Approve the permit's exact text (PENDING); `sha256`, when given, must be that text's hash.

    The approval binds the hash of the text as stored now; a text changed since the permit was
    made is refused (its hash is not the permit's content hash).
    """
    with translated_errors(), engine.begin() as connection:
        reply = _reply(connection, permit_id)
        seen = content_sha256(reply.reply_text)
        if sha256 is not None and sha256.lower() != seen:
            raise ReviewError(
                f"permit {permit_id} now reads a text with hash {seen[:16]}, not {sha256[:16]}: "
                "show it again before approving"
            )
        action = Approve(by=actor.name, seen_sha256=seen)
        after = _apply(connection, actor, reply, action, "review_approved")
    return Reviewed(permit=after, text=reply.reply_text)


def edit(engine: Engine, settings: Settings, actor: Actor, permit_id: str, text: str) -> Reviewed:
    """Replace the text (guarded like a generated one) and approve the new text in one act."""
    with translated_errors(), engine.begin() as connection:
        reply = _reply(connection, permit_id)
        account = _account_settings(connection, settings, reply.permit.account_id)
        guarded = _guard(connection, settings, account, reply, text)
        reviews.replace_text(connection, reply, guarded)
        action = Edit(by=actor.name, new_sha256=content_sha256(guarded))
        extra = {"previous_sha256": reply.permit.content_sha256}
        after = _apply(connection, actor, reply, action, "review_edited", extra=extra)
    return Reviewed(permit=after, text=guarded)


def reject(engine: Engine, actor: Actor, permit_id: str, reason: str) -> Reviewed:
    """Reject the reply with a reason: FAILED `review_rejected`, its candidate skipped."""
    if not reason.strip():
        raise ReviewError("give a reason: `--reason TEXT`")
    with translated_errors(), engine.begin() as connection:
        reply = _reply(connection, permit_id)
        action = Reject(by=actor.name, reason=reason.strip())
        after = _apply(
            connection, actor, reply, action, "review_rejected", extra={"reason": reason}
        )
        permit_queries.mark_candidate(
            connection, after.decision_id, CandidateStatus.SKIPPED, REVIEW_REJECTED
        )
    return Reviewed(permit=after, text=reply.reply_text)


def _reply(connection: Connection, permit_id: str) -> PermitReply:
    reply = permit_queries.permit_reply(connection, permit_id)
    if reply is None:
        raise ReviewError(f"no permit {permit_id!r}: see `xbot review list`")
    return reply


def _apply(  # noqa: PLR0913 - the action, where it lands, and what its event adds
    connection: Connection,
    actor: Actor,
    reply: PermitReply,
    action: ReviewAction,
    event_type: str,
    *,
    extra: Mapping[str, Any] | None = None,
) -> Permit:
    now = database_now(connection)
    permit = reply.permit
    after = review(permit, action, now)
    if isinstance(after, ForbiddenTransition):
        raise ReviewError(f"permit {permit.permit_id} cannot be reviewed: {after.reason}")
    try:
        permit_queries.write_transition(connection, permit, after)
    except LeaseLost:
        raise ReviewError(
            f"permit {permit.permit_id} changed while you acted (another reviewer or the "
            "scheduler took it): see `xbot review show`"
        ) from None
    data = {
        "permit_id": permit.permit_id,
        "decision_id": permit.decision_id,
        "by": actor.name,
        "status": after.status.value,
        "approved_sha256": after.approved_sha256,
        **(extra or {}),
    }
    append_event(connection, event_type, data, now=now, component=actor.via,
                 account_id=permit.account_id)  # fmt: skip
    return after


def _account_settings(
    connection: Connection, settings: Settings, account_id: int
) -> AccountSettings:
    row = reviews.account_row(connection, account_id)
    for account in settings.accounts:
        if (account.platform, account.handle) == (row.platform, row.handle):
            return account
    return AccountSettings.model_validate(row.settings)


def _guard(
    connection: Connection,
    settings: Settings,
    account: AccountSettings,
    reply: PermitReply,
    text: str,
) -> str:
    now = database_now(connection)
    recent = decisions.recent_reply_texts(
        connection, reply.permit.account_id, now - NEAR_DUPLICATE_WINDOW
    )
    verdict = check_reply(
        text,
        target_author=reply.target_author_handle,
        recent_replies=[item for item in recent if item != reply.reply_text],
        policy=GuardPolicy.from_settings(account, secret_values=settings.secret_values()),
    )
    if not isinstance(verdict, Accepted):
        raise ReviewError(
            f"the edited text is refused by the guard ({verdict.skip_reason}): {verdict.detail}"
        )
    return verdict.text


def set_mode(engine: Engine, actor: Actor, account_key: str, mode: str) -> str:
    """Switch an account between live and shadow while workers run; return the previous mode.

    The switch is a row in `controls`, read in every claim's statement: no restart is needed.
    """
    wanted = AccountMode(mode)
    with translated_errors(), engine.begin() as connection:
        row = reviews.account_by_key(connection, account_key)
        name = mode_control(int(row.id))
        configured = AccountSettings.model_validate(row.settings).mode
        before = effective_mode(configured, controls.get_control(connection, name))
        now = database_now(connection)
        controls.set_control(connection, name, {"mode": wanted.value}, now=now,
                             updated_by=actor.name)  # fmt: skip
        data = {"account": account_key, "from": before.value, "to": wanted.value, "by": actor.name}
        append_event(connection, "account_mode_changed", data, now=now, component=actor.via,
                     account_id=int(row.id), severity="warning")  # fmt: skip
    return before.value
