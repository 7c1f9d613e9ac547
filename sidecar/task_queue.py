"""Scale-out: sync runs and alerts cycles as procrastinate tasks in PostgreSQL, run by any
number of ``quorum worker`` processes on any number of machines.

Why procrastinate (see docs/deploy.md): a federation already needs PostgreSQL, so the queue
needs no new service to run, back up and watch; a task is a row, deferred in one transaction,
and a ``queueing_lock`` refuses a second copy of a trigger that is still waiting; workers take
tasks with ``SELECT ... FOR UPDATE SKIP LOCKED`` and ``LISTEN/NOTIFY`` wakes them at once.

The split of work stays the same as in one process. The scheduler (the lease holder) finds
what is due and *defers* it instead of running it; a worker runs the same functions as the
embedded pool: :func:`sidecar.services.jobs.run_job` with its atomic claim (so a trigger runs once even
if it were deferred twice) and :func:`sidecar.alerts.cycle.run_due_cycle` with its claim. A
worker killed mid-run leaves what a killed embedded run leaves: one rolled-back transaction and
a claim that expires after ``job_timeout``; the next trigger is deferred again.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.schema import SchemaManager

from sidecar.config import Settings, load_settings
from sidecar.context import Services
from sidecar.errors import ConfigError
from sidecar.services import jobs

log = logging.getLogger(__name__)
QUEUE = "quorum"

_services: Services | None = None
_services_lock = threading.Lock()


def conninfo(database_url: str) -> str:
    """The libpq address of Quorum's PostgreSQL database (procrastinate speaks psycopg)."""
    scheme = urlsplit(database_url).scheme
    if not scheme.startswith(("postgresql", "postgres")):
        raise ConfigError(
            "QUORUM_TASK_QUEUE=procrastinate needs PostgreSQL: set QUORUM_DATABASE_URL to "
            "postgresql://user:password@host/database."
        )
    return "postgresql" + database_url[len(scheme) :]


def make_app(connector: procrastinate.BaseConnector) -> procrastinate.App:
    """A procrastinate app with Quorum's two tasks (one app per process and connector)."""
    queue_app = procrastinate.App(connector=connector)
    queue_app.task(name="quorum.sync_job", queue=QUEUE)(sync_job)
    queue_app.task(name="quorum.alerts_cycle", queue=QUEUE)(alerts_cycle)
    return queue_app


def producer(settings: Settings) -> procrastinate.App:
    """An app that defers tasks from synchronous code (the scheduler); open it before use."""
    address = conninfo(settings.effective_database_url)
    return make_app(procrastinate.SyncPsycopgConnector(conninfo=address))


def worker_app(settings: Settings) -> procrastinate.App:
    """An app that runs tasks (``quorum worker``)."""
    return make_app(
        procrastinate.PsycopgConnector(conninfo=conninfo(settings.effective_database_url))
    )


def ensure_schema(settings: Settings) -> None:
    """Create procrastinate's tables once (they live beside Quorum's, in the same schema)."""
    import psycopg

    with psycopg.connect(conninfo(settings.effective_database_url), autocommit=True) as conn:
        present = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
        if present is None or not present[0]:
            conn.execute(SchemaManager.get_schema())


def defer_sync(queue_app: procrastinate.App, job_id: int) -> bool:
    """Queue one sync job's trigger; False when that trigger is already waiting."""
    try:
        # One priority for syncs and cycles: first deferred, first run. A higher one for syncs
        # starved the cycles whenever polls outran the workers.
        queue_app.configure_task("quorum.sync_job", queueing_lock=f"sync:{job_id}").defer(
            job_id=job_id
        )
    except AlreadyEnqueued:
        return False
    return True


def defer_cycle(queue_app: procrastinate.App, association_id: int) -> bool:
    """Queue one association's due alerts cycle; False when it is already waiting."""
    lock = f"alerts:{association_id}"
    try:
        queue_app.configure_task("quorum.alerts_cycle", queueing_lock=lock).defer(
            association_id=association_id
        )
    except AlreadyEnqueued:
        return False
    return True


class Deferrer:
    """The scheduler's side in queue mode: defer what is due, each trigger once.

    A deferred job stays due in Quorum's table until a worker claims it, so each trigger (job
    and due time; association and due time for a cycle) deferred lately is remembered for
    ``remember`` seconds and not offered again meanwhile; after that, the queueing lock still
    refuses a copy while the first waits. A refused copy costs a failed INSERT: without this
    memory, every waiting task would cost one at every tick.
    """

    def __init__(self, services: Services, remember: float = 60.0) -> None:
        self.services = services
        self.remember = remember
        self._app: procrastinate.App | None = None
        self._triggers: dict[tuple[str, int, datetime | None], datetime] = {}

    def _opened(self) -> procrastinate.App:
        if self._app is None:
            ensure_schema(self.services.settings)
            self._app = producer(self.services.settings).open()
        return self._app

    def defer_due(self, now: datetime) -> tuple[int, int]:
        """Defer every due job and due alerts cycle not deferred lately; how many of each."""
        from sidecar.alerts.cycle import due_cycles
        from sidecar.services.sync_pool import PAGE, due_jobs

        queue_app, db = self._opened(), self.services.db
        self._triggers = {k: v for k, v in self._triggers.items() if v > now}
        until = now + timedelta(seconds=self.remember)
        synced, after = 0, None
        while True:
            page = due_jobs(db, now, self.services.settings.job_timeout, after=after)
            for job in page:
                if ("sync", job.job_id, job.due_at) not in self._triggers:
                    synced += defer_sync(queue_app, job.job_id)
                    self._triggers["sync", job.job_id, job.due_at] = until
            if len(page) < PAGE:
                break
            after = (page[-1].due_at, page[-1].job_id)
        cycles = 0
        for association_id, due in due_cycles(db, now):
            if ("alerts", association_id, due) not in self._triggers:
                cycles += defer_cycle(queue_app, association_id)
                self._triggers["alerts", association_id, due] = until
        return synced, cycles

    def close(self) -> None:
        if self._app is not None:
            self._app.close()
            self._app = None


def services() -> Services:
    """The worker process's services, built once from its settings."""
    global _services
    with _services_lock:
        if _services is None:
            _services = Services.from_settings(load_settings(), upgrade=False)
        return _services


def use_services(built: Services) -> None:
    """Let tests and ``quorum worker`` hand the services in (one per process)."""
    global _services
    with _services_lock:
        _services = built


def sync_job(job_id: int) -> dict[str, Any] | None:
    """Run one due sync job (claimed atomically: a second copy of a trigger does nothing)."""
    from sidecar.alerts.cycle import mark_changed
    from sidecar.services.sync_pool import changed_associations

    quorum = services()
    settings = quorum.settings
    limits = jobs.JobLimits(settings.http_timeout, settings.job_timeout)
    report = jobs.run_job(quorum.db, quorum.vault, job_id, due=True, limits=limits)
    if report is None:
        return None
    log.info("sync run %s: %s", report.run_id, report.as_dict())
    mark_changed(quorum.db, changed_associations(quorum.db, [report]))
    return report.as_dict()


def alerts_cycle(association_id: int) -> bool:
    """Run one association's due alerts cycle (claimed atomically)."""
    from sidecar.alerts.cycle import run_due_cycle

    return run_due_cycle(services(), association_id, datetime.now(UTC)) is not None
