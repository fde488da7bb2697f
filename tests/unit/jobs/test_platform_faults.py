"""Which job failures block an account: refused credentials and a misconfigured endpoint only."""

from __future__ import annotations

import pytest

from xbot.domain.account_state import BlockReason
from xbot.domain.errors import (
    AuthFailed,
    ConfigError,
    PlatformMisconfigured,
    RateLimited,
    Transient,
)
from xbot.jobs.platform_faults import fault_reason


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (AuthFailed("Unauthorized", status=401), BlockReason.CREDENTIALS_REFUSED),
        (AuthFailed("Forbidden", status=403), BlockReason.CREDENTIALS_REFUSED),
        (PlatformMisconfigured(), BlockReason.PLATFORM_MISCONFIGURED),
        (ConfigError("set the environment variable X"), BlockReason.PLATFORM_MISCONFIGURED),
        (RateLimited(), None),
        (Transient(), None),
        (RuntimeError("bug"), None),
        (None, None),
    ],
)
def test_fault_reason(error: BaseException | None, reason: BlockReason | None) -> None:
    assert fault_reason(error) is reason
