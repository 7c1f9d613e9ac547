"""Scale-out: the scheduler defers due work to PostgreSQL; two `quorum worker` processes run it,
each trigger exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from sidecar import task_queue
from sidecar.config import load_settings
from sidecar.context import Services, resolve_association
from sidecar.demo import DEMO_LOGIN, DEMO_USERS, DemoServer
from sidecar.errors import ConfigError
from sidecar.scheduler import Scheduler
from sidecar.services import jobs, sources
from sidecar.storage.models import SyncJob, SyncRun
from sidecar.sync.connection import connect

JOBS = 16


@pytest.fixture
def queue_services(services: Services, database_url: str) -> Iterator[Services]:
    if not database_url.startswith("postgresql"):
        pytest.skip("the task queue lives in PostgreSQL")
    from dataclasses import replace

    services.settings = replace(services.settings, task_queue="procrastinate")
    yield services


def _jobs(services: Services, url: str, due: datetime) -> list[int]:
    ids = []
    with services.db.session() as session:
        association = resolve_association(session, None, create=True)
        for n in range(JOBS):
            source = sources.add_source(
                session, services.vault, association, f"nc{n}", url, DEMO_LOGIN,
                DEMO_USERS[DEMO_LOGIN], allow_private=True,
            )  # fmt: skip
            conn = connect(source, services.vault, deadline=30)
            try:
                sources.record_discovery(session, source, sources.probe(conn))
            finally:
                conn.close()
            session.flush()
            ids.append(
                jobs.create_job(session, association, source, f"j{n}", every="1h", now=due).id
            )
    return ids


def _worker(services: Services, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "QUORUM_DATA_DIR": str(services.settings.data_dir),
        "QUORUM_DATABASE_URL": services.settings.database_url,
        "QUORUM_ALLOW_PRIVATE_ADDRESSES": "true",
        "QUORUM_TASK_QUEUE": "procrastinate",
        "QUORUM_SYNC_WORKERS": "2",
    }
    quorum = str(Path(sys.executable).with_name("quorum"))  # the installed entry point
    command = [quorum, "worker", "--keep-finished"]
    with log.open("wb") as out:  # the child keeps its own copy of the file
        return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=out)


def test_two_workers_run_each_trigger_once(
    queue_services: Services, demo_server: DemoServer
) -> None:
    services = queue_services
    now = datetime.now(UTC)
    ids = _jobs(services, demo_server.url, now - timedelta(seconds=1))
    scheduler = Scheduler(services, holder="a")
    assert scheduler.tick(now) == []  # queue mode: the scheduler defers, it runs nothing
    assert scheduler.tick(now) == []  # a second look defers nothing twice
    # A second scheduler (a clock jump: both think they hold the lease) defers them again,
    # under other queueing locks: the claims still run each trigger once.
    queue_app = task_queue.producer(services.settings).open()
    try:
        for job_id in ids:
            queue_app.configure_task("quorum.sync_job", queueing_lock=f"again:{job_id}").defer(
                job_id=job_id
            )
    finally:
        queue_app.close()
    logs = [services.settings.data_dir / f"worker{n}.log" for n in range(2)]
    workers = [_worker(services, log) for log in logs]
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with services.db.engine.connect() as conn:
                waiting = conn.execute(
                    text(
                        "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
                    )
                ).scalar_one()
            if waiting == 0:
                break
            assert all(w.poll() is None for w in workers), [p.read_text() for p in logs]
            time.sleep(0.5)
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
        for w in workers:
            w.wait(timeout=30)
    assert waiting == 0
    with services.db.session() as session:
        per_job = dict(
            session.execute(select(SyncRun.job_id, func.count()).group_by(SyncRun.job_id)).all()
        )
        outcomes = set(session.scalars(select(SyncRun.outcome)))
        assert all(j.running_since is None for j in session.scalars(select(SyncJob)))
    assert per_job == dict.fromkeys(ids, 1)
    assert outcomes == {"ok"}
    runs_by_worker = [p.read_text().count("sidecar.task_queue:sync run") for p in logs]
    assert sum(runs_by_worker) == JOBS
    assert min(runs_by_worker) > 0, runs_by_worker  # both workers took a share


def test_the_worker_refuses_without_the_queue_setting(services: Services) -> None:
    from click.testing import CliRunner

    from sidecar.cli import cli

    env = {
        "QUORUM_DATA_DIR": str(services.settings.data_dir),
        "QUORUM_DATABASE_URL": services.settings.database_url,
    }
    result = CliRunner().invoke(cli, ["worker"], env=env)
    assert result.exit_code == 1 and "QUORUM_TASK_QUEUE=procrastinate" in result.output


def test_conninfo_needs_postgresql() -> None:
    assert task_queue.conninfo("postgresql+psycopg://u@h/db?x=1") == "postgresql://u@h/db?x=1"
    with pytest.raises(ConfigError, match="needs PostgreSQL"):
        task_queue.conninfo("sqlite:///q.db")
    settings = load_settings(environ={"QUORUM_TASK_QUEUE": "procrastinate"})
    assert settings.task_queue == "procrastinate"
