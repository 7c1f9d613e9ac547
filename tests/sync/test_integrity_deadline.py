"""Issue 13, item 6 (the sync side): the job's deadline holds inside one collection, a run over
its deadline (or whose claim was taken over) is abandoned and never applied late, and no two runs
of one job overlap.

Against the demo server behind a fault-injecting proxy that slows or intercepts requests; on
SQLite and PostgreSQL. No timing assertion: the slow answer says whether the run waited for it.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from sidecar.context import Services, resolve_association
from sidecar.services import jobs
from sidecar.storage.models import Source, SyncJob
from tests.sync.helpers import connect, sync
from tests.sync.proxy import Proxied, Reply, Seen, is_sync_report
from tests.sync.test_integrity_guard import add_event, calendar_objects


def make_job(services: Services, source_id: int) -> int:
    with services.db.session() as session:
        association = resolve_association(session, None, create=True)
        source = session.get(Source, source_id)
        assert source is not None
        job = jobs.create_job(session, association, source, "toutes-les-heures", every="1h")
        session.flush()
        return job.id


class SlowConseil:
    """Holds the conseil calendar's sync answer back for ``seconds`` or until ``release()``;
    ``answered`` is set once the server would have answered."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.answered = threading.Event()
        self._released = threading.Event()

    def __call__(self, seen: Seen) -> Reply | None:
        if is_sync_report(seen) and "/conseil/" in seen.path:
            self._released.wait(self.seconds)
            self.answered.set()
        return None

    def release(self) -> None:
        """Let the held answer go now: the test has seen what it waited for."""
        self._released.set()


def test_the_deadline_stops_a_run_inside_one_collection(
    services: Services, proxied: Proxied
) -> None:
    source_id = connect(services, proxied.url)
    sync(services, source_id)
    job_id = make_job(services, source_id)
    add_event(proxied.url, "conseil", "trop-tard")
    add_event(proxied.url, "bureau", "a-temps")
    slow = SlowConseil(6)
    proxied.proxy.rules.append(slow)
    limits = jobs.JobLimits(http_timeout=60, job_timeout=1)
    report = jobs.run_job(services.db, services.vault, job_id, due=False, limits=limits)
    assert not slow.answered.is_set(), "the run stopped at its limit, inside the collection"
    slow.release()
    assert report is not None and report.outcome == "failed", report
    assert "longer than 1 s" in (report.error or "")
    assert not any(h.endswith("/a-temps.ics") for h in calendar_objects(services, "bureau")), (
        "nothing of an abandoned run is applied"
    )
    proxied.proxy.clear()
    assert sync(services, source_id).outcome == "ok"
    assert any(h.endswith("/trop-tard.ics") for h in calendar_objects(services, "conseil"))


def test_a_run_whose_claim_was_taken_over_is_not_applied(
    services: Services, proxied: Proxied
) -> None:
    source_id = connect(services, proxied.url)
    sync(services, source_id)
    job_id = make_job(services, source_id)
    add_event(proxied.url, "bureau", "doublon")

    def take_over(seen: Seen) -> Reply | None:
        if is_sync_report(seen) and "/bureau/" in seen.path:
            with services.db.session() as session:  # another scheduler took the claim over
                session.execute(
                    update(SyncJob)
                    .where(SyncJob.id == job_id)
                    .values(running_since=datetime.now(UTC) + timedelta(hours=1))
                )
        return None

    proxied.proxy.rules.append(take_over)
    report = jobs.run_job(services.db, services.vault, job_id, due=False)
    assert report is not None and report.outcome == "failed", report
    assert "took over" in (report.error or "")
    assert not any(h.endswith("/doublon.ics") for h in calendar_objects(services, "bureau"))


def test_no_second_run_of_a_job_starts_while_the_first_runs_past_its_limit(
    services: Services, proxied: Proxied
) -> None:
    source_id = connect(services, proxied.url)
    sync(services, source_id)
    job_id = make_job(services, source_id)
    add_event(proxied.url, "conseil", "lent")
    slow = SlowConseil(3)
    proxied.proxy.rules.append(slow)
    limits = jobs.JobLimits(http_timeout=60, job_timeout=2)
    first: list[object] = []
    claimed = datetime.now(UTC)
    runner = threading.Thread(
        target=lambda: first.append(
            jobs.run_job(services.db, services.vault, job_id, due=False, limits=limits, now=claimed)
        )
    )
    runner.start()
    time.sleep(0.5)
    # A second scheduler, three seconds "later": the first claim is past job_timeout.
    second = jobs.run_job(
        services.db,
        services.vault,
        job_id,
        due=False,
        limits=limits,
        now=claimed + timedelta(seconds=3),
    )
    slow.release()
    runner.join(timeout=30)
    assert second is None, "the second run did not start while the first one still ran"
    assert first and first[0] is not None
    with services.db.session() as session:
        assert session.scalar(select(SyncJob.running_since).where(SyncJob.id == job_id)) is None
