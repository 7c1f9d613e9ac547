"""Production serving: gunicorn with 4 workers runs each trigger once; the wheel serves the UI.

Both start real processes on free ports and are marked ``slow``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import select

from sidecar.cli.demo import connect_demo_source
from sidecar.config import load_settings
from sidecar.context import Services, resolve_association
from sidecar.demo import DemoServer
from sidecar.storage.models import SyncJob, SyncRun

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
INTERVAL = 3  # seconds: below the CLI's minimum, written straight into the table
RUNS = 3  # runs to watch: the test waits for them rather than for a fixed time
WATCH_LIMIT = 120.0  # seconds: only a broken scheduler takes that long


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, timeout: float = 60.0) -> int:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                return int(answer.status)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


@contextmanager
def running(
    command: list[str], env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            process.terminate()  # SIGTERM: gunicorn's graceful shutdown
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for_runs(services: Services, job_id: int, count: int, *, timeout: float) -> list[SyncRun]:
    """The job's finished runs, once there are ``count`` of them (or at ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        with services.db.session() as session:
            runs = list(
                session.scalars(
                    select(SyncRun)
                    .where(SyncRun.job_id == job_id, SyncRun.finished_at.is_not(None))
                    .order_by(SyncRun.started_at)
                )
            )
        if len(runs) >= count or time.monotonic() > deadline:
            return runs
        time.sleep(0.5)


@pytest.mark.slow
def test_gunicorn_with_four_workers_runs_each_trigger_once(
    tmp_path: Path, demo_server: DemoServer
) -> None:
    data_dir = tmp_path / "q"
    settings = load_settings(
        environ={}, overrides={"data_dir": str(data_dir), "allow_private_addresses": "true"}
    )
    services = Services.from_settings(settings)  # migrates, as `quorum db upgrade` would
    try:
        source_id = connect_demo_source(services, demo_server.url)
        with services.db.session() as session:
            association = resolve_association(session, None)
            job = SyncJob(
                association_id=association.id,
                source_id=source_id,
                name="often",
                interval_seconds=INTERVAL,
                enabled=True,
                next_run_at=datetime.now(UTC),
            )
            session.add(job)
            session.flush()
            job_id = job.id
        port = free_port()
        env = {
            **os.environ,
            "QUORUM_DATA_DIR": str(data_dir),
            "QUORUM_ALLOW_PRIVATE_ADDRESSES": "true",
            "QUORUM_SCHEDULER": "true",
            "QUORUM_SCHEDULER_TICK": "1",
        }
        command = [str(BIN / "gunicorn"), "-w", "4", "-b", f"127.0.0.1:{port}"]
        command += ["--graceful-timeout", "30", "sidecar.wsgi:app"]
        with running(command, env, tmp_path / "gunicorn.log"):
            assert wait_for(f"http://127.0.0.1:{port}/healthz") == 200
            watched = time.monotonic()
            runs = _wait_for_runs(services, job_id, RUNS, timeout=WATCH_LIMIT)
            watched = time.monotonic() - watched
    finally:
        services.db.dispose()
    log = (tmp_path / "gunicorn.log").read_text(errors="replace")
    assert "Booting worker" in log and log.count("Booting worker") >= 4, log
    starts = [run.started_at for run in runs]
    # Four schedulers without coordination would give about four runs per trigger: the count is
    # bounded by the time actually watched (however slow the machine), and no two runs are closer
    # than the interval.
    assert RUNS <= len(runs) <= watched / INTERVAL + 2, (starts, log)
    gaps = [later - earlier for earlier, later in pairwise(starts)]
    assert all(gap >= timedelta(seconds=INTERVAL - 0.5) for gap in gaps), gaps
    assert all(run.outcome in {"ok", "partial"} for run in runs), [r.error for r in runs]


@pytest.mark.slow
def test_the_wheel_installed_in_a_fresh_venv_serves_the_ui(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    [wheel] = dist.glob("quorum_sidecar-*.whl")
    venv = tmp_path / "venv"
    # A bare venv, filled by this pip (``--python``) without compiling to bytecode: the same
    # packages land in it, in a third of the time ensurepip and compiling took.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python")]
    subprocess.run(
        [*pip, "install", "--quiet", "--no-compile", str(wheel)],
        check=True,
        capture_output=True,
        timeout=900,
    )
    # The benchmark's baseline clients are an extra, not in every install and image.
    for absent in ("caldav", "webdav3"):
        found = subprocess.run(
            [str(venv / "bin" / "python"), "-c", f"import {absent}"], capture_output=True
        )
        assert found.returncode != 0, f"{absent} was installed with the wheel"
    port = free_port()
    env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "QUORUM_DATA_DIR": str(tmp_path / "data"),
    }
    command = [str(venv / "bin" / "quorum"), "serve", "--port", str(port)]
    with running(command, env, tmp_path / "serve.log"):
        wait_for(f"http://127.0.0.1:{port}/healthz")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as answer:
            page = answer.read().decode("utf-8")
            assert answer.status == 200
    assert "Quorum" in page and "<html" in page.lower()
