"""Where the test PostgreSQL lives; shared by every test folder."""

from __future__ import annotations

import os

POSTGRES_URL = os.environ.get(
    "XBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
#: `.ci/run` sets it, so CI can never skip the PostgreSQL tests silently
REQUIRE_POSTGRES = os.environ.get("XBOT_REQUIRE_POSTGRES") == "1"
#: one template per test session, so concurrent sessions on one server never drop each other's
TEMPLATE_DB = f"xbot_test_template_{os.getpid()}"
