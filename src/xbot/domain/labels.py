"""Automated-account labels: each platform's "this is a bot" mark, and whether ours carry it.

- Bluesky: the `bot` self-label on the profile record (`app.bsky.actor.profile/self`);
  platform-facts §2.7, §5.4 (the app shows a badge since 2026-03).
- Mastodon: the account's `bot` flag (verify_credentials / update_credentials); §3.5, §5.5.
- X: the "Automated" label exists only in X's settings, the API does not show it (§5.2), so the
  operator attests it with `x.automated_label_attested`; a live X account without the
  attestation is blocked `label_not_attested`.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from urllib.parse import urlsplit

#: host names of the fakes (`xbot.sim`): an account pointed at them is not live
SIMULATED_SUFFIX = ".sim"


class LabelState(StrEnum):
    """What the last label check found for one account."""

    VERIFIED = "verified"  #: the platform shows the label
    APPLIED = "applied"  #: it was missing; xbot wrote it and read it back
    MISSING = "missing"  #: the platform does not show it (`labels.apply` writes it)
    ATTESTED = "attested"  #: X: the operator attests the "Automated" label
    NOT_ATTESTED = "not_attested"  #: X: no attestation; a live account cannot post
    UNREADABLE = "unreadable"  #: the platform call failed; the check says why

    @property
    def ok(self) -> bool:
        """Return True when the account is known to carry its label."""
        return self in {LabelState.VERIFIED, LabelState.APPLIED, LabelState.ATTESTED}


def x_label_state(*, attested: bool) -> LabelState:
    """Return an X account's label state: the attestation is all xbot can know."""
    return LabelState.ATTESTED if attested else LabelState.NOT_ATTESTED


def is_live(base_url: str) -> bool:
    """Return True unless the account talks to a local fake (loopback or a `.sim` host)."""
    host = (urlsplit(base_url).hostname or "") if base_url else ""
    if not host:
        return True  # the platform's public default
    if host == "localhost" or host.endswith(SIMULATED_SUFFIX):
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True
