"""The one scheduler: a database lease decides which process runs due jobs.

APScheduler 3 does not coordinate processes (see docs/pitfalls.md), so it is used only as a local
clock: one ``tick`` job every few seconds runs the jobs that are due in the database, and one
``renew`` job keeps the ``scheduler`` lease. Only the lease holder ticks; a lease that is not
renewed (its process died) expires and another process takes it over. Even two holders at once
(a clock jump) could not run a job twice: every run starts with an atomic claim (``sidecar.services.jobs``).

Due jobs run in a bounded pool (:mod:`sidecar.services.sync_pool`): ``sync_workers`` at once, at most
``sync_per_host`` against one Nextcloud host, earliest due first. The dispatcher refills the
pool as soon as a run ends, so throughput is not bound to the tick. Alerts cycles run in their
own small lane, only for associations whose cycle is due (:mod:`sidecar.alerts.cycle`): a sync
that changed something makes it due at once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.schedulers.background import BackgroundScheduler  # type: ignore[import-untyped]
from apscheduler.schedulers.base import BaseScheduler  # type: ignore[import-untyped]
from apscheduler.schedulers.blocking import BlockingScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]

from sidecar.context import Services
from sidecar.services import jobs
from sidecar.services.sync_pool import (
    PoolLimits,
    SyncPool,
    WorkerThreads,
    changed_associations,
    fill,
)
from sidecar.storage.leases import acquire_lease, release_lease
from sidecar.sync.runner import RunReport

if TYPE_CHECKING:
    from sidecar.task_queue import Deferrer

log = logging.getLogger(__name__)
LEASE_NAME = "scheduler"
STOP_GRACE = 2.0  # seconds a stop waits for runs in progress before abandoning them


def holder_id() -> str:
    """Who holds a lease: host, process and a random part (two schedulers in one process differ)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class AlertsLane:
    """Alerts cycles beside the sync pool: a slow SMTP server or webhook holds neither a sync
    worker nor the dispatcher. Only associations whose cycle is due are looked at."""

    def __init__(self, services: Services, workers: int = 2) -> None:
        self.services = services
        self.workers = workers
        self._threads: WorkerThreads | None = None
        self._lock = threading.Lock()
        self._inflight: set[int] = set()

    def run_inline(self, changed: set[int], now: datetime) -> None:
        """Every due cycle, one after another, before returning (``tick``)."""
        from sidecar.alerts.cycle import run_cycles  # keeps the alerts out of a bare import

        for cycle in run_cycles(self.services, now, changed=changed):
            log.info("alerts of association %s: %s sent", cycle.association_id, cycle.report.sent)

    def submit(self, changed: set[int], now: datetime) -> int:
        """Start the due cycles that fit in the lane; how many started."""
        from sidecar.alerts.cycle import due_associations, mark_changed

        db = self.services.db
        mark_changed(db, changed)
        with self._lock:
            room = self.workers - len(self._inflight)
        if room <= 0:
            return 0
        started = 0
        for association_id in due_associations(db, now, limit=room + len(self._inflight)):
            with self._lock:
                if association_id in self._inflight or len(self._inflight) >= self.workers:
                    continue
                self._inflight.add(association_id)
            self._pool().submit(self._cycle, association_id, now)
            started += 1
        return started

    def _pool(self) -> WorkerThreads:
        if self._threads is None:
            self._threads = WorkerThreads(self.workers, "quorum-alerts")
        return self._threads

    def _cycle(self, association_id: int, now: datetime) -> None:
        from sidecar.alerts.cycle import run_due_cycle

        try:
            cycle = run_due_cycle(self.services, association_id, now)
            if cycle is not None:
                log.info("alerts of association %s: %s sent", association_id, cycle.report.sent)
        finally:
            with self._lock:
                self._inflight.discard(association_id)

    def shutdown(self, *, grace: float) -> bool:
        return self._threads is None or self._threads.shutdown(grace=grace)


class Scheduler:
    """Runs due jobs in a bounded pool while it holds the lease; ``start()`` keeps it going."""

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
        self._pool: SyncPool | None = None
        self._pool_now: datetime | None = None  # a fixed clock given to tick() (tests)
        self._refused: dict[int, datetime] = {}  # claims lost lately: not offered again at once
        self._alerts = AlertsLane(services)
        self._deferrer: Deferrer | None = None
        if services.settings.task_queue == "procrastinate":
            from sidecar.task_queue import Deferrer

            self._deferrer = Deferrer(services)
        self._loop: threading.Thread | None = None

    @property
    def holding(self) -> bool:
        return self._holding.is_set()

    @property
    def pool(self) -> SyncPool:
        if self._pool is None:
            settings = self.services.settings
            limits = PoolLimits(settings.sync_workers, settings.sync_per_host)
            self._pool = SyncPool(self._run_job, limits)
        return self._pool

    def renew(self, now: datetime | None = None) -> bool:
        """Take or keep the lease; remember the answer for the ticks."""
        now = now or datetime.now(UTC)
        held = acquire_lease(self.services.db, LEASE_NAME, self.holder, self.lease_seconds, now)
        if held != self.holding:
            log.info("scheduler %s %s the lease", self.holder, "took" if held else "lost")
        (self._holding.set if held else self._holding.clear)()
        return held

    def _run_job(self, job_id: int) -> RunReport | None:
        settings = self.services.settings
        limits = jobs.JobLimits(settings.http_timeout, settings.job_timeout)
        now = self._pool_now or datetime.now(UTC)
        db, vault = self.services.db, self.services.vault
        return jobs.run_job(db, vault, job_id, due=True, limits=limits, now=now)

    def tick(self, now: datetime | None = None) -> list[RunReport]:
        """Run every due job once (in the pool) and wait for them, then the due alerts cycles.

        ``start()`` does not wait like this: it keeps the pool full as runs end. This form is
        for a fixed clock (tests) and for one-shot runs.
        """
        if not self.holding and not self.renew(now):
            return []
        if self._deferrer is not None:  # queue mode: workers run them
            self._deferrer.defer_due(now or datetime.now(UTC))
            return []
        self._pool_now, at = now, now or datetime.now(UTC)
        try:
            finished = self._sync_all(at)
        finally:
            self._pool_now = None
        reports = [report for _, report in finished if report is not None]
        self._log(reports)
        self._alerts.run_inline(changed_associations(self.services.db, reports), at)
        return reports

    def _sync_all(self, now: datetime) -> list[tuple[int, RunReport | None]]:
        """Offer due jobs until each has been tried once in this tick, and wait for their ends."""
        pool, tried = self.pool, set[int]()
        timeout = self.services.settings.job_timeout
        while True:
            pool.finished.clear()
            idle = pool.busy == 0
            started: list[int] = []
            if not self._stopping.is_set():  # shutting down: runs in progress end, none starts
                started = fill(pool, self.services.db, now, timeout, skip=tried)
            tried.update(started)
            if idle and not started:  # an idle pool is blocked by no limit: nothing is left
                return pool.drain()
            pool.finished.wait(timeout=1.0)

    def pump(self, now: datetime | None = None) -> list[RunReport]:
        """One step of the running scheduler: fill free workers, collect ended runs, alerts.

        Never waits for a run: a slow host holds only its ``sync_per_host`` workers, and the
        next pump (at the next run's end, or the next tick) offers the free ones to others.
        """
        if not self.holding or self._stopping.is_set():
            return []
        now = now or datetime.now(UTC)
        if self._deferrer is not None:  # queue mode: `quorum worker` processes run them
            synced, cycles = self._deferrer.defer_due(now)
            if synced or cycles:
                log.info("deferred %s sync runs and %s alerts cycles", synced, cycles)
            return []
        self._refused = {j: at for j, at in self._refused.items() if at > now}
        pool, timeout = self.pool, self.services.settings.job_timeout
        fill(pool, self.services.db, now, timeout, skip=set(self._refused))
        ended = pool.drain()
        for job_id, report in ended:
            if report is None:  # claimed elsewhere, or its source busy: look again later
                self._refused[job_id] = now + timedelta(seconds=self.tick_seconds)
        reports = [report for _, report in ended if report is not None]
        self._log(reports)
        self._alerts.submit(changed_associations(self.services.db, reports), now)
        return reports

    def _log(self, reports: list[RunReport]) -> None:
        for report in reports:
            log.info("sync run %s: %s", report.run_id, report.as_dict())

    def _run_loop(self) -> None:
        """Pump at every run's end, and at least every tick, until stopped."""
        while not self._stopping.is_set():
            try:
                self.pump()
            except Exception:  # one broken pump must not stop the scheduler
                log.exception("scheduler tick failed")
            self.pool.finished.wait(timeout=self.tick_seconds)
            self.pool.finished.clear()

    def start(self, *, blocking: bool) -> None:
        """Renew the lease on APScheduler's clock and pump in a thread (blocking for
        ``quorum scheduler``)."""
        scheduler: BaseScheduler = BlockingScheduler() if blocking else BackgroundScheduler()
        # A renewal delayed by a busy machine should still happen, once, a bit late.
        scheduler.add_job(
            self.renew,
            IntervalTrigger(seconds=self.lease_seconds / 3),
            id="renew",
            misfire_grace_time=int(self.lease_seconds / 3),
            next_run_time=datetime.now(UTC),
            max_instances=1,
            coalesce=True,
            replace_existing=True,
        )
        self._apscheduler = scheduler
        self._loop = threading.Thread(target=self._run_loop, name="quorum-dispatch", daemon=True)
        self._loop.start()
        try:
            scheduler.start()
        finally:
            if blocking:
                self.stop()

    def stop(self, *, grace: float = STOP_GRACE) -> None:
        """Stop the clock, start no new run, give the runs and deliveries in progress ``grace``
        seconds to end, and hand the lease back. What is still running then is abandoned (its
        threads do not hold the process): a sync run is one transaction, never applied half,
        and a delivery's claim is taken over once stale. A second call does nothing."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        if self._apscheduler is not None and self._apscheduler.running:
            self._apscheduler.shutdown(wait=False)
        self._apscheduler = None
        end = time.monotonic() + grace
        if self._pool is not None:
            self._pool.finished.set()  # wake the dispatcher so it sees the stop
            if not self._pool.shutdown(grace=grace):
                log.warning("stopping: sync runs still in progress are abandoned, not applied")
        if not self._alerts.shutdown(grace=max(0.0, end - time.monotonic())):
            log.warning("stopping: a delivery still waiting for its server is left to a retry")
        if self._deferrer is not None:
            self._deferrer.close()
        release_lease(self.services.db, LEASE_NAME, self.holder)
        self._holding.clear()
