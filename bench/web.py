"""Benchmark: every page and JSON endpoint under concurrent load, on SQLite and PostgreSQL.

For each size it generates the dataset of ``bench/sync.py`` (files with meeting folders and grant
dossiers; calendars with monthly and weekly series, moved and cancelled occurrences, attendees,
deadlines, tasks and activities), serves it with the demo Nextcloud, syncs it into each database
(measuring the initial sync and the CPU time of an idle poll), stops the demo server, then starts
the web app as documented (``gunicorn -w 4 sidecar.wsgi:app``, no scheduler in the web) and
drives ``--clients`` concurrent clients with no think time over each endpoint in turn with
ApacheBench (``ab``), printing p50/p95/p99 latency, errors (failed or non-2xx) and requests per
second per endpoint.

The load tool comes from Debian: ``apt-get install apache2-utils``. PostgreSQL is reached at
``--postgres`` (default ``postgresql://postgres@127.0.0.1``); a database ``quorum_bench_<size>``
is dropped and created there. ``--code DIR`` serves another checkout (e.g. the previous
version, for a baseline) against the same synced databases; its requests are bounded by
``--seconds`` per endpoint, since an old version may take seconds per request.

    .venv/bin/python bench/web.py --sizes small,medium
    .venv/bin/python bench/web.py --sizes medium --databases sqlite --code this,/path/to/main
    .venv/bin/python bench/web.py --sizes large --requests 200 --json web-large.json

Only addresses on this machine are used (127.0.0.1); every run is bounded in count and time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sync as dataset

from sidecar.context import resolve_association
from sidecar.services import api_tokens
from sidecar.storage.models import Grant, User

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 4
TIMEOUT = 120  # seconds ab waits for one answer


@dataclass(frozen=True)
class Result:
    """One endpoint under load: latency percentiles (ms), errors and throughput."""

    size: str
    database: str
    code: str
    endpoint: str
    requests: int
    errors: int
    p50: float
    p95: float
    p99: float
    per_second: float


@dataclass(frozen=True)
class Prepared:
    """A synced database and how to sign in to it."""

    database: str
    url: str
    data_dir: Path
    token: str
    cookie: str
    meeting_id: int | None
    dossier_key: str | None
    initial_sync_s: float
    idle_poll_cpu_ms: float


# --- preparing the databases ----------------------------------------------------------------


def postgres_database(base: str, name: str) -> str:
    """A fresh, empty PostgreSQL database ``name`` on the server at ``base``; its URL."""
    import psycopg

    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


def prepare(server: dataset.ServerProcess, work: Path, database: str, url: str) -> Prepared:
    """Sync the dataset into one database, time it and an idle poll, and make a signed-in user."""
    client = dataset.QuorumClient(server, work / database, url)
    try:
        started = time.perf_counter()
        client.sync(derive=True)  # as the product: read models and statistics follow
        initial = time.perf_counter() - started
        cpu = []
        for _ in range(5):  # the idle poll: nothing changed on the server
            before = time.process_time()
            client.sync()
            cpu.append(time.process_time() - before)
        services = client.services
        settle(services)
        token, cookie = sign_in(services)
        meeting_id, dossier_key = _subjects(services)
        return Prepared(
            database,
            services.settings.effective_database_url,
            services.settings.data_dir,
            token,
            cookie,
            meeting_id,
            dossier_key,
            round(initial, 2),
            round(1000 * sorted(cpu)[len(cpu) // 2], 1),
        )
    finally:
        client.close()


def settle(services: Any) -> None:
    """Leave the database as it would be a minute after the sync, so that the order in which
    checkouts are served does not decide their figures: SQLite's write-ahead log folded back
    into the file, PostgreSQL's statistics taken (autovacuum does it within a minute or so)."""
    with services.db.engine.connect() as connection:
        if services.db.url.startswith("sqlite"):
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            connection.exec_driver_sql("ANALYZE")
        connection.commit()


def sign_in(services: Any) -> tuple[str, str]:
    """An admin with an API token, and a session cookie signed with the app's key."""
    from sidecar.services import sessions as user_sessions
    from sidecar.web import create_app

    with services.db.session() as session:
        association = resolve_association(session, None)
        user = User(
            association_id=association.id, login="bench", display_name="Bench", role="admin"
        )
        session.add(user)
        session.flush()
        token = api_tokens.create_token(session, user, "bench", ("read",))
        sid = user_sessions.start(session, user)  # a server-side session, as a sign-in makes
    app = create_app(services=services)
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    value = serializer.dumps({"sid": sid, "_permanent": True})
    return token, f"{app.config['SESSION_COOKIE_NAME']}={value}"


def _subjects(services: Any) -> tuple[int | None, str | None]:
    """A meeting (the next one) and a recorded or found dossier to open."""
    from datetime import UTC, datetime

    from sidecar.services import meetings

    now = datetime.now(UTC)
    with services.db.session() as session:
        association = resolve_association(session, None)
        upcoming = meetings.upcoming(session, association.id, now, limit=1)
        grant = session.scalar(select(Grant.id).limit(1))
    return (upcoming[0].id if upcoming else None), (f"g{grant}" if grant else None)


# --- serving and loading ----------------------------------------------------------------------


def endpoints(prepared: Prepared) -> list[tuple[str, str]]:
    """(name, path) of every page and JSON endpoint read by members and officers."""
    found = [
        ("page /", "/"),
        ("page /meetings", "/meetings"),
        ("page /meetings?when=past", "/meetings?when=past"),
        ("page /documents", "/documents"),
        ("page /grants", "/grants"),
        ("page /bodies", "/bodies"),
        ("page /alerts/", "/alerts/"),
        ("api /meetings", "/api/v1/meetings"),
        ("api /meetings?from&to", "/api/v1/meetings?from=2026-01-01&to=2027-01-01"),
        ("api /documents", "/api/v1/documents"),
        ("api /grants", "/api/v1/grants"),
        ("api /obligations", "/api/v1/obligations"),
        ("api /alerts", "/api/v1/alerts"),
        ("api /bodies", "/api/v1/bodies"),
    ]
    if prepared.meeting_id is not None:
        found.insert(3, ("page /meetings/<id>", f"/meetings/{prepared.meeting_id}"))
        found.insert(9, ("api /meetings/<id>", f"/api/v1/meetings/{prepared.meeting_id}"))
    if prepared.dossier_key is not None:
        found.insert(6, ("page /grants/<key>", f"/grants/{prepared.dossier_key}"))
    return found


class Gunicorn:
    """``gunicorn -w 4 sidecar.wsgi:app`` on a free port, from ``code``'s checkout."""

    def __init__(self, prepared: Prepared, code: Path) -> None:
        self.prepared, self.code = prepared, code
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Gunicorn:
        env = {
            **os.environ,
            "PYTHONPATH": str(self.code),
            "QUORUM_DATA_DIR": str(self.prepared.data_dir),
            "QUORUM_DATABASE_URL": self.prepared.url,
            "QUORUM_SCHEDULER": "false",
            "QUORUM_LOG_LEVEL": "warning",
        }
        # As the container's entrypoint does: workers never migrate (kept data may be older).
        upgrade = "from sidecar.cli import cli; cli(['db', 'upgrade'])"
        subprocess.run([sys.executable, "-c", upgrade], cwd=self.code, env=env, check=True)
        command = [sys.executable, "-m", "gunicorn", "-w", str(WORKERS)]
        command += ["-b", f"127.0.0.1:{self.port}", "--timeout", str(TIMEOUT), "sidecar.wsgi:app"]
        self.process = subprocess.Popen(command, cwd=self.code, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/healthz", timeout=5).status_code == 200:
                    return self
            except requests.RequestException:  # not listening yet, or workers still booting
                pass
            time.sleep(0.3)
        self.__exit__()
        raise SystemExit("gunicorn did not start within 60 s")

    def __exit__(self, *_: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=90)
            self.process = None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def headers(prepared: Prepared, path: str) -> list[str]:
    """ab's options to authenticate: the API token for /api/, the session cookie for pages."""
    if path.startswith("/api/"):
        return ["-H", f"Authorization: Bearer {prepared.token}"]
    return ["-C", prepared.cookie]


def warm(server: Gunicorn, prepared: Prepared, path: str, clients: int) -> None:
    """Requests first, so each worker has opened its connections and built what it keeps
    (compiled templates and statements, the menu, each worker's dossiers): steady state is
    measured. One answer is checked, then ``ab`` sends ``clients`` × workers requests with
    ``clients`` at once: requests sent one after another mostly reach the same worker, which
    left the others to pay their first request inside the measured run (a p95 of 344 ms for a
    p50 of 96 ms on the first endpoint measured)."""
    answer = requests.get(
        server.url + path,
        headers={"Authorization": f"Bearer {prepared.token}", "Cookie": prepared.cookie},
        timeout=TIMEOUT,
        allow_redirects=False,
    )
    if answer.status_code != 200:
        raise SystemExit(f"GET {path} answered {answer.status_code}: {answer.text[:300]}")
    load(server, prepared, path, clients, clients * WORKERS, TIMEOUT)


def load(
    server: Gunicorn, prepared: Prepared, path: str, clients: int, count: int, seconds: float
) -> dict[str, float]:
    """``ab`` with ``clients`` concurrent clients for ``count`` requests (at most ``seconds``)."""
    command = ["ab", "-q", "-s", str(TIMEOUT), "-c", str(clients), "-n", str(count)]
    command += ["-t", str(seconds), "-n", str(count)]  # -t then -n: both bounds hold
    command += [*headers(prepared, path), server.url + path]
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 300)
    if output.returncode != 0:
        raise SystemExit(f"ab failed on {path}: {output.stderr.strip()}")
    return parse_ab(output.stdout)


def parse_ab(text: str) -> dict[str, float]:
    """Completed and failed requests, non-2xx answers, requests/s and percentiles from ab."""

    def number(pattern: str, default: float = 0.0) -> float:
        found = re.search(pattern, text, re.MULTILINE)
        return float(found.group(1)) if found else default

    return {
        "complete": number(r"^Complete requests:\s+(\d+)"),
        "failed": number(r"^Failed requests:\s+(\d+)"),
        "non2xx": number(r"^Non-2xx responses:\s+(\d+)"),
        "per_second": number(r"^Requests per second:\s+([\d.]+)"),
        "p50": number(r"^\s+50%\s+(\d+)"),
        "p95": number(r"^\s+95%\s+(\d+)"),
        "p99": number(r"^\s+99%\s+(\d+)"),
    }


def bench_server(
    prepared: Prepared, size: str, code: Path, args: argparse.Namespace
) -> list[Result]:
    results = []
    label = "this" if code == ROOT else str(code)
    with Gunicorn(prepared, code) as server:
        for name, path in endpoints(prepared):
            warm(server, prepared, path, args.clients)
            m = load(server, prepared, path, args.clients, args.requests, args.seconds)
            result = Result(
                size,
                prepared.database,
                label,
                name,
                int(m["complete"]),
                int(m["failed"] + m["non2xx"]),
                m["p50"],
                m["p95"],
                m["p99"],
                m["per_second"],
            )
            print(row(result), flush=True)
            results.append(result)
    return results


HEAD = (
    f"{'size':<7} {'db':<10} {'endpoint':<28} {'n':>5} {'err':>4} "
    f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'req/s':>7}"
)


def row(r: Result) -> str:
    return (
        f"{r.size:<7} {r.database:<10} {r.endpoint:<28} {r.requests:>5} {r.errors:>4} "
        f"{r.p50:>7.0f} {r.p95:>7.0f} {r.p99:>7.0f} {r.per_second:>7.1f}"
    )


# --- prepared data kept in a folder (``--work``; bench/pages.py uses it too) ---------------------

STATE = "prepared.json"


def prepared_databases(work: Path, size: str, databases: list[str], postgres: str) -> list[Any]:
    """The synced databases kept in ``work``; the missing ones are prepared (minutes; the
    large size takes about 30 minutes, most of it the demo server indexing 20,000 events)."""
    state = _read_state(work)
    missing = [d for d in databases if d not in state]
    if missing:
        nextcloud = work / "nextcloud"
        if not nextcloud.exists():
            print(f"{size}: generating the dataset", flush=True)
            dataset.generate(nextcloud, dataset.SIZES[size])
        with dataset.ServerProcess(nextcloud, 0.0) as server:
            dataset.warm_up(server)
            for database in missing:
                url = ""
                if database == "postgresql":
                    url = postgres_database(postgres, _kept_postgres_name(work, size))
                print(f"{size}: syncing into {database}", flush=True)
                state[database] = as_json(prepare(server, work, database, url))
                (work / STATE).write_text(json.dumps(state, indent=1) + "\n")
    return [from_json(state[d]) for d in databases]


def _kept_postgres_name(work: Path, size: str) -> str:
    """Not the database of a run without ``--work``: both may be on one machine."""
    return "quorum_pages_" + size + "_" + re.sub(r"[^a-z0-9]", "_", work.name.lower())[-24:]


def _read_state(work: Path) -> dict[str, Any]:
    path = work / STATE
    found: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    return found


def as_json(prepared: Prepared) -> dict[str, Any]:
    return {**asdict(prepared), "data_dir": str(prepared.data_dir)}


def from_json(raw: dict[str, Any]) -> Prepared:
    return Prepared(**{**raw, "data_dir": Path(raw["data_dir"])})


def bench_size(size: dataset.Size, args: argparse.Namespace) -> tuple[list[Result], list[str]]:
    if args.work is not None:
        return _bench_kept(size, args)
    work = Path(tempfile.mkdtemp(prefix=f"quorum-web-{size.name}-"))
    results: list[Result] = []
    notes: list[str] = []
    try:
        print(f"{size.name}: generating and serving the dataset", flush=True)
        dataset.generate(work / "nextcloud", size)
        prepared: list[Prepared] = []
        with dataset.ServerProcess(work / "nextcloud", 0.0) as server:
            dataset.warm_up(server)
            for database in args.databases.split(","):
                url = ""
                if database == "postgresql":
                    url = postgres_database(args.postgres, f"quorum_bench_{size.name}")
                prepared.append(prepare(server, work, database, url))
                p = prepared[-1]
                note = (
                    f"{size.name} {database}: initial sync {p.initial_sync_s:.2f} s, "
                    f"idle poll CPU {p.idle_poll_cpu_ms:.1f} ms (median of 5)"
                )
                print("  " + note, flush=True)
                notes.append(note)
        print(HEAD, flush=True)
        for p in prepared:
            for code in args.code.split(","):
                checkout = ROOT if code == "this" else Path(code).resolve()
                results += bench_server(p, size.name, checkout, args)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return results, notes


def _bench_kept(size: dataset.Size, args: argparse.Namespace) -> tuple[list[Result], list[str]]:
    """Serve the data kept in ``--work`` (prepared there first if missing)."""
    databases = args.databases.split(",")
    results: list[Result] = []
    notes: list[str] = []
    for p in prepared_databases(args.work, size.name, databases, args.postgres):
        notes.append(
            f"{size.name} {p.database}: initial sync {p.initial_sync_s:.2f} s, idle poll CPU "
            f"{p.idle_poll_cpu_ms:.1f} ms (median of 5; measured when {args.work} was prepared)"
        )
        print(HEAD, flush=True)
        for code in args.code.split(","):
            checkout = ROOT if code == "this" else Path(code).resolve()
            results += bench_server(p, size.name, checkout, args)
    return results, notes


def _stop(_signal: int, _frame: object) -> None:
    raise SystemExit("stopped")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="small,medium", help="small,medium,large")
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite,postgresql")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients")
    parser.add_argument("--requests", type=int, default=400, help="requests per endpoint")
    parser.add_argument("--seconds", type=float, default=60.0, help="time cap per endpoint")
    parser.add_argument(
        "--code",
        default="this",
        help="checkouts to serve on the same data, comma-separated ('this': this one; another "
        "path, e.g. the previous version, for a baseline)",
    )
    parser.add_argument("--json", type=Path, help="write one record per endpoint")
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    parser.add_argument(
        "--work",
        type=Path,
        help="keep the prepared data in this folder and reuse it (one size; shared with "
        "bench/pages.py --work)",
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop)  # stopped: the servers it started are stopped too
    if shutil.which("ab") is None:
        parser.error("ab is missing: apt-get install apache2-utils")
    names = [n.strip() for n in args.sizes.split(",") if n.strip()]
    unknown = [n for n in names if n not in dataset.SIZES]
    if unknown:
        parser.error(f"unknown size(s): {', '.join(unknown)}")
    if args.work is not None and len(names) != 1:
        parser.error("--work holds one size: give one --sizes")
    results: list[Result] = []
    notes: list[str] = []
    for name in names:
        found, said = bench_size(dataset.SIZES[name], args)
        results += found
        notes += said
    print()
    print(HEAD)
    for code in dict.fromkeys(r.code for r in results):
        print(f"-- code: {code}")
        for r in (r for r in results if r.code == code):
            print(row(r))
    for note in notes:
        print(note)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=1) + "\n")
    return 0 if all(r.errors == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
