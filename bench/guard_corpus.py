"""How long the content guard takes per reply, on hostile and on ordinary replies.

The guard runs once per candidate in the schedule job, so a few milliseconds per reply is
plenty; this prints the median and the 99th percentile per platform over the fake model's
seeded hostile variants and tests/data/ordinary_replies.txt, and how many of each it refused.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

from xbot.domain.guard import Accepted, GuardPolicy, check_reply
from xbot.domain.instructions import system_message
from xbot.domain.policy import PlatformName
from xbot.sim.openai.attacks import HOSTILE, AttackContext, attack

KEY = "sk-sim-Zq3xW9rT2yU8iO1pA6sD4fG7hJ5kL0mN"
ORDINARY = Path(__file__).parents[1] / "tests" / "data" / "ordinary_replies.txt"


def corpora(variants: int) -> tuple[list[str], list[str]]:
    """Return (hostile, ordinary) replies for the author `ann`."""
    context = AttackContext(
        topic="python packaging",
        author="ann",
        system=system_message("You are Ada.", max_characters=240),
        leak=KEY,
    )
    hostile = [
        attack(name, random.Random(f"{name}:{number}"), context)
        for name in HOSTILE
        for number in range(variants)
    ]
    lines = ORDINARY.read_text(encoding="utf-8").splitlines()
    ordinary = [line.replace("{author}", "ann") for line in lines if line and line[0] != "#"]
    return hostile, ordinary


def measure(replies: list[str], platform: PlatformName) -> tuple[list[float], int]:
    """Return the guard's time per reply in milliseconds, and how many it accepted."""
    policy = GuardPolicy(platform=platform, secret_values=(KEY,))
    timings, accepted = [], 0
    for reply in replies:
        started = time.perf_counter()
        verdict = check_reply(reply, target_author="ann", recent_replies=(), policy=policy)
        timings.append((time.perf_counter() - started) * 1000)
        accepted += isinstance(verdict, Accepted)
    return timings, accepted


def main() -> None:
    """Print per-platform timings for both corpora."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--variants", type=int, default=40, help="hostile variants per class")
    args = parser.parse_args()
    hostile, ordinary = corpora(args.variants)
    for platform in PlatformName:
        for name, replies in (("hostile", hostile), ("ordinary", ordinary)):
            timings, accepted = measure(replies, platform)
            p99 = statistics.quantiles(timings, n=100)[98]
            print(
                f"{platform.value:<9} {name:<9} {len(replies):>5} replies  "
                f"median {statistics.median(timings):6.2f} ms  p99 {p99:6.2f} ms  "
                f"accepted {accepted}"
            )


if __name__ == "__main__":
    main()
