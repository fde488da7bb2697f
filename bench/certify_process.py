"""`xbot certify --json` as a process: wall time against a bare interpreter, and the import share.

Target (issue 12): the whole process within 0.5 s, most of which must be work, not imports.
Runs, interleaved in the same loop, `python -c pass`, then `xbot certify --json` against a small
migrated SQLite file and (unless --no-postgres) a scratch PostgreSQL database it creates and
drops. Prints the median wall time of each and the import time measured by `-X importtime`.
xbot's bytecode is compiled first, as an installed wheel has it: a source checkout run with
PYTHONDONTWRITEBYTECODE would otherwise compile every module in every run (~0.1 s).

    python bench/certify_process.py [--runs 20] [--url postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

import xbot
from xbot.store.engine import make_engine
from xbot.store.migrate import upgrade

TARGET_SECONDS = 0.5
XBOT = Path(sys.executable).with_name("xbot")
#: the console script's own code, run under -X importtime (a script cannot take -X)
CERTIFY = (
    "import sys; sys.argv = ['xbot', 'certify', '--json']\n"
    "from xbot.entry import main\n"
    "sys.exit(main())"
)
IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|")


def main() -> int:
    arguments = parse_arguments()
    compileall.compile_dir(Path(xbot.__file__).parent, quiet=1)
    with tempfile.TemporaryDirectory() as folder, _postgres(arguments) as postgres:
        work = Path(folder)
        (work / "xbot.toml").touch()
        databases = {"sqlite": f"sqlite:///{work / 'certify.db'}"}
        if postgres:
            databases["postgresql"] = postgres
        for url in databases.values():
            _migrate(url)
        walls: dict[str, list[tuple[float, float]]] = {"python -c pass": []}
        walls |= {name: [] for name in databases}
        imports: dict[str, list[float]] = {name: [] for name in databases}
        for _ in range(arguments.runs):
            walls["python -c pass"].append(_wall([sys.executable, "-c", "pass"], work, ""))
            for name, url in databases.items():
                walls[name].append(_wall([str(XBOT), "certify", "--json"], work, url))
                imports[name].append(_import_seconds(work, url))
    _report(walls, imports, arguments.runs)
    return 0


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL server URL whose user may create databases",
    )
    parser.add_argument("--no-postgres", action="store_true", help="measure SQLite only")
    return parser.parse_args()


@contextmanager
def _postgres(arguments: argparse.Namespace) -> Iterator[str]:
    """Yield the URL of a scratch database, dropped afterwards ("" when PostgreSQL is off)."""
    if arguments.no_postgres:
        yield ""
        return
    server = make_url(arguments.url)
    name = f"xbot_certify_process_{os.getpid()}"
    admin_url = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
        try:
            scratch = server.set(drivername="postgresql+psycopg", database=name)
            yield scratch.render_as_string(hide_password=False)
        finally:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _migrate(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()


def _run(command: list[str], work: Path, url: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "XBOT_CONFIG": str(work / "xbot.toml")}
    if url:
        environment["XBOT_DATABASE_URL"] = url
    done = subprocess.run(
        command, cwd=work, env=environment, capture_output=True, text=True, check=False
    )
    if url and done.returncode not in (0, 1, 2):  # any verdict is fine; "could not run" is not
        raise SystemExit(f"certify could not run ({done.returncode}): {done.stderr.strip()}")
    return done


def _wall(command: list[str], work: Path, url: str) -> tuple[float, float]:
    """Return the wall time and the CPU time (user + system) of one run."""
    before = _children_cpu()
    started = time.perf_counter()
    _run(command, work, url)
    return time.perf_counter() - started, _children_cpu() - before


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _import_seconds(work: Path, url: str) -> float:
    done = _run([sys.executable, "-X", "importtime", "-c", CERTIFY], work, url)
    selves = (IMPORT_LINE.match(line) for line in done.stderr.splitlines())
    return sum(int(found.group(1)) for found in selves if found) / 1e6


def _report(
    walls: dict[str, list[tuple[float, float]]], imports: dict[str, list[float]], runs: int
) -> None:
    baseline, baseline_cpu = _medians(walls["python -c pass"])
    print(f"runs={runs} (medians; target: certify <= {TARGET_SECONDS * 1000:.0f} ms per process)")
    header = ("wall_ms", "cpu_ms", "imports_ms", "import_share", "rest_ms")
    print(f"{'':18} " + " ".join(f"{name:>12}" for name in header) + "  target")
    print(f"{'python -c pass':18} {baseline * 1000:12.1f} {baseline_cpu * 1000:12.1f}")
    for name, values in imports.items():
        wall, cpu = _medians(walls[name])
        imported = statistics.median(values)
        rest = wall - imported - baseline
        verdict = "met" if wall <= TARGET_SECONDS else "MISSED"
        figures = (wall * 1000, cpu * 1000, imported * 1000)
        print(
            f"{'certify ' + name:18} "
            + " ".join(f"{figure:12.1f}" for figure in figures)
            + f" {imported / wall:12.0%} {rest * 1000:12.1f}"
            + f"  <= {TARGET_SECONDS * 1000:.0f} {verdict}"
        )
    print("rest_ms = wall - imports - bare interpreter: settings, connecting, the checks, output")
    print("cpu_ms = user + system time of the process: steadier than wall on a busy machine")


def _medians(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(wall for wall, _ in runs), statistics.median(cpu for _, cpu in runs)


if __name__ == "__main__":
    sys.exit(main())
