"""The scheduler: one lease holder, one run per trigger, 401 pauses, 429 Retry-After honoured."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import responses
from sqlalchemy import func, select

from sidecar.cli.demo import connect_demo_source
from sidecar.config import load_settings
from sidecar.context import Services, resolve_association
from sidecar.demo import DemoServer
from sidecar.scheduler import LEASE_NAME, Scheduler
from sidecar.services import jobs
from sidecar.storage.leases import acquire_lease
from sidecar.storage.models import Collection, Source, SyncJob, SyncRun

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


@pytest.fixture
def services(tmp_path: Path) -> Services:
    overrides = {"data_dir": str(tmp_path / "q"), "allow_private_addresses": "true"}
    return Services.from_settings(load_settings(environ={}, overrides=overrides))


def _job(services: Services, source_id: int, name: str, now: datetime = NOW) -> int:
    with services.db.session() as session:
        association = resolve_association(session, None)
        source = session.get(Source, source_id)
        assert source is not None
        return jobs.create_job(session, association, source, name, every="15m", now=now).id


def _runs(services: Services) -> int:
    with services.db.session() as session:
        return int(session.scalar(select(func.count(SyncRun.id))) or 0)


def test_one_lease_holder_and_takeover(services: Services) -> None:
    a = Scheduler(services, holder="a", lease_seconds=30)
    b = Scheduler(services, holder="b", lease_seconds=30)
    assert a.renew(NOW) and not b.renew(NOW)
    assert a.renew(NOW + timedelta(seconds=20))  # renewal pushes the expiry
    assert not b.renew(NOW + timedelta(seconds=40))
    assert b.renew(NOW + timedelta(seconds=51))  # a stopped renewing: taken over
    assert not a.renew(NOW + timedelta(seconds=52))
    b.stop()
    assert acquire_lease(services.db, LEASE_NAME, "c", 30, NOW + timedelta(seconds=53))


def test_two_schedulers_started_at_once_run_each_job_once(
    services: Services, demo_server: DemoServer
) -> None:
    source_id = connect_demo_source(services, demo_server.url)
    ids = [_job(services, source_id, "files"), _job(services, source_id, "again")]
    schedulers = [Scheduler(services, holder=h) for h in ("a", "b")]
    for s in schedulers:
        s._holding.set()  # both believe they hold the lease (say, a clock jump): claims decide
    barrier = threading.Barrier(2)
    tick_at = NOW + timedelta(seconds=1)

    def tick(s: Scheduler) -> None:
        barrier.wait()
        s.tick(tick_at)

    threads = [threading.Thread(target=tick, args=(s,)) for s in schedulers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    with services.db.session() as session:
        per_job = dict(
            session.execute(select(SyncRun.job_id, func.count()).group_by(SyncRun.job_id)).all()
        )
        rows = {j.id: j for j in session.scalars(select(SyncJob))}
    assert per_job == {ids[0]: 1, ids[1]: 1}
    assert all(j.running_since is None for j in rows.values())
    assert all(j.next_run_at == tick_at + timedelta(minutes=15) for j in rows.values())
    for s in schedulers:  # same trigger again: nothing is due any more
        assert s.tick(tick_at + timedelta(seconds=5)) == []
    assert _runs(services) == 2


def test_a_running_job_is_not_claimed_again_until_its_claim_is_stale(
    services: Services, demo_server: DemoServer
) -> None:
    job_id = _job(services, connect_demo_source(services, demo_server.url), "files")
    assert jobs.claim(services.db, job_id, NOW, 900, due=False)
    assert not jobs.claim(services.db, job_id, NOW + timedelta(seconds=899), 900, due=False)
    assert jobs.claim(services.db, job_id, NOW + timedelta(seconds=901), 900, due=False)


def test_401_pauses_the_job_with_one_message_and_no_retry(
    services: Services, demo_server: DemoServer
) -> None:
    with services.db.session() as session:
        association = resolve_association(session, None, create=True)
        source = Source(
            association_id=association.id,
            name="wrong",
            base_url=demo_server.url + "/",
            login="alice",
            password_enc=services.vault.encrypt("not-the-password"),
            capabilities={"user_id": "alice"},
        )
        source.collections.append(Collection(kind="folder", remote_path="/", display_name="/"))
        session.add(source)
        session.flush()
        source_id = source.id
    job_id = _job(services, source_id, "wrong")
    scheduler = Scheduler(services, holder="a")
    [report] = scheduler.tick(NOW + timedelta(seconds=1))
    assert report.outcome == "failed"
    with services.db.session() as session:
        job = session.get(SyncJob, job_id)
        assert job is not None and job.paused_reason
        assert jobs.view(job).state == "blocked"
    demo_server.stats.reset()
    assert scheduler.tick(NOW + timedelta(hours=1)) == []  # paused: no retry loop
    assert demo_server.stats.total == 0
    with services.db.session() as session:
        job = session.get(SyncJob, job_id)
        assert job is not None
        jobs.resume_job(job, NOW + timedelta(hours=1))
        assert job.paused_reason is None and job.enabled


@responses.activate
def test_429_retry_after_is_honoured(services: Services) -> None:
    """Shaped with `responses`: the demo server never answers 429 (files path uses requests)."""
    url = "https://cloud.example.org/remote.php/dav/files/alice/"
    responses.add("PROPFIND", url, status=429, headers={"Retry-After": "3600"})
    with services.db.session() as session:
        association = resolve_association(session, None, create=True)
        source = Source(
            association_id=association.id,
            name="busy",
            base_url="https://cloud.example.org/",
            login="alice",
            password_enc=services.vault.encrypt("pw"),
            capabilities={"user_id": "alice"},
        )
        source.collections.append(Collection(kind="folder", remote_path="/", display_name="/"))
        session.add(source)
        session.flush()
        source_id = source.id
    now = datetime.now(UTC)
    job_id = _job(services, source_id, "busy", now=now)
    scheduler = Scheduler(services, holder="a")
    [report] = scheduler.tick(now)
    assert report.outcome == "failed" and len(responses.calls) == 1
    with services.db.session() as session:
        job, src = session.get(SyncJob, job_id), session.get(Source, source_id)
        assert job is not None and src is not None and src.retry_after is not None
        assert src.retry_after >= now + timedelta(seconds=3590)
        assert job.next_run_at == src.retry_after  # an hour, not the 15-minute interval
    # Run now by hand while the server still asks to wait: deferred, no request sent.
    report_now = jobs.run_job(services.db, services.vault, job_id, due=False)
    assert report_now is not None and report_now.outcome == "deferred"
    assert len(responses.calls) == 1
