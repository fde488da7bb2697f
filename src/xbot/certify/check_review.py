"""Part of check H: every reviewed post is exactly the text a person approved (issue 14).

For every USED permit since the deployment that needed an approval (made for review, or of an
account whose `review` is required, or llm_only and written by the llm generator), the approved
hash must be present and equal the SHA-256 of the posted text. A post without one, or whose
text is not the approved text, fails H for good: it went out without the person's approval.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from xbot.certify.context import Context
from xbot.certify.evidence import QueryRunner
from xbot.certify.model import Evidence


@dataclass(frozen=True, kw_only=True, slots=True)
class ReviewProof:
    """The reviewed posts since the deployment, and the ones not bound to their approval."""

    evidence: Evidence
    violations: list[str]

    @property
    def reviewed(self) -> int:
        """Return how many posts needed an approval."""
        return len(self.evidence.rows)


def review_proof(run: QueryRunner, context: Context) -> ReviewProof:
    """Compare each reviewed post's text hash with its approved hash."""
    approvals = run("review_approvals", since=context.since_deploy(), account=context.account)
    problems = [_problem(row) for row in approvals.rows]
    return ReviewProof(
        evidence=approvals, violations=[problem for problem in problems if problem is not None]
    )


def _problem(row: Mapping[str, Any]) -> str | None:
    approved = row.get("approved_sha256")
    if not approved:
        return f"{row['account']} posted permit {row['permit_id']} without an approval"
    from xbot.domain.review import content_sha256  # noqa: PLC0415 - only reviewed posts need it

    posted = content_sha256(str(row["reply_text"]))
    if posted != approved:
        return (
            f"{row['account']} posted permit {row['permit_id']} whose text hash {posted[:16]} "
            f"is not the approved {approved[:16]}"
        )
    return None
