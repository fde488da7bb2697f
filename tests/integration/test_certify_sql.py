"""The SQL a report shows is the SQL that ran: pasted as shown, it returns the same rows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine

from certify_world import OLD_SHA, World, certify, healthy, minutes
from xbot.certify.evidence import placeholder_names, plain_value


def test_every_inlined_statement_returns_the_rows_the_report_shows(engine: Engine) -> None:
    world = World(engine)
    account_id = healthy(world)
    world.ghost(account_id, world.now - minutes(3))
    world.boot("w-stale", OLD_SHA, world.now - minutes(1))
    for options in ({}, {"account": "acme"}):
        report = certify(engine, **options)
        evidence = [item for check in report.checks for item in check.evidence]
        assert len(evidence) >= 12
        for item in evidence:
            assert not placeholder_names(item.sql_inline), item.name
            with engine.connect() as connection:
                rows = connection.exec_driver_sql(item.sql_inline).mappings().all()
            assert len(rows) == len(item.rows), item.name
            for shown, pasted in zip(item.rows, rows, strict=True):
                assert list(pasted) == list(item.columns), item.name
                assert same(shown, pasted), (item.name, shown, dict(pasted))


def same(shown: Mapping[str, Any], pasted: Mapping[str, Any]) -> bool:
    # the driver hands back raw values (text timestamps on SQLite, Decimal sums on PostgreSQL)
    return {column: plain_value(column, value) for column, value in pasted.items()} == shown
