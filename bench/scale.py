"""Benchmark: many associations polled on one machine, on PostgreSQL.

N associations each get one source (the demo Nextcloud's account ``alice``: many associations on
one demo server, answering every request after a fixed ``--latency-ms``, standing for the network
and Nextcloud's own cost) and one sync job every ``--every`` seconds. Quorum runs as it would in
production, in processes of its own:

- ``embedded``: one ``quorum scheduler`` running syncs in its pool (``QUORUM_SYNC_WORKERS``);
- ``queue-1`` / ``queue-2``: ``quorum scheduler`` deferring to PostgreSQL (procrastinate) and one
  or two ``quorum worker`` processes running the syncs.

Every job is due at once when the processes start: those first (initial) syncs are the warm-up.
Once every job has run once, a window of ``--seconds`` is measured:

- polls/s: sync runs started in the window, per second (demand: N / every);
- lag: how late each run started after its due time (``sync_jobs.last_lag_seconds``, written by
  the claim; sampled every 0.5 s, so each claim is seen once), p50 / p95 / max;
- CPU: user + system seconds of the Quorum processes (``/proc/PID/stat``) per poll, and in cores;
  the demo server's CPU is shown apart, and how busy the whole machine was (``/proc/stat``: the
  rest is PostgreSQL and this script);
- DB tx/s: ``pg_stat_database`` commits + rollbacks of the benchmark's own database (it is
  created for the run and dropped after; the sampler's own ~2 transactions/s are included).

Runs where demand exceeds what Quorum achieves measure its ceiling; the last lines extrapolate
what that ceiling means for 10,000 associations every 5 minutes (33.3 polls/s).

    .venv/bin/python bench/scale.py --associations 300 --every 10 --seconds 60 --modes embedded,queue-1,queue-2
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from sqlalchemy import create_engine, func, select, text, update
from sqlalchemy.engine import Engine

from sidecar.config import load_settings
from sidecar.context import Services
from sidecar.demo import DEMO_LOGIN, DEMO_USERS
from sidecar.services.federation import percentiles
from sidecar.services.sources import add_source, probe, record_discovery
from sidecar.storage import normalise_url
from sidecar.storage.models import Association, Source, SyncJob, SyncRun
from sidecar.sync.connection import connect

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
TARGET_ASSOCIATIONS, TARGET_EVERY = 10_000, 300.0


@dataclass
class Result:
    mode: str
    associations: int
    every: float
    seconds: float
    polls: int
    failed: int
    lags: list[float]
    quorum_cpu: float
    server_cpu: float
    transactions: int
    run_seconds: float  # mean wall time of one sync run in the window
    machine_cpu: float = 0.0  # every process of the machine (/proc/stat), in the window

    @property
    def polls_per_second(self) -> float:
        return self.polls / self.seconds

    def line(self) -> str:
        p = percentiles(self.lags, (0.5, 0.95))
        cpu_ms = 1000 * self.quorum_cpu / self.polls if self.polls else math.nan
        return (
            f"{self.mode:9} {self.associations:>6} {self.every:>6.0f} "
            f"{self.associations / self.every:>8.1f} {self.polls_per_second:>8.1f} "
            f"{p[0.5]:>7.2f} {p[0.95]:>7.2f} {max(self.lags, default=0):>7.2f} "
            f"{cpu_ms:>8.1f} {self.quorum_cpu / self.seconds:>6.2f} "
            f"{self.server_cpu / self.seconds:>6.2f} {self.transactions / self.seconds:>7.0f} "
            f"{self.failed:>5} {self.run_seconds:>6.2f}"
        )


HEADER = (
    f"{'mode':9} {'assoc':>6} {'every':>6} {'demand/s':>8} {'polls/s':>8} "
    f"{'lag p50':>7} {'lag p95':>7} {'lag max':>7} {'ms CPU/':>8} {'cores':>6} "
    f"{'server':>6} {'DB tx/s':>7} {'fail':>5} {'run':>6}\n"
    f"{'':9} {'':>6} {'s':>6} {'':>8} {'':>8} {'s':>7} {'s':>7} {'s':>7} {'poll':>8} "
    f"{'Quorum':>6} {'cores':>6} {'':>7} {'':>5} {'s':>6}"
)


def machine_cpu_seconds() -> float:
    """CPU seconds the whole machine spent busy (not idle, not waiting on I/O), every core."""
    ticks = [int(t) for t in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / CLOCK_TICKS


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class Database:
    """A PostgreSQL database of its own for one run, dropped afterwards."""

    def __init__(self, server_url: str) -> None:
        self.server_url = normalise_url(server_url)
        self.name = f"quorum_bench_{uuid.uuid4().hex[:8]}"
        base, _, _ = self.server_url.rpartition("/")
        self.url = f"{base}/{self.name}"
        self._admin = create_engine(self.server_url, isolation_level="AUTOCOMMIT")

    def __enter__(self) -> Database:
        with self._admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        return self

    def __exit__(self, *_: object) -> None:
        with self._admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self._admin.dispose()

    def transactions(self, engine: Engine) -> int:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT xact_commit + xact_rollback FROM pg_stat_database"
                        " WHERE datname = current_database()"
                    )
                ).scalar_one()
            )


def start_server(data_dir: Path, latency_ms: float) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "sidecar.demo", str(data_dir), "--latency-ms", str(latency_ms)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("READY "):
        process.terminate()
        raise SystemExit(f"the demo server did not start: {line!r}")
    return process, line.removeprefix("READY ")


def populate(services: Services, url: str, associations: int, every: float) -> None:
    """N associations, one source and one job each, every job due now."""
    now = datetime.now(UTC)
    with services.db.session() as session:
        first = Association(slug="a0", name="A0", settings={})
        session.add(first)
        session.flush()
        source = add_source(
            session, services.vault, first, "nc", url, DEMO_LOGIN, DEMO_USERS[DEMO_LOGIN],
            allow_private=True,
        )  # fmt: skip
        conn = connect(source, services.vault, deadline=60)
        try:
            found = probe(conn)  # once: every association sees the same account
        finally:
            conn.close()
    with services.db.session() as session:
        for n in range(associations):
            association = (
                session.scalar(select(Association).where(Association.slug == "a0"))
                if n == 0
                else Association(slug=f"a{n}", name=f"A{n}", settings={})
            )
            assert association is not None
            session.add(association)
            session.flush()
            existing = session.scalar(select(Source).where(Source.association_id == association.id))
            source = existing or Source(
                association_id=association.id,
                name="nc",
                base_url=url.rstrip("/") + "/",
                login=DEMO_LOGIN,
                password_enc=services.vault.encrypt(DEMO_USERS[DEMO_LOGIN]),
                capabilities={},
            )
            session.add(source)
            session.flush()
            record_discovery(session, source, found)
            # Straight into the table: the CLI's one-minute floor protects volunteers'
            # servers, this one is ours and answers in fixed time.
            session.add(
                SyncJob(
                    association_id=association.id,
                    source_id=source.id,
                    name="sync",
                    interval_seconds=int(every),
                    enabled=True,
                    next_run_at=now,
                )
            )


def quorum_env(services: Services, database_url: str, workers: int, mode: str) -> dict[str, str]:
    return {
        **os.environ,
        "QUORUM_DATA_DIR": str(services.settings.data_dir),
        "QUORUM_DATABASE_URL": database_url,
        "QUORUM_ALLOW_PRIVATE_ADDRESSES": "true",
        "QUORUM_SYNC_WORKERS": str(workers),
        "QUORUM_SYNC_PER_HOST": str(workers * 2),  # one host serves everyone here
        "QUORUM_TASK_QUEUE": "embedded" if mode == "embedded" else "procrastinate",
        "QUORUM_ALERTS_INTERVAL": "3600",
        "QUORUM_LOG_LEVEL": "WARNING",
    }


def start_quorum(mode: str, env: dict[str, str], log: IO[bytes]) -> list[subprocess.Popen[bytes]]:
    quorum = str(Path(sys.executable).with_name("quorum"))
    processes = [subprocess.Popen([quorum, "scheduler", "--tick", "1"], env=env, stderr=log)]
    for _ in range({"embedded": 0, "queue-1": 1, "queue-2": 2}[mode]):
        processes.append(subprocess.Popen([quorum, "worker"], env=env, stderr=log))
    return processes


def wait_warm(engine: Engine, associations: int, limit: float) -> None:
    """Until every job has finished its first (initial) sync, and the alerts cycles those
    first syncs called for have run: a steady state, where a poll changes nothing."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        with engine.connect() as conn:
            done = conn.execute(
                select(func.count(func.distinct(SyncRun.job_id))).where(
                    SyncRun.finished_at.is_not(None)
                )
            ).scalar_one()
            cycles_due = conn.execute(
                select(func.count()).where(
                    Association.alerts_due_at.is_(None)
                    | (Association.alerts_due_at <= datetime.now(UTC))
                )
            ).scalar_one()
        if done >= associations and cycles_due == 0:
            print(f"  warm: {done} initial syncs in {time.monotonic() - started:.0f} s", flush=True)
            return
        time.sleep(1)
    raise SystemExit(
        f"only {done} of {associations} jobs ran ({cycles_due} cycles due) in {limit:.0f} s"
    )


def sample_lags(engine: Engine, seconds: float) -> list[float]:
    """Each claim's start lag once: a job whose due time moved was claimed since the last look."""
    seen: dict[int, object] = {}
    lags: list[float] = []
    end = time.monotonic() + seconds
    query = select(SyncJob.id, SyncJob.next_run_at, SyncJob.last_lag_seconds)
    while time.monotonic() < end:
        with engine.connect() as conn:
            rows = conn.execute(query).all()
        for job_id, due, lag in rows:
            if job_id in seen and seen[job_id] != due and lag is not None:
                lags.append(float(lag))
            seen[job_id] = due
        time.sleep(0.5)
    return lags


def run(
    mode: str, args: argparse.Namespace, work: Path, server_url: str, server_pid: int
) -> Result:
    with Database(args.database) as database:
        data_dir = work / f"q-{mode}"
        settings = load_settings(
            environ={},
            overrides={
                "data_dir": str(data_dir),
                "database_url": database.url,
                "allow_private_addresses": "true",
            },
        )
        services = Services.from_settings(settings)
        populate(services, server_url, args.associations, args.every)
        engine = services.db.engine
        env = quorum_env(services, database.url, args.workers, mode)
        with (work / f"{mode}.log").open("wb") as log:
            processes = start_quorum(mode, env, log)
        try:
            wait_warm(engine, args.associations, args.warmup_limit)
            t0 = datetime.now(UTC)
            cpu0 = sum(cpu_seconds(p.pid) for p in processes)
            server0 = cpu_seconds(server_pid)
            machine0 = machine_cpu_seconds()
            tx0 = database.transactions(engine)
            lags = sample_lags(engine, args.seconds)
            tx1 = database.transactions(engine)
            cpu1 = sum(cpu_seconds(p.pid) for p in processes)
            server1 = cpu_seconds(server_pid)
            machine1 = machine_cpu_seconds()
            t1 = datetime.now(UTC)
            with engine.connect() as conn:
                window = (SyncRun.started_at >= t0, SyncRun.started_at < t1)
                polls = conn.execute(select(func.count()).where(*window)).scalar_one()
                duration = func.avg(
                    func.extract("epoch", SyncRun.finished_at)
                    - func.extract("epoch", SyncRun.started_at)
                )
                run_seconds = conn.execute(select(duration).where(*window)).scalar_one() or 0.0
                failed = conn.execute(
                    select(func.count()).where(*window, SyncRun.outcome == "failed")
                ).scalar_one()
                twice = conn.execute(
                    select(func.count()).select_from(
                        select(SyncRun.job_id)
                        .where(SyncRun.finished_at.is_(None), SyncRun.outcome == "running")
                        .group_by(SyncRun.job_id)
                        .having(func.count() > 1)
                        .subquery()
                    )
                ).scalar_one()
            if twice:
                print(f"  !! {twice} jobs had two runs at once", flush=True)
        finally:
            for p in processes:
                p.terminate()
            for p in processes:
                p.wait(timeout=60)
            with services.db.session() as session:  # leave nothing claimed for the drop
                session.execute(update(SyncJob).values(enabled=False))
            services.db.dispose()
        seconds = (t1 - t0).total_seconds()
        return Result(
            mode,
            args.associations,
            args.every,
            seconds,
            int(polls),
            int(failed),
            lags,
            cpu1 - cpu0,
            server1 - server0,
            tx1 - tx0,
            float(run_seconds),
            machine1 - machine0,
        )


def extrapolate(results: list[Result]) -> None:
    demand = TARGET_ASSOCIATIONS / TARGET_EVERY
    print(
        f"\nTarget: {TARGET_ASSOCIATIONS} associations every {TARGET_EVERY:.0f} s = {demand:.1f} polls/s"
    )
    for r in results:
        cpu_per_poll = r.quorum_cpu / r.polls if r.polls else math.nan
        saturated = r.polls_per_second < 0.95 * r.associations / r.every
        others = r.machine_cpu - r.quorum_cpu - r.server_cpu
        print(
            f"  {r.mode:9}: {r.polls_per_second:.1f} polls/s "
            f"({'its ceiling: demand was higher' if saturated else 'demand met'}); "
            f"at {demand:.1f} polls/s it would need {demand * cpu_per_poll:.2f} cores of CPU"
        )
        print(
            f"  {'':9}  the machine was busy {r.machine_cpu / r.seconds:.2f} of {os.cpu_count()} "
            f"cores: Quorum {r.quorum_cpu / r.seconds:.2f}, the demo server "
            f"{r.server_cpu / r.seconds:.2f}, the rest (PostgreSQL, this script) "
            f"{others / r.seconds:.2f}"
        )
    by_mode = {r.mode: r for r in results}
    if "queue-1" in by_mode and "queue-2" in by_mode:
        ratio = by_mode["queue-2"].polls_per_second / max(by_mode["queue-1"].polls_per_second, 1e-9)
        print(f"  two workers / one worker: {ratio:.2f}x polls/s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--associations", type=int, default=300)
    parser.add_argument("--every", type=float, default=10.0, help="Seconds between two polls.")
    parser.add_argument("--seconds", type=float, default=60.0, help="Measured window.")
    parser.add_argument("--workers", type=int, default=8, help="QUORUM_SYNC_WORKERS per process.")
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--modes", default="embedded,queue-1,queue-2")
    parser.add_argument("--warmup-limit", type=float, default=900.0)
    parser.add_argument(
        "--database",
        default=os.environ.get("QUORUM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1/test"),
        help="PostgreSQL server (a database of its own is created on it for each run).",
    )
    args = parser.parse_args(argv)
    # SIGTERM ends the run like Ctrl-C: the processes stop and the database is dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    results = []
    with tempfile.TemporaryDirectory(prefix="quorum-scale-") as tmp:
        work = Path(tmp)
        from sidecar.demo.seed import seed

        seed(work / "demo", datetime.now(UTC).date())
        server, url = start_server(work / "demo", args.latency_ms)
        try:
            print(f"demo server {url}, {args.latency_ms:.0f} ms per answer\n{HEADER}", flush=True)
            for mode in args.modes.split(","):
                result = run(mode, args, work, url, server.pid)
                print(result.line(), flush=True)
                results.append(result)
        finally:
            server.terminate()
            server.wait(timeout=30)
    extrapolate(results)


if __name__ == "__main__":
    main()
