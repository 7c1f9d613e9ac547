"""The one scheduler: a database lease decides which process runs due jobs.

APScheduler 3 does not coordinate processes (see docs/pitfalls.md), so it is used only as a local
clock: one ``tick`` job every few seconds runs the jobs that are due in the database, and one
``renew`` job keeps the ``scheduler`` lease. Only the lease holder ticks; a lease that is not
renewed (its process died) expires and another process takes it over. Even two holders at once
(a clock jump) could not run a job twice: every run starts with an atomic claim (``sidecar.services.jobs``).

After the due jobs, each tick runs the alerts cycle (:mod:`sidecar.alerts.cycle`) of every
association whose ``alerts_interval`` is over, and at once for those whose sync changed something.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler  # type: ignore[import-untyped]
from apscheduler.schedulers.base import BaseScheduler  # type: ignore[import-untyped]
from apscheduler.schedulers.blocking import BlockingScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]
from sqlalchemy import select

from sidecar.context import Services
from sidecar.services import jobs
from sidecar.storage.leases import acquire_lease, release_lease
from sidecar.storage.models import Source, SyncRun
from sidecar.sync.runner import RunReport

log = logging.getLogger(__name__)
LEASE_NAME = "scheduler"


def holder_id() -> str:
    """Who holds a lease: host, process and a random part (two schedulers in one process differ)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Scheduler:
    """Runs due jobs while it holds the lease; ``start()`` drives it with APScheduler."""

    def __init__(
        self,
        services: Services,
        *,
        tick_seconds: float = 5.0,
        lease_seconds: float = 60.0,
        holder: str | None = None,
    ) -> None:
        self.services = services
        self.tick_seconds = tick_seconds
        self.lease_seconds = lease_seconds
        self.holder = holder or holder_id()
        self._holding = threading.Event()
        self._stopping = threading.Event()  # set by stop(): start no new job
        self._apscheduler: BaseScheduler | None = None

    @property
    def holding(self) -> bool:
        return self._holding.is_set()

    def renew(self, now: datetime | None = None) -> bool:
        """Take or keep the lease; remember the answer for the ticks."""
        now = now or datetime.now(UTC)
        held = acquire_lease(self.services.db, LEASE_NAME, self.holder, self.lease_seconds, now)
        if held != self.holding:
            log.info("scheduler %s %s the lease", self.holder, "took" if held else "lost")
        (self._holding.set if held else self._holding.clear)()
        return held

    def tick(self, now: datetime | None = None) -> list[RunReport]:
        """Run every due job once, then the alerts cycles, if this process holds the lease."""
        if not self.holding and not self.renew(now):
            return []
        settings = self.services.settings
        limits = jobs.JobLimits(settings.http_timeout, settings.job_timeout)
        reports: list[RunReport] = []
        for job_id in jobs.due_job_ids(self.services.db, now or datetime.now(UTC)):
            if self._stopping.is_set():
                break  # shutting down: a job already running finishes, no new one starts
            report = jobs.run_job(
                self.services.db, self.services.vault, job_id, due=True, limits=limits, now=now
            )
            if report is not None:
                log.info("job %s: %s", job_id, report.as_dict())
                reports.append(report)
        self._alerts(reports, now or datetime.now(UTC))
        return reports

    def _alerts(self, reports: list[RunReport], now: datetime) -> None:
        """Alerts cycles; a sync run that added, changed or removed something forces one."""
        from sidecar.alerts.cycle import run_cycles  # keeps the alerts out of a bare import

        changed = [r for r in reports if r.counts.added or r.counts.changed or r.counts.removed]
        with self.services.db.session() as session:
            forced = set(
                session.scalars(
                    select(Source.association_id)
                    .join(SyncRun, SyncRun.source_id == Source.id)
                    .where(SyncRun.id.in_([r.run_id for r in changed]))
                )
            )
        for cycle in run_cycles(self.services, now, changed=forced):
            log.info("alerts of association %s: %s sent", cycle.association_id, cycle.report.sent)

    def start(self, *, blocking: bool) -> None:
        """Tick and renew on APScheduler's clock (blocking for ``quorum scheduler``)."""
        scheduler: BaseScheduler = BlockingScheduler() if blocking else BackgroundScheduler()
        common = {"max_instances": 1, "coalesce": True, "replace_existing": True}
        # A tick or renewal delayed by a busy machine should still happen, once, a bit late.
        scheduler.add_job(
            self.renew,
            IntervalTrigger(seconds=self.lease_seconds / 3),
            id="renew",
            misfire_grace_time=int(self.lease_seconds / 3),
            next_run_time=datetime.now(UTC),
            **common,
        )
        scheduler.add_job(
            self._safe_tick,
            IntervalTrigger(seconds=self.tick_seconds),
            id="tick",
            misfire_grace_time=max(1, int(self.tick_seconds * 2)),
            **common,
        )
        self._apscheduler = scheduler
        try:
            scheduler.start()
        finally:
            if blocking:
                self.stop()

    def _safe_tick(self) -> None:
        try:
            self.tick()
        except Exception:  # one broken tick must not stop the scheduler
            log.exception("scheduler tick failed")

    def stop(self) -> None:
        """Stop the clock and hand the lease back at once."""
        self._stopping.set()
        if self._apscheduler is not None and self._apscheduler.running:
            self._apscheduler.shutdown(wait=False)
        self._apscheduler = None
        release_lease(self.services.db, LEASE_NAME, self.holder)
        self._holding.clear()
