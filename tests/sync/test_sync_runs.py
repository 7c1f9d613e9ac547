"""Runs that race, run out of time, or are killed half-way leave a consistent mirror."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from sqlalchemy import func, select

from sidecar.context import Services
from sidecar.demo import DemoServer
from sidecar.storage.models import CalendarObjectRecord, FileRecord, SyncRun
from sidecar.sync import files as files_sync
from sidecar.sync import runner
from sidecar.sync.runner import RunOptions, run_source
from tests.sync.helpers import connect, count, mirrored_files, mirrored_uids, sync


def test_two_runs_at_once_never_duplicate_and_never_stay_running(
    services: Services, demo_server: DemoServer
) -> None:
    source_id = connect(services, demo_server.url)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def one() -> None:
        barrier.wait()
        outcomes.append(sync(services, source_id).outcome)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 2 and "ok" in outcomes, outcomes
    with services.db.session() as session:
        running = session.scalar(
            select(func.count()).select_from(SyncRun).where(SyncRun.outcome == "running")
        )
        hrefs = session.scalar(select(func.count(CalendarObjectRecord.href.distinct())))
    assert running == 0
    assert hrefs == count(services, CalendarObjectRecord), "no object mirrored twice"
    assert sync(services, source_id).outcome == "ok"


def test_run_deadline_stops_before_applying(services: Services, demo_server: DemoServer) -> None:
    source_id = connect(services, demo_server.url)
    report = run_source(
        services.db, services.vault, source_id, options=RunOptions(run_deadline=0.0)
    )
    assert report.outcome == "failed"
    assert report.error is not None and "longer than 0 s" in report.error
    assert count(services, FileRecord) == 0 and count(services, CalendarObjectRecord) == 0


def test_a_run_killed_while_applying_leaves_the_previous_state(
    services: Services, fresh_demo_server: DemoServer
) -> None:
    source_id = connect(services, fresh_demo_server.url)
    sync(services, source_id)
    before_files, before_uids = mirrored_files(services), mirrored_uids(services)
    root = fresh_demo_server.data_dir / "files" / "alice"
    (root / "Association" / "Nouveau document.pdf").write_bytes(b"%PDF-1.4 new")
    real_apply = files_sync.apply_folder

    def crash(*args: object, **kwargs: object) -> object:
        real_apply(*args, **kwargs)  # type: ignore[arg-type]
        raise KeyboardInterrupt  # the process is killed half-way through the transaction

    with mock.patch.object(runner, "apply_folder", crash), pytest.raises(KeyboardInterrupt):
        sync(services, source_id)
    assert mirrored_files(services) == before_files, "nothing of the killed run was kept"
    assert mirrored_uids(services) == before_uids
    report = sync(services, source_id)
    assert report.outcome == "ok" and report.counts.added == 1
    assert "/Association/Nouveau document.pdf" in mirrored_files(services)
    later = datetime.now(UTC) + timedelta(hours=2)
    run_source(services.db, services.vault, source_id, now=later)
    with services.db.session() as session:
        outcomes = [r.outcome for r in session.scalars(select(SyncRun).order_by(SyncRun.id))]
    assert "running" not in outcomes and "abandoned" in outcomes


def test_a_run_started_while_the_interpreter_shuts_down_still_completes(
    services: Services, demo_server: DemoServer
) -> None:
    """At a web worker's exit no new thread may start: files are then planned in line."""
    source_id = connect(services, demo_server.url)

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("can't create new thread at interpreter shutdown")

    with mock.patch("sidecar.sync.runner._in_background", refuse):
        report = sync(services, source_id)
    assert report.outcome == "ok", report.error
    assert "/Comptabilité/" in mirrored_files(services) and mirrored_uids(services)
