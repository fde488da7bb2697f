"""/health latency and thread count while many idle connections are open on the listener.

Target (issue 11): 400 idle connections must not create 400 threads, and /health still answers.
Prints the thread count before and with the idle connections, and the median and worst /health
latency over N requests made while they stay open.
"""

from __future__ import annotations

import argparse
import http.client
import socket
import statistics
import threading
import time

from xbot.web.health import HealthServer


def health_latency(port: int) -> float:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/health")
        connection.getresponse().read()
    finally:
        connection.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--idle", type=int, default=400)
    parser.add_argument("--requests", type=int, default=200)
    options = parser.parse_args()
    before = threading.active_count()
    server = HealthServer("127.0.0.1", 0).start()
    port = server.address[1]
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(options.idle)]
    try:
        time.sleep(0.5)
        latencies = [health_latency(port) for _ in range(options.requests)]
        threads = threading.active_count()
    finally:
        for connection in idle:
            connection.close()
        server.stop()
    print(f"idle_connections={options.idle}")
    print(f"threads_before={before} threads_with_idle={threads} (target: not ~{options.idle})")
    print(f"health_median_ms={statistics.median(latencies) * 1000:.2f}")
    print(f"health_max_ms={max(latencies) * 1000:.2f}")


if __name__ == "__main__":
    main()
