"""The bad-configuration table: one row per way to get a setting wrong (issue 11).

Every settings field, nested ones included, needs at least one row here (test_config_table.py
enumerates the model and fails on a field without one). Adding a row is one line:

    in_file("accounts.allowed_domains", ["not a domain"]),   # xbot.toml
    in_env("require_deploy_mark", "maybe"),                   # XBOT_REQUIRE_DEPLOY_MARK

`accounts.*` keys put the value into one otherwise valid account. Each row expects one line on
stderr naming the key and the source: the xbot.toml path (CONFIG) or the variable.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

#: stands for the path of the xbot.toml a row runs with
CONFIG = "{config}"
#: the valid account an `accounts.*` row changes one key of
BASE_ACCOUNT: dict[str, Any] = {"platform": "x", "handle": "replybot"}
LONG = "a" * 5000


@dataclass(frozen=True)
class Case:
    """One bad configuration and what its one line must name."""

    #: the settings field it covers ("accounts.budgets.per_hour"), or a label for other cases
    key: str
    toml: str = ""
    env: dict[str, str] = field(default_factory=dict)
    #: texts the one line must contain (CONFIG is replaced by the xbot.toml path)
    named: tuple[str, ...] = ()
    #: also run it as a real `xbot config show` subprocess (the issue's cases)
    process: bool = False
    label: str = ""

    @property
    def id(self) -> str:
        return self.label or f"{self.key}={next(iter(self.env.values()), self.toml)[:40]}"


def in_file(key: str, value: Any, *, process: bool = False) -> Case:
    """A bad value for `key` written in xbot.toml."""
    document = _nested(key, value)
    text = "".join(f"{name} = {toml_value(item)}\n" for name, item in document.items())
    return Case(key=key, toml=text, named=(shown(key), CONFIG), process=process,
                label=f"file:{key}={_short(value)}")  # fmt: skip


def in_env(key: str, value: Any, *, process: bool = False) -> Case:
    """A bad value for `key` given as its XBOT_* variable (XBOT_ACCOUNTS for account keys)."""
    top = key.split(".", maxsplit=1)[0]
    if top == "accounts" and key != "accounts":
        variable, raw = "XBOT_ACCOUNTS", json.dumps(_nested(key, value)["accounts"])
    else:
        variable = "PORT" if key == "port" else "XBOT_" + key.upper().replace(".", "__")
        raw = value if isinstance(value, str) else json.dumps(value)
    return Case(key=key, env={variable: raw}, named=(shown(key), variable), process=process,
                label=f"env:{variable}={_short(value)}")  # fmt: skip


def shown(key: str) -> str:
    """The key as the error line writes it: accounts[0].budgets.per_hour."""
    return key.replace("accounts.", "accounts[0].", 1)


def toml_value(value: Any) -> str:
    """Render a value as an inline TOML value (inf and nan included)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    pairs = (f"{json.dumps(str(name))} = {toml_value(item)}" for name, item in value.items())
    return "{" + ", ".join(pairs) + "}"


def _nested(key: str, value: Any) -> dict[str, Any]:
    parts = key.split(".")
    if parts[0] == "accounts" and len(parts) > 1:
        return {"accounts": [{**BASE_ACCOUNT, **_nested(".".join(parts[1:]), value)}]}
    document: Any = value
    for part in reversed(parts):
        document = {part: document}
    return dict(document)


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 20 else f"{text[:12]}...({len(text)})"


def account(**changes: Any) -> dict[str, Any]:
    """A valid account with some keys changed."""
    return {**BASE_ACCOUNT, **changes}


INF, NAN = math.inf, math.nan

CASES: list[Case] = [
    # the cases, each also as a real subprocess
    Case(key="XBOT_CONFIG", env={"XBOT_CONFIG": "{tmp}/nowhere.toml"},
         named=("XBOT_CONFIG", "nowhere.toml"), process=True, label="config_missing"),
    Case(key="XBOT_CONFIG", env={"XBOT_CONFIG": "{tmp}"},
         named=("XBOT_CONFIG", "directory"), process=True, label="config_directory"),
    in_env("port", "99999", process=True),
    in_env("port", "-5", process=True),
    in_file("port", 99999),
    in_env("lease_seconds", "inf", process=True),
    in_env("lease_seconds", "nan"),
    in_file("lease_seconds", 1e300),
    in_env("poll_interval", "nan", process=True),
    in_file("poll_interval", INF),
    in_env("poll_interval", "1e300"),
    in_file("worker", "many"),
    in_file("worker.concurrency", 0),
    in_env("worker.concurrency", "lots"),
    in_file("accounts.budgets.min_gap_seconds", INF, process=True),
    in_file("accounts.budgets.min_gap_seconds", NAN),
    in_env("accounts.budgets.min_gap_seconds", 1e300),
    in_file("accounts.budgets.author_cooldown_minutes", 1e300, process=True),
    in_env("accounts.budgets.author_cooldown_minutes", INF),
    in_file("accounts.budgets.author_cooldown_minutes", NAN),
    in_env("enabled_jobs", ["nope"], process=True),
    in_file("enabled_jobs", ["watchdog"]),
    in_env("log_format", "colour", process=True),
    in_env("log_level", "verbose"),
    Case(key="XBOT_LOG_COLOUR", env={"XBOT_LOG_COLOUR": "always"},
         named=("XBOT_LOG_COLOUR",), process=True, label="unknown_variable"),
    Case(key="log_colour", toml='log_colour = "always"\n', named=("log_colour", CONFIG),
         label="unknown_file_key"),
    Case(key="accounts", toml=f"accounts = {toml_value([account(), account(handle='ReplyBot')])}\n",
         named=("accounts", CONFIG, "twice"), process=True, label="duplicate_accounts"),
    Case(key="accounts", env={"XBOT_ACCOUNTS": "garbage"}, named=("accounts", "XBOT_ACCOUNTS"),
         process=True, label="accounts_garbage"),
    in_env("git_sha", LONG, process=True),
    in_env("git_sha", "not-hex!"),
    in_env("secret_key", "not-a-fernet-key"),
    in_env("require_deploy_mark", "maybe"),
    in_file("accounts.allowed_domains", ["not a domain"]),
    in_env("admin_token", "short"),
    in_env("admin_token", "has spaces in it, sixteen+"),
    in_file("git_sha", "abc"),
    in_env("worker_id", LONG, process=True),
    in_file("worker_id", "has space"),
    Case(key="toml_syntax", toml="role = \n", named=(CONFIG,), label="broken_toml"),
    # every other field, at least once
    in_env("database_url", "not a url"),
    in_file("host", "bad host!"),
    in_env("role", "boss"),
    in_env("database_outage_seconds", "inf"),
    in_file("probe_seconds", -1),
    in_file("jobs", 5),
    in_env("jobs", "garbage"),
    in_env("jobs.fetch", "0"),
    in_file("jobs.schedule", NAN),
    in_file("jobs.post", INF),
    in_env("jobs.reconcile", "1e300"),
    in_file("jobs.ghost_scan", -1),
    in_env("jobs.watchdog", "soon"),
    in_file("jobs.probe", 1e-9),
    in_file("accounts", "x:replybot"),
    in_file("accounts.platform", "myspace"),
    in_file("accounts.handle", ""),
    in_env("accounts.handle", "two words"),
    in_file("accounts.enabled", "maybe"),
    in_file("accounts.base_url", "ftp://example.com"),
    in_file("accounts.credentials", {"consumer_key": "not a variable"}),
    in_env("accounts.credentials", {"Bad Name": "X_KEY"}),
    in_file("accounts.topics", [""]),
    in_file("accounts.persona", LONG),
    in_file("accounts.generator", "gpt"),
    in_file("accounts.bank_file", LONG),
    in_file("accounts.languages", ["english!"]),
    in_file("accounts.known_bots", ["has space"]),
    in_file("accounts.blocked_authors", [LONG]),
    in_file("accounts.budgets", "lots"),
    in_file("accounts.budgets.per_hour", -1),
    in_env("accounts.budgets.per_day", 10**9),
    in_file("accounts.budgets.quiet_hours", "25:00-07:00"),
    in_file("accounts.budgets.timezone", "Mars/Olympus"),
    in_file("accounts.allow_links", "maybe"),
    in_file("accounts.banned_terms", ["   "]),
    in_file("accounts.candidate_ttl_minutes", INF),
    in_file("accounts.max_queue", 0),
    in_file("accounts.max_candidate_age_hours", NAN),
    in_file("accounts.max_thread_depth", 10**6),
    in_file("accounts.visibility", "everyone"),
    in_file("accounts.opt_in_only", "maybe"),
    in_file("accounts.max_reply_characters", -1),
    in_file("accounts.duplicate_threshold", 1.5),
    in_file("accounts.review", "sometimes"),
    in_file("accounts.review_ttl_minutes", 0),
    in_env("accounts.mode", "dry"),
    in_file("review", "yes"),
    in_file("review.webhook_url", "ftp://hook"),
    in_env("review.console_url", "not a url"),
    in_file("review.webhook_timeout_seconds", INF),
    in_file("accounts.reply_to_bots", "maybe"),
    in_file("accounts.budgets.per_author_per_day", 0),
    in_file("x", "yes"),
    in_env("x.ai_replies_approved", "maybe"),
    in_file("x.tier", "pro"),
    in_env("x.automated_label_attested", "maybe"),
    in_file("bluesky", "jetstream"),
    in_file("bluesky.jetstream_url", "https://jetstream2.us-east.bsky.network"),
    in_env("bluesky.jetstream_margin_seconds", "-1"),
    in_file("x_webhooks", "on"),
    in_env("x_webhooks.enabled", "maybe"),
    in_file("x_webhooks.webhook_id", "hook-1"),
    in_file("x_webhooks.replay_minutes", -5),
    in_file("opt_outs", "none"),
    in_file("opt_outs.stop_words", {"english!": ["stop"]}),
    in_file("opt_outs.max_words", 0),
    in_file("opt_outs.confirmation", "maybe"),
    in_env("opt_outs.confirmation", "sometimes"),
    in_file("opt_outs.confirmation_text", ""),
    in_file("opt_outs.confirmation_text", "two\nlines"),
    in_env("opt_outs.confirmation_text", LONG),
    in_file("opt_outs.confirmation_platforms", ["myspace"]),
    in_file("labels", "yes"),
    in_file("accounts.intake", "webhook"),
    in_env("accounts.intake", 3),
    in_file("intake", "fast"),
    in_file("intake.gap_fill_factor", 0),
    in_env("intake.lease_seconds", "1"),
    in_file("intake.reconnect_initial_seconds", 0),
    in_env("intake.reconnect_max_seconds", "never"),
    in_file("intake.backfill_again_seconds", -1),
    in_env("intake.mastodon_transport", "carrier-pigeon"),
    in_env("labels.apply", "maybe"),
    in_env("llm", "garbage"),
    in_file("llm.base_url", "not a url"),
    in_env("llm.model", ""),
    in_file("llm.api_key_env", "not a variable!"),
    in_file("llm.temperature", NAN),
    in_env("llm.max_tokens", "0"),
    in_file("llm.timeout_seconds", INF),
    in_file("console", "open"),
    in_env("console.public_read", "maybe"),
    in_file("console.local_without_token", "sometimes"),
    in_file("cost", "cheap"),
    in_env("cost.daily_usd", "-1", process=True),
    in_file("cost.monthly_usd", NAN),
    in_file("cost.prices", {"x": {"post_create": -1}}),
    in_file("cost.prices", {"x": {"free_lunch": 0.1}}),
    in_file("accounts.cost", "lots"),
    in_file("accounts.cost.daily_usd", INF),
    in_file("accounts.cost.allow_url_posts", "maybe"),
    in_env("accounts.cost.monthly_usd", -5),
]  # fmt: skip

#: cases only a serving command meets (the running SHA is read when a worker boots)
SERVING_CASES: list[Case] = [
    Case(key="RAILWAY_GIT_COMMIT_SHA", env={"RAILWAY_GIT_COMMIT_SHA": LONG},
         named=("RAILWAY_GIT_COMMIT_SHA", "not a git SHA"), label="deploy_sha_variable"),
]  # fmt: skip
