"""`xbot certify`: checks A to H of DESIGN §8 as SQL on the live database, with a verdict."""

from xbot.certify.model import (
    EXIT_COULD_NOT_RUN,
    CertifyOptions,
    CheckResult,
    Evidence,
    Report,
    Status,
    Verdict,
)
from xbot.certify.run import run_certification

__all__ = [
    "EXIT_COULD_NOT_RUN",
    "CertifyOptions",
    "CheckResult",
    "Evidence",
    "Report",
    "Status",
    "Verdict",
    "run_certification",
]
