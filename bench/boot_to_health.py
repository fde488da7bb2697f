"""How fast `xbot worker` answers /health after the process starts, and its idle memory.

Target (DESIGN §12): /health within 0.5 s of process start; idle worker RSS under 120 MB.
Prints the median of N runs and, as a baseline measured in the same run, a bare Python
interpreter that binds a socket and answers one HTTP request.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

XBOT = str(Path(sys.executable).with_name("xbot"))
BASELINE = (
    "import http.server,sys;"
    "s=http.server.HTTPServer(('127.0.0.1',int(sys.argv[1])),http.server.SimpleHTTPRequestHandler);"
    "s.handle_request()"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def first_answer(port: int, path: str, started: float, limit: float = 10.0) -> float:
    while time.perf_counter() - started < limit:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1):
                return time.perf_counter() - started
        except OSError:
            time.sleep(0.002)
    raise SystemExit(f"no answer on {path} within {limit} s")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def one_worker(directory: Path, *, from_file: bool) -> tuple[float, float, float]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("XBOT_")}
    env.pop("PORT", None)
    env.update(
        {
            "XBOT_GIT_SHA": "be4c400",  # a SHA must be 7 to 64 hex digits
            "XBOT_DATABASE_URL": f"sqlite:///{directory / f'{port}.db'}",
        }
    )
    if from_file:  # the listener reads host and port from xbot.toml (tomllib) before binding
        config = directory / f"{port}.toml"
        config.write_text(f'host = "127.0.0.1"\nport = {port}\n', encoding="utf-8")
        env["XBOT_CONFIG"] = str(config)
    else:
        env.update({"PORT": str(port), "XBOT_HOST": "127.0.0.1"})
    started = time.perf_counter()
    process = subprocess.Popen(
        [XBOT, "worker"],
        env=env,
        cwd=directory,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        health = first_answer(port, "/health", started)
        ready = ready_after(port, started)
        time.sleep(1.0)
        memory = rss_mb(process.pid)
    finally:
        process.terminate()
        process.wait(15)
    return health, ready, memory


def ready_after(port: int, started: float) -> float:
    while time.perf_counter() - started < 30:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=1):
                return time.perf_counter() - started
        except OSError:
            time.sleep(0.01)
    raise SystemExit("never ready")


def one_baseline() -> float:
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", BASELINE, str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        return first_answer(port, "/", started)
    finally:
        process.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument(
        "--from-file", action="store_true", help="Set host and port in xbot.toml, not variables."
    )
    arguments = parser.parse_args()
    runs = arguments.runs
    with tempfile.TemporaryDirectory() as folder:
        results = [one_worker(Path(folder), from_file=arguments.from_file) for _ in range(runs)]
    baseline = statistics.median(one_baseline() for _ in range(runs))
    health = statistics.median(item[0] for item in results)
    ready = statistics.median(item[1] for item in results)
    memory = statistics.median(item[2] for item in results)
    print(f"runs={runs}")
    print(f"health_median_s={health:.3f} (target < 0.5)")
    print(f"ready_median_s={ready:.3f}")
    print(f"baseline_bare_python_http_median_s={baseline:.3f} ratio={health / baseline:.2f}")
    print(f"idle_rss_median_mb={memory:.1f} (target < 120)")
    if health >= 0.5 or memory >= 120:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
