"""Benchmark: what one request costs in process, page by page, on SQLite and PostgreSQL.

The load run of ``bench/web.py`` says how long 20 clients wait; this says why. It prepares the
dataset of ``bench/web.py`` (the same generation, sync and sign-in, imported from it) into
SQLite and PostgreSQL once, keeps it in ``--work DIR`` for the next run, then, for every endpoint
of ``bench/web.py``'s ``endpoints()``, sends ``--warm`` requests and then ``--requests`` more, one
at a time, through Flask's test client, and prints for each endpoint the median CPU time of one
request (``time.process_time``), the SQL statements it ran (SQLAlchemy's
``before_cursor_execute``), the size of the answer and, on PostgreSQL, the mean CPU its server
processes spent per request (``pg ms``, from /proc: it shares the cores with the web workers).

``--code DIR,this`` measures other checkouts on the same data, side by side: each is measured in
a child process that imports ``sidecar`` from that checkout (``PYTHONPATH``), so the baseline
needs no ``bench/pages.py`` of its own; ``--rounds N`` measures them in turn N times and keeps
the median (on a shared machine, a busy moment then hits every checkout). ``--sql ENDPOINT`` prints the statements of one request,
``--profile ENDPOINT`` its cProfile (cumulative and own time).

    .venv/bin/python bench/pages.py --work /tmp/pages-medium              # prepare once, measure
    .venv/bin/python bench/pages.py --work /tmp/pages-medium --code /work/main,this
    .venv/bin/python bench/pages.py --work /tmp/pages-medium --databases sqlite --sql "page /"
    .venv/bin/python bench/pages.py --work /tmp/pages-medium --profile "page /documents"

It prints and never asserts. Only addresses on this machine are used.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import web

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Cost:
    """One endpoint, one request at a time: medians over the measured requests."""

    database: str
    code: str
    endpoint: str
    cpu_ms: float
    wall_ms: float
    statements: float
    size: int
    status: int
    server_ms: float = 0.0  # PostgreSQL: CPU of its server processes per request (mean)


# --- preparing once: bench/web.py's ``prepared_databases`` (shared with its ``--work``) -------


# --- measuring, in a child process per checkout -------------------------------------------------


def measure(prepared: web.Prepared, args: argparse.Namespace, label: str) -> list[Cost]:
    """Every endpoint through the test client, one request at a time, in this process."""
    from sqlalchemy import event

    from sidecar.config import load_settings
    from sidecar.context import Services
    from sidecar.web import create_app

    overrides = {"data_dir": str(prepared.data_dir), "database_url": prepared.url}
    services = Services.from_settings(load_settings(environ={}, overrides=overrides))
    app = create_app(services=services)
    statements: list[str] = []
    took: list[float] = []  # wall ms of each statement, for --sql

    def count(_c: Any, _cur: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)
        took.append(time.perf_counter())

    def done(*_args: Any) -> None:
        took[-1] = 1000 * (time.perf_counter() - took[-1])

    event.listen(services.db.engine, "before_cursor_execute", count)
    event.listen(services.db.engine, "after_cursor_execute", done)
    client = app.test_client(use_cookies=False)  # else its empty jar drops our Cookie header
    costs = []
    try:
        for name, path in web.endpoints(prepared):
            if args.only and name not in args.only:
                continue
            headers = {"Authorization": f"Bearer {prepared.token}", "Cookie": prepared.cookie}
            for _ in range(args.warm):
                client.get(path, headers=headers)
            cpu, wall, counts = [], [], []
            answer: Any = None
            server_before = server_cpu(services)
            for _ in range(args.requests):
                statements.clear()
                started, started_wall = time.process_time(), time.perf_counter()
                answer = client.get(path, headers=headers)
                cpu.append(time.process_time() - started)
                wall.append(time.perf_counter() - started_wall)
                counts.append(len(statements))
            server = (server_cpu(services) - server_before) / args.requests
            if name == args.sql:
                statements.clear()
                took.clear()
                client.get(path, headers=headers)
                print(f"-- {prepared.database} {name}: {len(statements)} statements (wall ms)")
                for number, (sql, ms) in enumerate(zip(statements, took, strict=True), 1):
                    print(f"{number:>3} {ms:6.2f}  " + " ".join(sql.split())[:400])
            if name == args.profile:
                profile(client, path, headers, args.requests)
            costs.append(
                Cost(
                    prepared.database,
                    label,
                    name,
                    round(1000 * statistics.median(cpu), 2),
                    round(1000 * statistics.median(wall), 2),
                    statistics.median(counts),
                    len(answer.data),
                    answer.status_code,
                    round(1000 * server, 2),
                )
            )
    finally:
        services.db.dispose()
    return costs


def server_cpu(services: Any) -> float:
    """Seconds of CPU used so far by the PostgreSQL processes serving this database (they run
    on the same cores as the web workers); 0 on SQLite. Read from /proc: a local server."""
    if not services.db.url.startswith("postgresql"):
        return 0.0
    from sqlalchemy import text

    with services.db.engine.connect() as connection:
        pids = connection.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        ).scalars()
        ticks = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # ended meanwhile, or not on this machine
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def profile(client: Any, path: str, headers: dict[str, str], requests: int) -> None:
    profiler = cProfile.Profile(time.process_time)  # CPU, as the table: not waits
    profiler.enable()
    for _ in range(requests):
        client.get(path, headers=headers)
    profiler.disable()
    for order in ("cumulative", "tottime"):
        print(f"-- profile of {requests} requests to {path}, by {order}")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats(order).print_stats(45)


def run_child(code: Path, prepared: web.Prepared, args: argparse.Namespace) -> list[Cost]:
    """This script in a child process whose ``sidecar`` is ``code``'s checkout."""
    label = "this" if code == ROOT else str(code)
    command = [sys.executable, __file__, "--measure", json.dumps(web.as_json(prepared))]
    command += ["--label", label, "--requests", str(args.requests), "--warm", str(args.warm)]
    for option in ("sql", "profile"):
        if getattr(args, option):
            command += [f"--{option}", getattr(args, option)]
    for name in args.only or ():
        command += ["--only", name]
    env = {**os.environ, "PYTHONPATH": str(code)}
    output = subprocess.run(command, env=env, cwd=code, capture_output=True, text=True)
    costs: list[Cost] = []
    for line in output.stdout.splitlines():
        if line.startswith("COST "):
            costs.append(Cost(**json.loads(line.removeprefix("COST "))))
        else:
            print(line)
    if output.returncode != 0:
        print(output.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"measuring {code} failed")
    return costs


def merged(rounds: list[Cost]) -> list[Cost]:
    """One cost per checkout and endpoint: the median of its rounds' medians."""
    groups: dict[tuple[str, str, str], list[Cost]] = {}
    for c in rounds:
        groups.setdefault((c.database, c.code, c.endpoint), []).append(c)
    return [
        Cost(
            first.database,
            first.code,
            first.endpoint,
            statistics.median(c.cpu_ms for c in group),
            statistics.median(c.wall_ms for c in group),
            statistics.median(c.statements for c in group),
            first.size,
            first.status,
            statistics.median(c.server_ms for c in group),
        )
        for first, group in ((g[0], g) for g in groups.values())
    ]


def table(costs: list[Cost], codes: list[str]) -> str:
    """One line per database and endpoint; per checkout: CPU ms, statements, bytes."""
    head = f"{'db':<10} {'endpoint':<28}"
    for code in codes:
        head += f" | {Path(code).name[:14]:>14} cpu ms  sql   bytes  pg ms"
    lines = [head]
    keys = dict.fromkeys((c.database, c.endpoint) for c in costs)
    found = {(c.database, c.endpoint, c.code): c for c in costs}
    for database, endpoint in keys:
        line = f"{database:<10} {endpoint:<28}"
        for code in codes:
            c = found.get((database, endpoint, code))
            if c is None:
                line += f" | {'':>14} {'-':>6} {'-':>4} {'-':>7} {'-':>6}"
                continue
            flag = "" if c.status == 200 else f"!{c.status}"
            line += f" | {flag:>14} {c.cpu_ms:>6.1f} {c.statements:>4.0f} {c.size:>7}"
            line += f" {c.server_ms:>6.1f}" if c.database == "postgresql" else f" {'':>6}"
        lines.append(line)
    return "\n".join(lines)


def _stop(_signal: int, _frame: object) -> None:
    raise SystemExit("stopped")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size", default="medium", help="small, medium or large")
    parser.add_argument("--work", type=Path, help="where the prepared data is kept and reused")
    parser.add_argument("--keep", action="store_true", help="keep a temporary --work")
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite,postgresql")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1")
    parser.add_argument("--code", default="this", help="checkouts, comma-separated ('this')")
    parser.add_argument("--requests", type=int, default=20, help="measured requests each")
    parser.add_argument("--warm", type=int, default=3, help="requests before measuring")
    parser.add_argument("--rounds", type=int, default=1, help="checkouts measured in turn")
    parser.add_argument("--only", action="append", help="this endpoint only (repeatable)")
    parser.add_argument("--sql", help="print the statements of one request to this endpoint")
    parser.add_argument("--profile", help="print the cProfile of this endpoint's requests")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # the child: one prepared database
    parser.add_argument("--label", default="this", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        for cost in measure(web.from_json(json.loads(args.measure)), args, args.label):
            print("COST " + json.dumps(asdict(cost)), flush=True)
        return 0
    signal.signal(signal.SIGTERM, _stop)
    work = args.work or Path(tempfile.mkdtemp(prefix=f"quorum-pages-{args.size}-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        databases = [d.strip() for d in args.databases.split(",") if d.strip()]
        prepared = web.prepared_databases(work, args.size, databases, args.postgres)
        codes = [ROOT if c == "this" else Path(c).resolve() for c in args.code.split(",")]
        costs: list[Cost] = []
        for p in prepared:
            rounds: list[Cost] = []
            for _ in range(args.rounds):  # checkouts in turn, so a busy moment hits them all
                for code in codes:
                    rounds += run_child(code, p, args)
            costs += merged(rounds)
        print(table(costs, ["this" if c == ROOT else str(c) for c in codes]))
    finally:
        if args.work is None and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
