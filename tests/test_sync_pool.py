"""Concurrent sync: atomic claims under contention, per-host limits, earliest due first."""

from __future__ import annotations

import shutil
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from sidecar.config import load_settings
from sidecar.context import Services, resolve_association
from sidecar.demo import DEMO_LOGIN, DEMO_USERS, DemoServer
from sidecar.demo.seed import seed
from sidecar.scheduler import Scheduler
from sidecar.services import jobs, sources
from sidecar.services.sync_pool import DueJob, PoolLimits, SyncPool, due_jobs, host_of
from sidecar.storage.models import Association, Source, SyncJob, SyncRun
from sidecar.sync.connection import connect
from sidecar.sync.runner import RunReport

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def _source(services: Services, name: str, url: str, *, probe: bool = False) -> int:
    with services.db.session() as session:
        association = resolve_association(session, None, create=True)
        source = sources.add_source(
            session,
            services.vault,
            association,
            name,
            url,
            DEMO_LOGIN,
            DEMO_USERS[DEMO_LOGIN],
            allow_private=True,
        )
        if probe:
            conn = connect(source, services.vault, deadline=30)
            try:
                sources.record_discovery(session, source, sources.probe(conn))
            finally:
                conn.close()
        session.flush()
        return source.id


def _job(services: Services, source_id: int, name: str, due: datetime) -> int:
    with services.db.session() as session:
        association = resolve_association(session, None)
        source = session.get(Source, source_id)
        assert source is not None
        return jobs.create_job(session, association, source, name, every="15m", now=due).id


def test_two_claimers_never_get_the_same_job(services: Services) -> None:
    """Eight threads race for the same 30 due jobs: each job is won exactly once (SQLite and
    PostgreSQL, through the ``services`` fixture's database_url)."""
    ids = [
        _job(services, _source(services, f"s{n}", f"http://127.0.0.1:9/{n}/"), f"j{n}", NOW)
        for n in range(30)
    ]
    wins: Counter[int] = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def claimer() -> None:
        try:
            barrier.wait()
            for job_id in ids:
                if jobs.claim(services.db, job_id, NOW + timedelta(seconds=1), 900, due=True):
                    with lock:
                        wins[job_id] += 1
        except BaseException as err:  # reported in the test's thread
            errors.append(err)

    threads = [threading.Thread(target=claimer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert wins == Counter(dict.fromkeys(ids, 1))
    # Claimed jobs are running: the pool's due query leaves them out.
    assert due_jobs(services.db, NOW + timedelta(seconds=2), 900) == []


def test_the_pool_starts_earliest_due_first_within_its_limits() -> None:
    started: list[int] = []
    gate = threading.Event()

    def run(job_id: int) -> RunReport | None:
        started.append(job_id)
        gate.wait(timeout=30)
        return None

    pool = SyncPool(run, PoolLimits(workers=3, per_host=2))
    at = [NOW + timedelta(seconds=n) for n in range(5)]
    offered = [
        DueJob(1, 1, "slow:443", at[0]),
        DueJob(2, 2, "slow:443", at[1]),
        DueJob(3, 3, "slow:443", at[2]),  # the slow host has its two: skipped
        DueJob(4, 4, "fast:443", at[3]),
        DueJob(5, 5, "fast:443", at[4]),  # the pool is full
    ]
    try:
        assert pool.offer(offered) == [1, 2, 4]
        assert pool.offer([DueJob(6, 4, "other:443", at[4])]) == []  # pool full
    finally:
        gate.set()
        assert pool.shutdown(grace=10)
    assert sorted(started) == [1, 2, 4]
    assert [job for job, _ in pool.drain()] != []


def test_host_is_host_and_port() -> None:
    assert host_of("https://Cloud.Example.org/remote.php") == "cloud.example.org"
    assert host_of("http://127.0.0.1:8080/") == "127.0.0.1:8080"


@pytest.fixture
def slow_demo_server(tmp_path: Path, demo_seed_template: Path) -> Iterator[DemoServer]:
    """A second demo Nextcloud on another port; the test slows it down once its sources are set up."""
    data_dir = tmp_path / "slow"
    shutil.copytree(demo_seed_template, data_dir)
    info = seed(data_dir, NOW.date())
    server = DemoServer(data_dir, seed_info=info).start()
    yield server
    server.stop()


def test_a_slow_host_does_not_starve_the_others(
    tmp_path: Path,
    demo_server: DemoServer,
    slow_demo_server: DemoServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Three jobs on a slow host are due first; the fast host's four still run beside them,
    and neither host ever has more than ``sync_per_host`` runs at a time."""
    overrides = {
        "data_dir": str(tmp_path / "q"),
        "allow_private_addresses": "true",
        "sync_workers": "4",
        "sync_per_host": "2",
    }
    services = Services.from_settings(load_settings(environ={}, overrides=overrides))
    slow = [_source(services, f"slow{n}", slow_demo_server.url, probe=True) for n in range(3)]
    fast = [_source(services, f"fast{n}", demo_server.url, probe=True) for n in range(4)]
    for n, source_id in enumerate(slow):
        _job(services, source_id, f"slow{n}", NOW - timedelta(minutes=10))
    for n, source_id in enumerate(fast):
        _job(services, source_id, f"fast{n}", NOW - timedelta(minutes=5))
    slow_demo_server.latency = 0.4  # each answer of the slow host now takes 0.4 s
    scheduler = Scheduler(services, holder="a")
    # The pool is under test, not the alerts cycles the tick runs after it (they would read
    # every source's shares from the slow host, one answer after another).
    monkeypatch.setattr(scheduler._alerts, "run_inline", lambda changed, now: None)
    reports = scheduler.tick(NOW)
    assert len(reports) == 7 and {r.outcome for r in reports} == {"ok"}
    with services.db.session() as session:
        runs = list(
            session.execute(
                select(Source.name, SyncRun.started_at, SyncRun.finished_at).join(
                    SyncRun, SyncRun.source_id == Source.id
                )
            )
        )
    assert all(f is not None for _, _, f in runs)
    spans = [(n, s, f) for n, s, f in runs if f is not None]
    slow_runs = sorted((s, f) for name, s, f in spans if name.startswith("slow"))
    fast_runs = [(s, f) for name, s, f in spans if name.startswith("fast")]
    first_slow_end = min(f for _, f in slow_runs)
    assert all(f <= first_slow_end for _, f in fast_runs), "the fast host waited for the slow one"
    for name in ("slow", "fast"):
        host_spans = [(s, f) for n, s, f in spans if n.startswith(name)]
        assert _most_at_once(host_spans) <= 2, f"the {name} host had more than two runs at once"
    services.db.dispose()


def _most_at_once(spans: list[tuple[datetime, datetime]]) -> int:
    edges = sorted([(s, 1) for s, _ in spans] + [(f, -1) for _, f in spans])
    most = running = 0
    for _, step in edges:
        running += step
        most = max(most, running)
    return most


def test_disabled_association_jobs_are_not_due(services: Services) -> None:
    job_id = _job(services, _source(services, "s", "http://127.0.0.1:9/"), "j", NOW)
    assert [j.job_id for j in due_jobs(services.db, NOW, 900)] == [job_id]
    with services.db.session() as session:
        association = session.scalars(select(Association)).one()
        association.disabled_at = NOW
    assert due_jobs(services.db, NOW, 900) == []
    with services.db.session() as session:
        job = session.get(SyncJob, job_id)
        assert job is not None and job.running_since is None
