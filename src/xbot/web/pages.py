"""The console's pages and actions, as two lists: adding one is adding an entry (and a template).

A page `name` is served as HTML at `/console/<name>` and as JSON at `/api/v1/<name>`; an action
`name` is a POST to `/console/actions/<name>` (a form, answered by a redirect) or to
`/api/v1/actions/<name>` (JSON or a form, answered with JSON).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from xbot.web.ports import Console, EventFilter, ReplyFilter
from xbot.web.svg import series_chart

#: the largest page a client may ask for
MAX_LIMIT = 200


class NotFound(LookupError):
    """The page's subject does not exist (answered with 404)."""


class BadRequest(ValueError):
    """A query or form value the console cannot use (answered with 400 and the message)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ConsolePage:
    """One page: its name (URL), title, template and how it reads its data."""

    name: str
    title: str
    read: Callable[[Console, Mapping[str, str]], dict[str, Any]]
    #: shown in the navigation bar
    in_menu: bool = True

    @property
    def template(self) -> str:
        """Return the Jinja2 template's file name."""
        return f"{self.name}.html"


@dataclass(frozen=True, kw_only=True, slots=True)
class ConsoleAction:
    """One operator action: its name (URL), what it does, and the page a form returns to."""

    name: str
    run: Callable[[Console, Mapping[str, str]], dict[str, Any]]
    back: str


def _text(query: Mapping[str, str], key: str, limit: int = 200) -> str | None:
    value = (query.get(key) or "").strip()
    if len(value) > limit:
        raise BadRequest(f"{key} is longer than {limit} characters")
    return value or None


def _number(query: Mapping[str, str], key: str, default: int | None = None) -> int | None:
    value = (query.get(key) or "").strip()
    if not value:
        return default
    if not value.isdigit() or len(value) > 18:
        raise BadRequest(f"{key} must be a whole number, not {value[:40]!r}")
    return int(value)


def _limit(query: Mapping[str, str], default: int) -> int:
    return max(1, min(_number(query, "limit", default) or default, MAX_LIMIT))


def read_overview(console: Console, _query: Mapping[str, str]) -> dict[str, Any]:
    """Return the Overview."""
    return console.overview()


def read_pipeline(console: Console, query: Mapping[str, str]) -> dict[str, Any]:
    """Return the funnel and the chart for the chosen window."""
    window = _text(query, "window") or "24h"
    if window not in {"1h", "24h", "7d"}:
        raise BadRequest(f"window must be 1h, 24h or 7d, not {window[:20]!r}")
    data = console.pipeline(window)
    return {**data, "chart": series_chart(data["series"])}


def read_replies(console: Console, query: Mapping[str, str]) -> dict[str, Any]:
    """Return one page of replies with the filters applied."""
    wanted = ReplyFilter(
        account=_text(query, "account"),
        state=_text(query, "state", 32),
        text=_text(query, "q"),
        before=_text(query, "before"),
        limit=_limit(query, 50),
    )
    return {**console.replies(wanted), "filters": _filters(query, ("account", "state", "q"))}


def read_trace(console: Console, query: Mapping[str, str]) -> dict[str, Any]:
    """Return the chain the `id` names."""
    identifier = _text(query, "id", 255)
    if identifier is None:
        return {"id": None, "trace": None}
    found = console.trace(identifier)
    if found is None:
        raise NotFound(f"nothing recorded for {identifier!r}")
    return {"id": identifier, "trace": found}


def read_ghosts(console: Console, query: Mapping[str, str]) -> dict[str, Any]:
    """Return the ghosts (acknowledged ones with `all=1`)."""
    everything = query.get("all") == "1"
    return {**console.ghosts(include_acknowledged=everything), "all": everything}


def read_certify(console: Console, _query: Mapping[str, str]) -> dict[str, Any]:
    """Return the latest certification report."""
    return console.certify()


def read_workers(console: Console, query: Mapping[str, str]) -> dict[str, Any]:
    """Return workers and job runs."""
    return console.workers(_number(query, "before"))


def read_events(console: Console, query: Mapping[str, str]) -> dict[str, Any]:
    """Return one page of events."""
    wanted = EventFilter(
        event_type=_text(query, "type", 128),
        severity=_text(query, "severity", 16),
        account=_text(query, "account"),
        before=_number(query, "before"),
        limit=_limit(query, 100),
    )
    return {**console.events(wanted), "filters": _filters(query, ("type", "severity", "account"))}


def _filters(query: Mapping[str, str], keys: tuple[str, ...]) -> dict[str, str]:
    return {key: query.get(key, "") for key in keys}


def _who(form: Mapping[str, str]) -> str:
    who = _text(form, "by", 100)
    if who is None:
        raise BadRequest("say who acts: fill in 'by'")
    return who


def do_pause(console: Console, form: Mapping[str, str]) -> dict[str, Any]:
    """Turn the kill switch on (drain=1 also expires pending permits)."""
    drain = form.get("drain") in {"1", "true", "on"}
    console.pause(_who(form), drain=drain)
    return {"kill_switch": True, "drain": drain}


def do_resume(console: Console, form: Mapping[str, str]) -> dict[str, Any]:
    """Turn the kill switch off."""
    console.resume(_who(form))
    return {"kill_switch": False}


def do_ghost_ack(console: Console, form: Mapping[str, str]) -> dict[str, Any]:
    """Acknowledge a ghost with who and why."""
    ghost = _text(form, "ghost", 255)
    reason = _text(form, "reason", 500)
    if ghost is None or reason is None:
        raise BadRequest("name the ghost and say why it is acknowledged ('ghost', 'reason')")
    done = console.acknowledge_ghost(ghost, _who(form), reason)
    if done is None:
        raise NotFound(f"no ghost {ghost!r}")
    return done


def read_review(console: Console, _query: Mapping[str, str]) -> dict[str, Any]:
    """Return the replies waiting for a person."""
    return console.reviews()


def _permit(form: Mapping[str, str]) -> str:
    permit_id = _text(form, "permit", 64)
    if permit_id is None:
        raise BadRequest("name the permit ('permit')")
    return permit_id


def do_review_approve(console: Console, form: Mapping[str, str]) -> dict[str, Any]:
    """Approve a waiting reply's exact text (`sha256`: the hash the reviewer was shown)."""
    return console.review_approve(_permit(form), _who(form), _text(form, "sha256", 64))


def do_review_reject(console: Console, form: Mapping[str, str]) -> dict[str, Any]:
    """Reject a waiting reply with a reason."""
    reason = _text(form, "reason", 500)
    if reason is None:
        raise BadRequest("say why it is rejected ('reason')")
    return console.review_reject(_permit(form), _who(form), reason)


def do_certify(console: Console, _form: Mapping[str, str]) -> dict[str, Any]:
    """Run certification now."""
    report = console.certify_now()
    return {"verdict": report["verdict"], "blocker": report["blocker"]}


PAGES: list[ConsolePage] = [
    ConsolePage(name="overview", title="Overview", read=read_overview),
    ConsolePage(name="pipeline", title="Pipeline", read=read_pipeline),
    ConsolePage(name="replies", title="Replies", read=read_replies),
    ConsolePage(name="trace", title="Trace", read=read_trace),
    ConsolePage(name="ghosts", title="Ghosts", read=read_ghosts),
    ConsolePage(name="review", title="Review", read=read_review),
    ConsolePage(name="certify", title="Certify", read=read_certify),
    ConsolePage(name="workers", title="Workers and jobs", read=read_workers),
    ConsolePage(name="events", title="Events", read=read_events),
]

ACTIONS: list[ConsoleAction] = [
    ConsoleAction(name="pause", run=do_pause, back="overview"),
    ConsoleAction(name="resume", run=do_resume, back="overview"),
    ConsoleAction(name="ghost-ack", run=do_ghost_ack, back="ghosts"),
    ConsoleAction(name="certify", run=do_certify, back="certify"),
    ConsoleAction(name="review-approve", run=do_review_approve, back="review"),
    ConsoleAction(name="review-reject", run=do_review_reject, back="review"),
]
