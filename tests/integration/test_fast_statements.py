"""Prepared statements (xbot.store.queries.fast) bind, run and read exactly as SQLAlchemy does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, bindparam, literal_column, select

from posting_rows import T0, add_account, add_permit
from xbot.domain.errors import StoreError
from xbot.store.engine import translated_errors
from xbot.store.queries.fast import Prepared, run
from xbot.store.queries.permits import REPLY_COLUMNS, REPLY_SOURCE, claimable
from xbot.store.tables import post_attempts, system_events


def test_a_prepared_read_returns_the_rows_and_types_sqlalchemy_returns(engine: Engine) -> None:
    account_id = add_account(engine)
    for minutes in (3, 2, 1):
        add_permit(engine, account_id, now=T0 - timedelta(minutes=minutes))
    add_permit(engine, account_id, status="USED", actual_tweet_id="9")
    statement = (
        select(*REPLY_COLUMNS)
        .select_from(REPLY_SOURCE)
        .where(claimable(account_id, T0), post_attempts.c.status.in_(["PENDING", "POSTING"]))
        .order_by(post_attempts.c.created_at)
    )
    with engine.begin() as connection:
        expected = [dict(row) for row in connection.execute(statement).mappings()]
        found = run(connection, Prepared(statement), {}).rows
    assert len(found) == 3
    assert found == expected
    assert found[0]["created_at"].tzinfo is not None


def test_a_prepared_write_counts_its_rows_and_a_driver_error_is_translated(
    engine: Engine,
) -> None:
    account_id = add_account(engine)
    rows = add_permit(engine, account_id)
    move = Prepared(
        post_attempts.update()
        .where(post_attempts.c.permit_id == rows.permit_id)
        .values(status="FAILED", updated_at=T0)
    )
    with engine.begin() as connection:
        assert run(connection, move, {}).rowcount == 1
    duplicate = Prepared(system_events.insert().values(id=1, event_type="x", created_at=T0))
    with engine.begin() as connection:
        run(connection, duplicate, {})
    with pytest.raises(StoreError), translated_errors(), engine.begin() as connection:
        run(connection, duplicate, {})


def test_a_percent_sign_and_a_repeated_parameter_read_as_sqlalchemy_reads_them(
    engine: Engine,
) -> None:
    """On psycopg the statement runs with `$n` placeholders: `%%` and a reused name survive."""
    account_id = add_account(engine)
    for minutes in (2, 1):
        add_permit(engine, account_id, now=T0 - timedelta(minutes=minutes))
    since = bindparam("since", type_=post_attempts.c.created_at.type)
    statement = (
        select(post_attempts.c.permit_id, literal_column("'100%'").label("share"))
        .where(
            post_attempts.c.permit_id.like("%"),
            post_attempts.c.created_at >= since,
            since <= post_attempts.c.created_at,
        )
        .order_by(post_attempts.c.permit_id)
    )
    prepared = Prepared(statement)
    params = {"since": T0 - timedelta(hours=1)}
    with engine.begin() as connection:
        expected = [dict(row) for row in connection.execute(statement, params).mappings()]
        found = run(connection, prepared, params).rows
    assert len(found) == 2
    assert found == expected
    assert found[0]["share"] == "100%"
    compiled = prepared.compiled(engine.dialect)
    if engine.dialect.name == "postgresql":
        assert compiled.raw
        assert "$1" in compiled.sql
        assert "%(" not in compiled.sql
        assert compiled.order == ("permit_id_1", "since")  # one `$n` per name
