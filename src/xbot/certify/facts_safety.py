"""The facts of checks G (ghosts) and H (stuck and duplicate permits)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime

from xbot.certify.rows import Row, count, moment, text


@dataclass(frozen=True, kw_only=True, slots=True)
class Ghost:
    """A post on an account that no permit made, not acknowledged (G's row)."""

    id: int
    handle: str
    post_id: str
    classification: str | None = None
    detected_at: datetime | None = None
    text: str | None = None

    @classmethod
    def from_row(cls, row: Row) -> Ghost:
        """Read an `unacknowledged_ghosts` row."""
        return cls(
            id=count(row, "id"),
            handle=str(row["handle"]),
            post_id=str(row["post_id"]),
            classification=text(row, "classification"),
            detected_at=moment(row, "detected_at"),
            text=text(row, "text"),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class GhostFacts:
    """G: the accounts scanned, those not scanned in the window, ghosts and blocked attempts."""

    #: every enabled account in scope, by handle
    accounts: tuple[str, ...] = ()
    #: of them, those without a scan in the window
    unscanned: tuple[str, ...] = ()
    ghosts: tuple[Ghost, ...] = ()
    #: refused posting attempts by event type
    blocked: Mapping[str, int] = field(default_factory=dict)

    def as_data(self) -> dict[str, object]:
        """Return the facts as the report's JSON keeps them."""
        return {
            "accounts": list(self.accounts),
            "unscanned": list(self.unscanned),
            "ghosts": [asdict(ghost) for ghost in self.ghosts],
            "blocked": dict(self.blocked),
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class Duplicate:
    """A target the account answered more than once, bot and ghost replies together (H's row)."""

    account_id: int
    target_post_id: str
    answers: int
    used_permits: int
    ghost_replies: int
    first_permit_id: str | None = None
    last_permit_id: str | None = None

    @classmethod
    def from_row(cls, row: Row) -> Duplicate:
        """Read a `duplicate_posts` row."""
        return cls(
            account_id=count(row, "account_id"),
            target_post_id=str(row["target_post_id"]),
            answers=count(row, "answers"),
            used_permits=count(row, "used_permits"),
            ghost_replies=count(row, "ghost_replies"),
            first_permit_id=text(row, "first_permit_id"),
            last_permit_id=text(row, "last_permit_id"),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class StuckFacts:
    """H: permits stuck or still reconciling, targets answered twice, reviewed posts."""

    stuck: tuple[str, ...] = ()
    reconciling: tuple[str, ...] = ()
    duplicates: tuple[Duplicate, ...] = ()
    reviewed_posts: int = 0
    #: reviewed posts whose text is not the approved text (xbot.certify.check_review)
    review_violations: tuple[str, ...] = ()

    def as_data(self) -> dict[str, object]:
        """Return the facts as the report's JSON keeps them."""
        return {
            "stuck": list(self.stuck),
            "reconciling": list(self.reconciling),
            "duplicates": [asdict(duplicate) for duplicate in self.duplicates],
            "reviewed_posts": self.reviewed_posts,
            "review_violations": list(self.review_violations),
        }
