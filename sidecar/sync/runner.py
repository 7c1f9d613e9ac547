"""One sync run of one source: read everything first, then write it all in one transaction.

Phase 1 reads the remote side (only what changed) and plans, committing nothing but progress.
Phase 2 applies every plan and every cursor in a single transaction together with the run's
record: a run killed at any point leaves the previous state, and the next run converges.
A collection that fails (an unreadable answer, a refused mass deletion) is reported and skipped;
a wrong password or a rate limit stops the whole run, once, without retrying.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from integrations.errors import (
    AuthError,
    ConnectError,
    DeadlineExceeded,
    IntegrationError,
    RateLimited,
    ServerError,
)
from integrations.types import CalendarInfo
from sidecar.errors import QuorumError
from sidecar.security.vault import Vault
from sidecar.storage import Database
from sidecar.storage.models import Collection, Source, SyncJob, SyncRun
from sidecar.sync.backoff import back_off
from sidecar.sync.calendars import CalendarPlan, apply_calendar, calendar_changed, plan_calendar
from sidecar.sync.connection import Connection, connect
from sidecar.sync.counts import Counts
from sidecar.sync.files import FolderOptions, FolderPlan, apply_folder, plan_folder

logger = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]  # (done, total, what)


@dataclass(frozen=True)
class RunOptions:
    allow_mass_delete: bool = False
    deadline: float = 60.0  # per HTTP request, overall (not per socket read)
    run_deadline: float | None = None  # for the whole run, every request included
    progress: Progress | None = None
    #: When run for a job: the claim it holds. Checked in the final transaction, so a run whose
    #: claim went stale and was taken over is abandoned, never applied late.
    claimed_at: datetime | None = None


class RunTimeout(QuorumError):
    """The run went over its overall deadline; nothing of it was applied."""


@dataclass
class RunReport:
    run_id: int
    source: str
    outcome: str  # ok | partial | failed | deferred
    counts: Counts = field(default_factory=Counts)
    requests: int = 0
    seconds: float = 0.0
    error: str | None = None
    collection_errors: dict[str, str] = field(default_factory=dict)
    #: The server answered 5xx or 429 without saying until when: the source backs off.
    transient: bool = False
    #: Planning steps of the run (collections, and the calendar home): its progress total.
    steps: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "source": self.source,
            "outcome": self.outcome,
            "added": self.counts.added,
            "changed": self.counts.changed,
            "removed": self.counts.removed,
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "error": self.error,
            "collection_errors": self.collection_errors,
        }


Plan = CalendarPlan | FolderPlan
PlanT = TypeVar("PlanT", CalendarPlan, FolderPlan)


def run_source(
    db: Database,
    vault: Vault,
    source_id: int,
    *,
    job_id: int | None = None,
    now: datetime | None = None,
    options: RunOptions = RunOptions(),
) -> RunReport:
    """Sync every enabled collection of one source and record the run."""
    now = now or datetime.now(UTC)
    started = datetime.now(UTC)
    with db.session() as session:
        source = session.get(Source, source_id)
        if source is None:
            raise QuorumError(f"source {source_id} does not exist")
        _sweep_abandoned(session, source_id, now, options)
        run = SyncRun(source_id=source_id, job_id=job_id, started_at=started)
        session.add(run)
        session.flush()
        report = RunReport(run.id, source.name, "running")
        if source.retry_after is not None and source.retry_after > now:
            report.outcome = "deferred"
            report.error = f"the server asked to wait until {source.retry_after:%H:%M:%S} UTC"
            _finish(run, report, started)
            return report
    conn: Connection | None = None
    deadline = _Deadline(options.run_deadline)
    try:
        with db.session() as session:  # phase 1: read only
            source = session.get(Source, source_id)
            assert source is not None
            conn = connect(source, vault, deadline=options.deadline)
            conn.http.stop_at = deadline.at
            if not source.collections:
                # Never connected (added with --no-discover): with nothing to read, a wrong
                # password would pass for a working source. One authenticated request (a 401
                # stops here), then say what to do instead of reporting "ok" for nothing.
                conn.files.propfind("/", "0")
                raise QuorumError(
                    f"{source.name} has no calendar or folder known yet: run `quorum setup "
                    f"{source.name}` (or `quorum source discover {source.name}`) first."
                )
            tz = source.association.timezone
            plans = _plan_all(db, session, conn, source, now, options, report, deadline)
        with db.session() as session:  # phase 2: everything in one transaction
            _still_ours(session, job_id, options.claimed_at)
            report.counts = _apply_all(session, plans, now, tz, report)
            deadline.check()  # over time while applying: roll back rather than commit late
            report.requests = conn.http.requests_made
            report.outcome = "partial" if report.collection_errors else "ok"
            fresh = _source_ok(session, source_id)
            if report.transient:
                back_off(session, fresh, report.run_id, now)
            _finish_in(session, report, started)
    except (IntegrationError, QuorumError) as err:
        report.requests = conn.http.requests_made if conn else 0
        if isinstance(err, DeadlineExceeded):  # cut inside a request: say it as the run would
            err = deadline.timeout()
        _record_failure(db, source_id, report, err, started, now)
    except Exception as err:  # a bug or a lost race: record it, never leave a run "running"
        logger.exception("sync run %s of source %s failed", report.run_id, source_id)
        report.requests = conn.http.requests_made if conn else 0
        failure = QuorumError(
            f"the run stopped on an unexpected {type(err).__name__}; nothing of it was "
            "applied and the next run starts from the previous state"
        )
        _record_failure(db, source_id, report, failure, started, now)
    finally:
        if conn is not None:
            conn.close()
    return report


def _plan_all(
    db: Database,
    session: Session,
    conn: Connection,
    source: Source,
    now: datetime,
    options: RunOptions,
    report: RunReport,
    deadline: _Deadline,
) -> list[tuple[Collection, Plan]]:
    """Plan every enabled collection. Files are planned in a second thread while calendars
    are planned here: one waits on the server while the other parses, so the run takes about
    the longer of the two rather than their sum."""
    collections = [c for c in source.collections if c.enabled]
    calendars = [c for c in collections if c.kind == "calendar"]
    folder_ids = [c.id for c in collections if c.kind == "folder"]
    tracker = _Tracker(db, report, len(collections) + (1 if calendars else 0), options)
    tz = source.association.timezone
    # The first request goes alone: a wrong password then costs one 401, not one per thread
    # (Nextcloud throttles a whole IP after repeated failures).
    infos = _calendar_infos(conn, source, calendars, report) if calendars else {}
    if calendars:
        tracker.step("calendars")
    folders = (db, conn, folder_ids, now, options, report, tracker, deadline)
    try:
        files: Future[list[tuple[Collection, Plan]]] | None = _in_background(
            _plan_folders, *folders
        )
    except RuntimeError:  # the interpreter is shutting down: no new thread, plan here
        files = None
    try:
        plans = _plan_calendars(
            session,
            conn,
            calendars,
            infos,
            now,
            tz,
            report,
            tracker,
            deadline,
            options.allow_mass_delete,
        )
    except BaseException:
        deadline.expire()  # the files thread stops at its next collection...
        conn.http.stop_at = time.monotonic()  # ...and its request in flight now
        if files is not None:  # let it close its session before the connection goes
            wait([files], timeout=FILES_WIND_DOWN)
        raise
    return plans + (files.result() if files is not None else _plan_folders(*folders))


T = TypeVar("T")
FILES_WIND_DOWN = 5.0  # seconds a failed run waits for its files thread to stop


def _in_background(call: Callable[..., T], *args: Any) -> Future[T]:
    """Run ``call`` in a daemon thread. Not a ThreadPoolExecutor: Python joins its threads at
    exit, so Ctrl-C on a scheduler would wait for a folder walk in progress (the run is one
    transaction that rolls back when its process goes; abandoning the thread loses nothing)."""
    future: Future[T] = Future()

    def run() -> None:
        if future.set_running_or_notify_cancel():
            try:
                future.set_result(call(*args))
            except BaseException as err:  # handed to the caller of result()
                future.set_exception(err)

    threading.Thread(target=run, name="quorum-files", daemon=True).start()
    return future


def _calendar_infos(
    conn: Connection, source: Source, calendars: list[Collection], report: RunReport
) -> dict[str, CalendarInfo] | None:
    """The calendars of the home, or None when the home's answer cannot be read: then every
    calendar is reported and skipped, and the folders still sync."""
    try:
        home = str(source.capabilities.get("calendar_home") or conn.calendars.discover_home())
        return {info.href: info for info in conn.calendars.list_calendars(home)}
    except (AuthError, RateLimited, ConnectError):
        raise
    except IntegrationError as err:
        report.transient = report.transient or isinstance(err, ServerError)
        for coll in calendars:
            report.collection_errors[coll.display_name or coll.remote_path] = (
                f"the calendar home could not be read, so this calendar was not synced: "
                f"{err.message}"
            )
        return None


def _plan_calendars(
    session: Session,
    conn: Connection,
    calendars: list[Collection],
    infos: dict[str, CalendarInfo] | None,
    now: datetime,
    tz: str,
    report: RunReport,
    tracker: _Tracker,
    deadline: _Deadline,
    allow_mass_delete: bool,
) -> list[tuple[Collection, Plan]]:
    plans: list[tuple[Collection, Plan]] = []
    if infos is None:
        return plans  # the home was unreadable: already reported
    for coll in calendars:
        deadline.check()
        info = infos.get(coll.remote_path)
        if info is None:
            report.collection_errors[coll.display_name] = "this calendar no longer exists"
        elif calendar_changed(coll, info):
            plan = _guarded(
                report,
                coll,
                partial(plan_calendar, allow_mass_delete=allow_mass_delete),
                session,
                conn.calendars,
                coll,
                info,
                now,
                tz,
            )
            if plan is not None and plan.problems:
                # Applied (what arrived is sound), but the run says it is not the whole story.
                report.collection_errors[coll.display_name] = "; ".join(plan.problems)
            plans.extend([(coll, plan)] if plan else [])
        tracker.step(coll.display_name)
    return plans


def _plan_folders(
    db: Database,
    conn: Connection,
    folder_ids: list[int],
    now: datetime,
    options: RunOptions,
    report: RunReport,
    tracker: _Tracker,
    deadline: _Deadline,
) -> list[tuple[Collection, Plan]]:
    """In its own thread, with its own (read-only) session: sessions are not shared."""
    plans: list[tuple[Collection, Plan]] = []
    folder_options = FolderOptions(allow_mass_delete=options.allow_mass_delete)
    with db.session() as session:
        for folder_id in folder_ids:
            deadline.check()
            coll = session.get(Collection, folder_id)
            assert coll is not None
            plan = _guarded(
                report, coll, plan_folder, session, conn.files, coll, now, folder_options
            )
            if plan is not None and plan.problems:
                report.collection_errors[coll.display_name or coll.remote_path] = "; ".join(
                    plan.problems
                )
            plans.extend([(coll, plan)] if plan else [])
            tracker.step(coll.display_name)
    return plans


class _Tracker:
    """Counts finished steps from both planning threads. The progress is committed for the
    admin page only once a run has lasted a second, then at most once a second: a no-change
    poll (2 requests, 50 ms) writes none, which was 6 of its 13 transactions."""

    def __init__(self, db: Database, report: RunReport, total: int, options: RunOptions) -> None:
        self.db, self.run_id, self.total, self.options = db, report.run_id, total, options
        report.steps = total
        self.done = 0
        self._lock = threading.Lock()
        self._next_write = time.monotonic() + PROGRESS_EVERY
        if options.progress is not None:
            options.progress(0, total, "")

    def step(self, what: str) -> None:
        with self._lock:
            self.done += 1
            if self.options.progress is not None:
                self.options.progress(self.done, self.total, what)
            if time.monotonic() < self._next_write:
                return
            self._next_write = time.monotonic() + PROGRESS_EVERY
            _progress(self.db, self.run_id, self.done, self.total, what)


PROGRESS_EVERY = 1.0  # seconds between two progress commits of a running sync


class _Deadline:
    """The run's overall deadline, checked between collections by both threads."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.at = None if seconds is None else time.monotonic() + seconds
        self.expired = False

    def expire(self) -> None:
        self.expired = True

    def check(self) -> None:
        if self.expired:
            raise RunTimeout("the run was stopped; nothing of it was applied")
        if self.at is not None and time.monotonic() > self.at:
            raise self.timeout()

    def timeout(self) -> RunTimeout:
        return RunTimeout(
            f"the sync took longer than {self.seconds or 0:.0f} s and was stopped; "
            "nothing of it was applied"
        )


def _still_ours(session: Any, job_id: int | None, claimed_at: datetime | None) -> None:
    """Raise RunTimeout when another process took this job's claim over (ours went stale)."""
    if job_id is None or claimed_at is None:
        return
    holder = session.scalar(
        select(SyncJob.running_since).where(SyncJob.id == job_id).with_for_update()
    )
    if holder != claimed_at:
        raise RunTimeout(
            "this sync ran past its time limit and another run of the job took over; "
            "nothing of it was applied"
        )


ABANDONED_AFTER = timedelta(hours=1)


def _sweep_abandoned(session: Session, source_id: int, now: datetime, options: RunOptions) -> None:
    """A run still "running" long after any run could last was killed with its process."""
    longest = max(ABANDONED_AFTER, timedelta(seconds=2 * (options.run_deadline or 0)))
    session.execute(
        update(SyncRun)
        .where(
            SyncRun.source_id == source_id,
            SyncRun.outcome == "running",
            SyncRun.started_at < now - longest,
        )
        .values(
            outcome="abandoned",
            finished_at=now,
            error="the process running this sync stopped before it finished; nothing of it "
            "was applied",
        )
    )


def _guarded(
    report: RunReport, coll: Collection, step: Callable[..., PlanT], *args: Any
) -> PlanT | None:
    """Plan one collection; its failure is reported and does not stop the others."""
    try:
        return step(*args)
    except (AuthError, RateLimited, ConnectError):
        raise
    except (IntegrationError, QuorumError) as err:
        report.collection_errors[coll.display_name or coll.remote_path] = err.message
        report.transient = report.transient or isinstance(err, ServerError)
        return None


def _apply_all(
    session: Session,
    plans: list[tuple[Collection, Plan]],
    now: datetime,
    tz: str,
    report: RunReport,
) -> Counts:
    counts = Counts()
    for stale, plan in plans:
        coll = session.scalar(select(Collection).where(Collection.id == stale.id).with_for_update())
        if coll is None or _cursor(coll) != _cursor(stale):
            # Another run applied changes since this one read the cursor: applying this plan
            # too would duplicate them. Drop it; the next run starts from the new cursor.
            report.collection_errors[stale.display_name or stale.remote_path] = (
                "another sync of this collection finished meanwhile; its changes are kept "
                "and the next run continues from there"
            )
            continue
        if isinstance(plan, CalendarPlan):
            counts += apply_calendar(session, coll, plan, now, tz)
        else:
            counts += apply_folder(session, coll, plan, now)
    return counts


def _cursor(coll: Collection) -> tuple[object, ...]:
    return (coll.sync_token, coll.ctag, coll.etag, coll.last_synced_at)


def _progress(db: Database, run_id: int, done: int, total: int, what: str) -> None:
    """Progress is committed on its own, so the admin page sees a running job move."""
    with db.session() as session:
        session.execute(
            update(SyncRun)
            .where(SyncRun.id == run_id)
            .values(progress_done=done, progress_total=total, details={"current": what})
        )


def _source_ok(session: Session, source_id: int) -> Source:
    source = session.get_one(Source, source_id)
    source.status, source.status_message, source.retry_after = "ok", None, None
    return source


def _finish(run: SyncRun, report: RunReport, started: datetime) -> None:
    finished = datetime.now(UTC)
    report.seconds = (finished - started).total_seconds()
    run.finished_at = finished
    run.outcome = report.outcome
    run.error = report.error
    run.added, run.changed, run.removed = (
        report.counts.added,
        report.counts.changed,
        report.counts.removed,
    )
    run.requests = report.requests
    run.details = {"collection_errors": report.collection_errors, "backoff": report.transient}


def _finish_in(session: Session, report: RunReport, started: datetime) -> None:
    run = session.get_one(SyncRun, report.run_id)
    _finish(run, report, started)
    run.progress_total = max(run.progress_total, report.steps)
    run.progress_done = run.progress_total


def _record_failure(
    db: Database,
    source_id: int,
    report: RunReport,
    err: IntegrationError | QuorumError,
    started: datetime,
    now: datetime,
) -> None:
    report.outcome = "failed"
    if isinstance(err, ServerError) or (isinstance(err, RateLimited) and not err.retry_after):
        report.transient = True
    report.error = err.message
    with db.session() as session:
        source = session.get(Source, source_id)
        assert source is not None
        source.status_message = err.message
        if isinstance(err, AuthError):
            source.status = "auth_failed"
            session.execute(
                update(SyncJob)
                .where(SyncJob.source_id == source_id)
                .values(paused_reason=err.message)
            )
        elif isinstance(err, RateLimited):
            source.status = "rate_limited"
            source.retry_after = err.retry_after
        else:
            unreachable = isinstance(err, ConnectError) and not isinstance(err, DeadlineExceeded)
            source.status = "unreachable" if unreachable else "error"
        _finish_in(session, report, started)
        if report.transient:
            back_off(session, source, report.run_id, now)
