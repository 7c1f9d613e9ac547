"""Issue 13, item 6: a webhook that never answers neither holds up sync nor keeps a stopped
scheduler alive.

A real ``quorum scheduler`` process, the demo server and a real HTTP server on 127.0.0.1 that
reads each POST and then says nothing for a minute (longer than the webhook's read timeout).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select, update

from sidecar.alerts.channels import webhook
from sidecar.alerts.cycle import run_cycle
from sidecar.config import load_settings
from sidecar.context import Services
from sidecar.demo import DemoServer
from sidecar.services import jobs
from sidecar.storage.models import Association, Delivery, Source, SyncJob
from tests.alerts.helpers import add_channel
from tests.sync.helpers import connect, sync

STALL = 60.0


class Silent(BaseHTTPRequestHandler):
    posts: list[float] = []  # noqa: RUF012 (one server per test, reset by the fixture)
    release = threading.Event()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        Silent.posts.append(time.monotonic())
        Silent.release.wait(STALL)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def silent_url() -> Iterator[str]:
    Silent.posts = []
    Silent.release = threading.Event()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Silent)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    Silent.release.set()
    server.shutdown()
    server.server_close()


def _wait(check: object, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def test_a_silent_webhook_holds_neither_sync_nor_ctrl_c(
    demo_server: DemoServer, silent_url: str, tmp_path: Path
) -> None:
    overrides = {"data_dir": str(tmp_path / "data"), "allow_private_addresses": "true"}
    services = Services.from_settings(load_settings(environ={}, overrides=overrides))
    try:
        source_id = connect(services, demo_server.url)
        sync(services, source_id)
        with services.db.session() as session:
            association = session.scalars(select(Association)).one()
            association.alerts_due_at = None  # its alerts cycle is due at once
            aid = association.id
            source = session.get(Source, source_id)
            assert source is not None
            later = datetime(2100, 1, 1, tzinfo=UTC)  # due only when the test says so
            jobs.create_job(session, association, source, "files", every="15m", now=later)
        add_channel(services, aid, "hook", "webhook", url=silent_url)
        env = {
            **os.environ,
            "QUORUM_DATA_DIR": overrides["data_dir"],
            "QUORUM_ALLOW_PRIVATE_ADDRESSES": "true",
            "PYTHONFAULTHANDLER": "1",  # SIGABRT below prints where every thread waits
        }
        log = tmp_path / "scheduler.log"
        command = [sys.executable, "-c", "from sidecar.cli import main; main()"]
        with log.open("wb") as err:  # a file, not a pipe: a full pipe would block the process
            process = subprocess.Popen(
                [*command, "scheduler", "--tick", "0.5"], env=env, stdout=err, stderr=err
            )
        try:
            assert _wait(lambda: Silent.posts, 60), "the alerts cycle never posted"
            # The webhook holds its answer: a sync made due now still runs at once.
            made_due = datetime.now(UTC)
            with services.db.session() as session:
                session.execute(update(SyncJob).values(next_run_at=made_due))

            def synced() -> bool:  # a run moves the job's next run into the future
                with services.db.session() as session:
                    due = session.scalar(select(SyncJob.next_run_at))
                    return due is not None and due.replace(tzinfo=UTC) > made_due

            if not _wait(synced, 30):
                process.send_signal(signal.SIGABRT)
                process.wait(timeout=10)
                raise AssertionError(f"a stalled webhook held up the sync:\n{log.read_text()}")
            stopped_at = time.monotonic()
            process.send_signal(signal.SIGINT)
            process.wait(timeout=STALL)
            took = time.monotonic() - stopped_at
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        output = log.read_text()
        assert took < 5, f"Ctrl-C took {took:.1f} s while a webhook stalled:\n{output}"
        assert "Traceback" not in output, output
        assert process.returncode == 0, output
        assert len(Silent.posts) == 1, "the stalled message was posted again"
    finally:
        services.db.dispose()


def test_a_channel_that_answers_late_waits_for_the_next_pass(
    demo_server: DemoServer, silent_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nine messages to a webhook that never answers took nine read timeouts in one pass:
    after the first late answer, that channel's other messages wait for the next pass."""
    monkeypatch.setattr(webhook, "TIMEOUT", (5.0, 0.3))
    overrides = {"data_dir": str(tmp_path / "data"), "allow_private_addresses": "true"}
    services = Services.from_settings(load_settings(environ={}, overrides=overrides))
    try:
        sync(services, connect(services, demo_server.url))
        with services.db.session() as session:
            aid = session.scalars(select(Association.id)).one()
        hook = add_channel(services, aid, "hook", "webhook", url=silent_url)
        now = datetime.now(UTC)
        first = run_cycle(services, aid, now).report.sent
        with services.db.session() as session:
            states = Counter(
                session.scalars(select(Delivery.state).where(Delivery.channel_id == hook))
            )
        assert len(Silent.posts) == 1 and first.sent == 1
        assert states["pending"] >= 2, states  # left for the next pass, not failed
        assert states["failed"] == 0
        second = run_cycle(services, aid, now + timedelta(minutes=1)).report.sent
        assert len(Silent.posts) == 2 and second.sent == 1
    finally:
        services.db.dispose()
