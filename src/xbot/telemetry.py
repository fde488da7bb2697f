"""What one process measures as it runs: platform requests and job runs (prometheus-client).

Everything /metrics shows that lives in the database is read from it at scrape time, so it is
the same from every process. These instruments are the exception: only the process that made a
platform request or ran a job knows how long it took, so each worker's own /metrics reports
them (Prometheus scrapes every worker and sums across instances). They live in their own
registry, never the library's global one, so a test or a second service in one process
cannot register a name twice.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

#: seconds; a platform answers in tens of milliseconds to a few seconds
REQUEST_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: seconds; a job run takes milliseconds (idle) up to a long fetch
JOB_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)

PLATFORM_REQUESTS = Counter(
    "xbot_platform_requests",
    "Requests this process sent to a platform, by the class of the answer's status.",
    ["platform", "endpoint", "status_class"],
    registry=REGISTRY,
)
PLATFORM_REQUEST_SECONDS = Histogram(
    "xbot_platform_request_seconds",
    "Time from sending a platform request to reading its whole answer.",
    ["platform", "endpoint"],
    buckets=REQUEST_BUCKETS,
    registry=REGISTRY,
)
JOB_RUN_SECONDS = Histogram(
    "xbot_job_run_seconds",
    "Duration of the job runs this process ran.",
    ["job"],
    buckets=JOB_BUCKETS,
    registry=REGISTRY,
)


def status_class(status: int | None) -> str:
    """Return "2xx", "4xx", "5xx" (…) for an HTTP status, "error" when no answer came."""
    return f"{status // 100}xx" if status else "error"


def observe_request(platform: str, endpoint: str, status: int | None, seconds: float) -> None:
    """Count one platform request and its latency."""
    name = platform.lower()
    PLATFORM_REQUESTS.labels(name, endpoint, status_class(status)).inc()
    PLATFORM_REQUEST_SECONDS.labels(name, endpoint).observe(seconds)


def observe_job_run(job: str, seconds: float) -> None:
    """Record how long one job run took."""
    JOB_RUN_SECONDS.labels(job).observe(seconds)
