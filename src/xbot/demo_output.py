"""What `xbot demo` prints besides the progress table.

The table's legend, why it acknowledges its own ghost, and the certification as a summary in
the terminal with the full report in a file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from xbot.certify.markdown import render_markdown, render_summary
from xbot.certify.model import Report

#: the progress table's columns (operations.pipeline_counts), in the words of the glossary
LEGEND = {
    "fetched": "candidates: posts fetched that xbot might answer",
    "queued": "candidates waiting for the scheduler",
    "permits": "permits: one per decision to reply with one exact text",
    "posted": "permits USED: the reply is on the platform, with its id",
    "reconciled": "permits settled by reading the account's own posts back",
    "unknown": "permits whose outcome is not known yet (read-back pending)",
    "posting": "permits being published right now",
    "in review": "permits waiting for a person to approve, edit or reject the text",
    "ghosts": "posts on a bot's account that no permit explains",
}


def print_legend(console: Console) -> None:
    """Print what each column of the progress table counts."""
    legend = Table(title="what the columns count", show_header=False, box=None, padding=(0, 2))
    for column, meaning in LEGEND.items():
        legend.add_row(column, meaning)
    console.print(legend)


def explain_acknowledgement(console: Console, post_ids: list[str]) -> None:
    """Say that the demo acknowledged the ghost it injected itself, and why."""
    console.print()
    for post_id in post_ids:
        console.print(
            f"acknowledged the ghost the demo injected itself (post {post_id}): it was posted "
            "behind xbot's back on purpose, to show the ghost scan finds it. Check G fails on "
            "any unacknowledged ghost, so any other ghost would still fail the certification.",
            markup=False,
            soft_wrap=True,
        )


def report_path(platform: str) -> Path:
    """Return a new file for the full report, outside the demo's temporary directory."""
    descriptor, name = tempfile.mkstemp(prefix=f"xbot-demo-{platform}-", suffix=".md")
    os.close(descriptor)
    return Path(name)


def print_certification(console: Console, report: Report, path: Path, *, full: bool) -> None:
    """Write the full report to `path`; print the summary (or all of it with `full`)."""
    text = render_markdown(report)
    path.write_text(text, encoding="utf-8")
    # written as is: a rich print would wrap the SQL at the terminal's width
    console.file.write("\n" + (text if full else render_summary(report)) + "\n")
    console.file.flush()


def latency_line(seconds: list[float]) -> str:
    """Return the demo's mention → reply line: how many replies, p50, p95 and max."""
    if not seconds:
        return "mention → reply: no reply was posted"
    ordered = sorted(seconds)

    def rank(share: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]

    return (
        f"mention → reply: {len(ordered)} replies, p50 {rank(0.5):.1f} s, "
        f"p95 {rank(0.95):.1f} s, max {ordered[-1]:.1f} s"
    )
