"""Recording an outcome on SQLite and PostgreSQL: all of it at the claim's fence, or nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from posting_rows import T0, add_account, add_permit, candidate_status, events, load_permit
from xbot.domain.candidates import CandidateStatus
from xbot.domain.errors import LeaseLost
from xbot.domain.permits import Accepted, Permit, PermitStatus, transition
from xbot.store.queries.events import NewEvent
from xbot.store.queries.records import CandidateMark, record_outcome

POSTED = CandidateMark(status=CandidateStatus.REPLIED)


def _posting(engine: Engine) -> tuple[Permit, int]:
    account_id = add_account(engine)
    rows = add_permit(
        engine, account_id, status="POSTING", fence=1, attempts=1, claimed_by="w1",
        lease_until=T0 + timedelta(minutes=1), claimed_at=T0,
    )  # fmt: skip
    return load_permit(engine, rows.permit_id), rows.candidate_id


def _event(permit: Permit) -> NewEvent:
    return NewEvent(
        event_type="reply_posted",
        data={"permit_id": permit.permit_id, "post_id": "77"},
        now=T0,
        account_id=permit.account_id,
        worker_id="w1",
    )


def test_the_record_writes_the_permit_the_candidate_and_the_event(engine: Engine) -> None:
    permit, candidate_id = _posting(engine)
    after = transition(permit, Accepted(post_id="77"), T0)
    assert isinstance(after, Permit)
    with engine.begin() as connection:
        record_outcome(connection, permit, after, POSTED, _event(permit))
    assert load_permit(engine, permit.permit_id) == after
    assert candidate_status(engine, candidate_id) == CandidateStatus.REPLIED.value
    [event] = events(engine, "reply_posted")
    assert (event["permit_id"], event["post_id"]) == (permit.permit_id, "77")


def test_a_record_at_an_old_fence_writes_nothing(engine: Engine) -> None:
    permit, candidate_id = _posting(engine)
    stale = replace(permit, fence=0)
    after = transition(stale, Accepted(post_id="77"), T0)
    assert isinstance(after, Permit)
    with pytest.raises(LeaseLost), engine.begin() as connection:
        record_outcome(connection, stale, after, POSTED, _event(permit))
    assert load_permit(engine, permit.permit_id).status is PermitStatus.POSTING
    assert candidate_status(engine, candidate_id) == "selected"
    assert events(engine, "reply_posted") == []
