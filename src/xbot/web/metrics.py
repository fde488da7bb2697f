"""The body of /metrics in Prometheus text format (prometheus-client), from plain numbers.

The web edge shows and does not read the database: it is handed a `Snapshot` (series per
metric name, made from the database by `xbot.monitoring`) and the process's own registry
(`xbot.telemetry`: platform requests, job runs), and writes both out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

#: label values, in the order the metric names its labels, and the value
Series = Sequence[tuple[tuple[str, ...], float]]


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One metric /metrics serves from a snapshot: name, kind, help and label names."""

    name: str
    kind: Literal["counter", "gauge"]
    help: str
    labels: tuple[str, ...] = ()


#: every metric read from the database (or this process's identity), in the order served
CATALOGUE = (
    MetricSpec("xbot_build_info", "gauge", "The running code: 1, with its SHA, version and role.",
               ("git_sha", "version", "role")),
    MetricSpec("xbot_posts_total", "counter", "Replies published (USED permits).",
               ("platform", "account")),
    MetricSpec("xbot_permits", "gauge", "Permits by state.", ("state", "account")),
    MetricSpec("xbot_permits_overdue", "gauge",
               "Permits in doubt past their lease: POSTING whose lease ran out, UNKNOWN for "
               "longer than one lease.", ("state", "account")),
    MetricSpec("xbot_candidates_skipped_total", "counter", "Candidates skipped, by reason.",
               ("reason", "account")),
    MetricSpec("xbot_queue_depth", "gauge", "Queued, unexpired candidates.", ("account",)),
    MetricSpec("xbot_job_failures_total", "counter", "Failed job runs.", ("job",)),
    MetricSpec("xbot_ghosts_unacknowledged", "gauge", "Ghosts nobody has acknowledged."),
    MetricSpec("xbot_certify_verdict", "gauge",
               "The certify verdict: 0 operational, 1 not operational, 2 inconclusive or shadow."),
    MetricSpec("xbot_account_state", "gauge",
               "1 for each account's current state (posting, held, blocked), 0 for the others.",
               ("account", "state")),
    MetricSpec("xbot_account_blocked", "gauge", "1 while an account is blocked, with the reason.",
               ("account", "reason")),
    MetricSpec("xbot_workers_alive", "gauge",
               "Running workers whose heartbeat is recent, by role.", ("role",)),
    MetricSpec("xbot_worker_heartbeat_age_seconds", "gauge",
               "Seconds since the newest heartbeat of a worker that may post."),
    MetricSpec("xbot_cost_usd_total", "counter",
               "What the platform calls cost, priced by the rate card, by kind of call "
               "(post_read, owned_read, summoned_reply, ...).", ("account", "kind")),
    MetricSpec("xbot_rate_limit_remaining", "gauge",
               "Requests left in the platform's current window, as last seen by this process.",
               ("platform", "endpoint", "account")),
)  # fmt: skip
BY_NAME = {spec.name: spec for spec in CATALOGUE}
#: the metrics each process measures itself (xbot.telemetry), named as served
PROCESS_METRICS = (
    "xbot_platform_requests_total",
    "xbot_platform_request_seconds",
    "xbot_job_run_seconds",
)
CONTENT_TYPE = CONTENT_TYPE_LATEST


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The series of each catalogued metric at one moment; one absent here has no samples."""

    series: Mapping[str, Series] = field(default_factory=dict)


class _SnapshotCollector(Collector):
    def __init__(self, snapshot: Snapshot, local: CollectorRegistry | None) -> None:
        self.snapshot = snapshot
        self.local = local

    def collect(self) -> Iterator[Metric]:
        # every family is described, even without a series yet, so rules always find the name
        for spec in CATALOGUE:
            yield family(spec, self.snapshot.series.get(spec.name, ()))
        if self.local is not None:
            yield from self.local.collect()


def family(spec: MetricSpec, series: Series) -> Metric:
    """Return one metric family with its samples."""
    kind = CounterMetricFamily if spec.kind == "counter" else GaugeMetricFamily
    metric = kind(spec.name, spec.help, labels=spec.labels)
    for labels, value in series:
        metric.add_metric(list(labels), value)
    return metric


def render(snapshot: Snapshot, local: CollectorRegistry | None = None) -> bytes:
    """Return the /metrics body: the snapshot's series, then the process's own instruments."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_SnapshotCollector(snapshot, local))
    return generate_latest(registry)
