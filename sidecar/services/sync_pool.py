"""Concurrent sync in one process: a bounded pool of workers, fair and polite to each host.

The pool only decides *when* a due job starts; *whether* it runs is still the job's atomic
claim (:func:`sidecar.services.jobs.claim`), so any number of pools in any number of processes never run
one trigger twice. Three rules, in this order:

- **bounded**: at most ``workers`` sync runs at once (each is mostly waiting on the network);
- **polite**: at most ``per_host`` of them against one Nextcloud host, so a slow host holds at
  most that many workers and a big host is not hammered by the whole pool;
- **fair**: among the jobs that may start, the one due the earliest starts first.

The pool calls a plain ``run(job_id)`` function (the scheduler passes :func:`jobs.run_job`),
so per-run deadlines and overlap rules stay in one place.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Set
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import or_, select, tuple_

from sidecar.storage import Database
from sidecar.storage.models import Association, Source, SyncJob, SyncRun
from sidecar.sync.runner import RunReport

log = logging.getLogger(__name__)
PAGE = 200  # due jobs read per query when looking for ones whose host has room
MAX_PAGES = 10  # beyond that, the next pump looks again (a busy host has thousands due)


@dataclass(frozen=True)
class DueJob:
    """A job whose trigger is due, with the host it will talk to."""

    job_id: int
    source_id: int
    host: str
    due_at: datetime


@dataclass(frozen=True)
class PoolLimits:
    workers: int = 4
    per_host: int = 2


def host_of(base_url: str) -> str:
    """The host a source talks to (host and port, lower case): the unit of politeness."""
    parts = urlsplit(base_url)
    return (parts.netloc or base_url).lower()


def due_jobs(
    db: Database,
    now: datetime,
    stale_after: float,
    *,
    after: tuple[datetime, int] | None = None,
    limit: int = PAGE,
) -> list[DueJob]:
    """Due jobs, earliest first (then by id), from the keyset position ``after``.

    Paused, blocked and disabled associations' jobs are left out, and so are jobs under a
    fresh claim (running somewhere); a claim older than ``stale_after`` seconds is abandoned.
    """
    stale = now - timedelta(seconds=stale_after)
    query = (
        select(SyncJob.id, SyncJob.source_id, Source.base_url, SyncJob.next_run_at)
        .join(Source, Source.id == SyncJob.source_id)
        .join(Association, Association.id == SyncJob.association_id)
        .where(
            SyncJob.enabled.is_(True),
            SyncJob.paused_reason.is_(None),
            SyncJob.next_run_at <= now,
            or_(SyncJob.running_since.is_(None), SyncJob.running_since < stale),
            Association.disabled_at.is_(None),
        )
    )
    if after is not None:
        query = query.where(tuple_(SyncJob.next_run_at, SyncJob.id) > tuple_(*after))
    query = query.order_by(SyncJob.next_run_at, SyncJob.id).limit(limit)
    with db.session() as session:
        return [
            DueJob(job_id, source_id, host_of(url), due_at)
            for job_id, source_id, url, due_at in session.execute(query)
            if due_at is not None
        ]


Runner = Callable[[int], RunReport | None]


class WorkerThreads:
    """At most ``size`` daemon threads running submitted calls, started as needed.

    Not a :class:`~concurrent.futures.ThreadPoolExecutor`: its threads are joined when the
    interpreter exits, so one call stuck on a silent server (a webhook that never answers, a
    host that stalls) kept a stopped scheduler alive until the socket timed out. These threads
    are abandoned at exit instead; :meth:`shutdown` waits for the calls in progress at most
    ``grace`` seconds. That is safe because what they do is safe to cut: a sync run is one
    transaction, and a delivery claimed but never confirmed is taken over once its claim is
    stale (:mod:`sidecar.alerts.outbox`).
    """

    def __init__(self, size: int, name: str) -> None:
        self.size, self.name = size, name
        self._calls: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._active = 0
        self._idle = threading.Condition(self._lock)
        self._closed = False

    def submit(self, call: Callable[..., None], *args: object) -> None:
        with self._lock:
            if self._closed:
                return
            self._active += 1
            if len(self._threads) < min(self.size, self._active):
                thread = threading.Thread(
                    target=self._serve, name=f"{self.name}-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
        self._calls.put(lambda: call(*args))

    def _serve(self) -> None:
        while (call := self._calls.get()) is not None:
            try:
                call()
            except Exception:  # the callers log their own failures; never lose the thread
                log.exception("%s: a call failed", self.name)
            finally:
                with self._lock:
                    self._active -= 1
                    self._idle.notify_all()

    def shutdown(self, *, grace: float = 0.0) -> bool:
        """Take no more calls; wait up to ``grace`` seconds for those already submitted (at
        most ``size``: each has its thread). True when none is left."""
        end = time.monotonic() + grace
        with self._lock:
            self._closed = True
            for _ in self._threads:
                self._calls.put(None)
            while self._active and (left := end - time.monotonic()) > 0:
                self._idle.wait(timeout=left)
            return self._active == 0


class SyncPool:
    """Threads that run due jobs under the three rules above; reports are collected by ``drain``."""

    def __init__(self, run: Runner, limits: PoolLimits) -> None:
        self._run = run
        self.limits = limits
        self._threads = WorkerThreads(limits.workers, "quorum-sync")
        self._lock = threading.Lock()
        self._inflight: dict[int, str] = {}
        self._sources: set[int] = set()  # a source's sync is not safe against itself
        self._per_host: Counter[str] = Counter()
        self._done: list[tuple[int, RunReport | None]] = []
        self.finished = threading.Event()  # set whenever a run ends: a slot may have freed

    @property
    def busy(self) -> int:
        with self._lock:
            return len(self._inflight)

    def free(self) -> int:
        return self.limits.workers - self.busy

    def host_full(self, host: str) -> bool:
        with self._lock:
            return self._per_host[host] >= self.limits.per_host

    def offer(self, candidates: Iterable[DueJob], skip: Set[int] = frozenset()) -> list[int]:
        """Start the candidates that fit, in the order given (earliest due first)."""
        started: list[int] = []
        for job in candidates:
            if job.job_id in skip:
                continue
            with self._lock:
                if len(self._inflight) >= self.limits.workers:
                    break
                if job.job_id in self._inflight or job.source_id in self._sources:
                    continue
                if self._per_host[job.host] >= self.limits.per_host:
                    continue  # this host has its share: a later job of another host may start
                self._inflight[job.job_id] = job.host
                self._sources.add(job.source_id)
                self._per_host[job.host] += 1
            self._threads.submit(self._work, job)
            started.append(job.job_id)
        return started

    def _work(self, job: DueJob) -> None:
        report: RunReport | None = None
        try:
            report = self._run(job.job_id)
        except Exception:  # one broken run must not take a worker down with it
            log.exception("sync job %s failed", job.job_id)
        finally:
            with self._lock:
                del self._inflight[job.job_id]
                self._sources.discard(job.source_id)
                self._per_host[job.host] -= 1
                self._done.append((job.job_id, report))
            self.finished.set()

    def drain(self) -> list[tuple[int, RunReport | None]]:
        """The runs finished since the last call."""
        with self._lock:
            done, self._done = self._done, []
        return done

    def shutdown(self, *, grace: float = 0.0) -> bool:
        """Start no run; give the runs in progress ``grace`` seconds (True: all ended)."""
        return self._threads.shutdown(grace=grace)


def changed_associations(db: Database, reports: list[RunReport]) -> set[int]:
    """Associations whose sync runs added, changed or removed something."""
    changed = [r.run_id for r in reports if r.counts.added or r.counts.changed or r.counts.removed]
    if not changed:
        return set()
    with db.session() as session:
        query = (
            select(Source.association_id)
            .join(SyncRun, SyncRun.source_id == Source.id)
            .where(SyncRun.id.in_(changed))
        )
        return set(session.scalars(query))


def fill(
    pool: SyncPool, db: Database, now: datetime, stale_after: float, *, skip: Set[int] = frozenset()
) -> list[int]:
    """Offer the pool due jobs, earliest first, paging past hosts that have no room; the ids
    of the jobs started (``skip``: already tried, leave them)."""
    started: list[int] = []
    after: tuple[datetime, int] | None = None
    for _ in range(MAX_PAGES):
        if pool.free() <= 0:
            break
        page = due_jobs(db, now, stale_after, after=after)
        if not page:
            break
        started += pool.offer(page, skip)
        if len(page) < PAGE:
            break
        after = (page[-1].due_at, page[-1].job_id)
    return started
