"""Sync jobs: create, list, pause, resume, run now, remove; claim a due job atomically.

A job's schedule is an interval or a cron expression; its next fire time is computed by
APScheduler's triggers and stored in ``next_run_at``, so any process can see what is due. A job is
*claimed* by one ``UPDATE ... WHERE running_since IS NULL`` that also moves ``next_run_at`` past
now: two schedulers racing for the same trigger cannot both win, and a job never runs twice at
once. A claim older than ``job_timeout`` is considered abandoned (its process died) and can be
taken over.

``enabled`` is the admin's pause switch; ``paused_reason`` is set by the sync itself when the
server refused the password (401), and stays until an admin resumes the job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session, aliased

from sidecar.errors import NotFound, QuorumError
from sidecar.formatting import whole_number
from sidecar.security.vault import Vault
from sidecar.services import read_models
from sidecar.storage import Database
from sidecar.storage.models import Association, Source, SyncJob, SyncRun
from sidecar.sync.runner import RunOptions, RunReport, run_source

_EVERY = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
MIN_INTERVAL = 60  # seconds: polling a volunteer's Nextcloud faster than this helps no one


@dataclass(frozen=True)
class JobView:
    """A job as the CLI, the API and the admin page show it."""

    id: int
    name: str
    source: str
    schedule: str
    enabled: bool
    paused_reason: str | None
    next_run_at: datetime | None
    running_since: datetime | None

    @property
    def state(self) -> str:
        """running | paused (by an admin) | blocked (by a 401) | scheduled."""
        if self.running_since is not None:
            return "running"
        if not self.enabled:
            return "paused"
        return "blocked" if self.paused_reason else "scheduled"

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "source": self.source,
            "schedule": self.schedule,
            "enabled": self.enabled,
            "state": self.state,
            "paused_reason": self.paused_reason,
            "next_run_at": _iso(self.next_run_at),
            "running_since": _iso(self.running_since),
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


# --- schedules --------------------------------------------------------------------------------


def parse_every(text: str) -> int:
    """``15m`` -> 900 seconds (units s, m, h, d; a bare number is seconds)."""
    match = _EVERY.match(text)
    if match is None:
        raise QuorumError(
            f"{text!r} is not an interval: write 30s, 15m, 2h or 1d.",
            code="job.interval",
            text=text,
        )
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if seconds < MIN_INTERVAL:
        raise QuorumError(
            f"An interval of {text} is too short: use at least 1m.",
            code="job.interval_short",
            text=text,
        )
    return seconds


def trigger_for(interval_seconds: int | None, cron: str | None, tz: str) -> BaseTrigger:
    """The APScheduler trigger of a schedule (a cron expression runs in the association's zone)."""
    if cron:
        try:
            return CronTrigger.from_crontab(cron, timezone=ZoneInfo(tz))
        except ValueError as err:
            raise QuorumError(
                f"{cron!r} is not a cron expression ({err}).",
                code="job.cron",
                cron=cron,
                reason=err,
            ) from err
    if interval_seconds:
        return IntervalTrigger(seconds=interval_seconds, timezone=UTC)
    raise QuorumError(
        "A job needs a schedule: --every 15m or --cron '*/15 * * * *'.", code="job.schedule"
    )


def next_fire(interval_seconds: int | None, cron: str | None, tz: str, after: datetime) -> datetime:
    """The first fire time strictly after ``after``, in UTC."""
    trigger = trigger_for(interval_seconds, cron, tz)
    # An interval counts from the previous fire; a cron ignores it and looks after `now`.
    fire: datetime | None = trigger.get_next_fire_time(after, after + timedelta(microseconds=1))
    if fire is None:
        raise QuorumError("This schedule never fires again.", code="job.never")
    return fire.astimezone(UTC)


def describe(job: SyncJob) -> str:
    if job.cron:
        return f"cron {job.cron}"
    seconds = job.interval_seconds or 0
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"every {seconds // size}{unit}"
    return f"every {seconds}s"


def view(job: SyncJob) -> JobView:
    return JobView(
        job.id,
        job.name,
        job.source.name,
        describe(job),
        job.enabled,
        job.paused_reason,
        job.next_run_at,
        job.running_since,
    )


# --- use cases --------------------------------------------------------------------------------


def create_job(
    session: Session,
    association: Association,
    source: Source,
    name: str,
    *,
    every: str | None = None,
    cron: str | None = None,
    now: datetime | None = None,
) -> SyncJob:
    """Add a job (exactly one of ``every`` or ``cron``); its first run is due right away."""
    if bool(every) == bool(cron):
        raise QuorumError(
            "Give a schedule: either --every 15m or --cron '*/15 * * * *'.", code="job.schedule"
        )
    if session.scalar(_named(association.id, name)) is not None:
        raise QuorumError(
            f"A job named {name!r} already exists; pick another name.",
            code="job.name_taken",
            name=name,
        )
    interval = parse_every(every) if every else None
    trigger_for(interval, cron, association.timezone)  # validates the cron expression
    job = SyncJob(
        association_id=association.id,
        source_id=source.id,
        name=name,
        interval_seconds=interval,
        cron=cron or None,
        enabled=True,
        next_run_at=now or datetime.now(UTC),
    )
    session.add(job)
    session.flush()
    return job


DEFAULT_EVERY = "15m"  # the job a new source gets (`quorum source add`, the Sources page)


def create_default_job(
    session: Session, association: Association, source: Source, every: str = DEFAULT_EVERY
) -> SyncJob:
    """The sync job of a new source, named after it (with its id when that name is taken)."""
    name = source.name
    if session.scalar(_named(association.id, name)) is not None:
        name = f"{source.name} ({source.id})"
    return create_job(session, association, source, name, every=every)


def _named(association_id: int, name: str):  # type: ignore[no-untyped-def]
    return select(SyncJob).where(SyncJob.association_id == association_id, SyncJob.name == name)


def list_jobs(session: Session, association_id: int) -> list[SyncJob]:
    query = select(SyncJob).where(SyncJob.association_id == association_id).order_by(SyncJob.name)
    return list(session.scalars(query))


def find_job(session: Session, association_id: int, ref: str | int) -> SyncJob:
    """A job by id (an int or digits) or by name, within one association."""
    job: SyncJob | None
    number = ref if isinstance(ref, int) else whole_number(ref)
    if number is not None:
        job = session.get(SyncJob, number)
        job = job if job is not None and job.association_id == association_id else None
    else:
        job = session.scalar(_named(association_id, str(ref)))
    if job is None:
        raise NotFound(
            f"No job {ref!r}. `quorum job list` shows them.", code="job.unknown", name=ref
        )
    return job


def pause_job(job: SyncJob) -> None:
    job.enabled = False


def resume_job(job: SyncJob, now: datetime | None = None) -> None:
    """Enable again, forget a 401 pause, and run at the next fire time (or now if overdue)."""
    now = now or datetime.now(UTC)
    job.enabled = True
    job.paused_reason = None
    if job.next_run_at is None or job.next_run_at < now:
        job.next_run_at = now


def mark_due(session: Session, job_ids: list[int], now: datetime | None = None) -> int:
    """Make jobs due now (run now from the web, or a webhook); the scheduler picks them up."""
    if not job_ids:
        return 0
    result = session.execute(
        update(SyncJob).where(SyncJob.id.in_(job_ids)).values(next_run_at=now or datetime.now(UTC))
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def remove_job(session: Session, job: SyncJob) -> None:
    session.execute(delete(SyncJob).where(SyncJob.id == job.id))


def recent_runs(session: Session, job_id: int, limit: int = 20) -> list[SyncRun]:
    query = select(SyncRun).where(SyncRun.job_id == job_id).order_by(SyncRun.id.desc()).limit(limit)
    return list(session.scalars(query))


# --- claiming and running ---------------------------------------------------------------------


def due_job_ids(db: Database, now: datetime) -> list[int]:
    """Enabled, unblocked jobs whose next run is due (running ones are filtered by the claim)."""
    with db.session() as session:
        query = select(SyncJob.id).where(
            SyncJob.enabled.is_(True),
            SyncJob.paused_reason.is_(None),
            SyncJob.next_run_at <= now,
        )
        return list(session.scalars(query.order_by(SyncJob.next_run_at)))


def claim(db: Database, job_id: int, now: datetime, timeout: float, *, due: bool) -> bool:
    """Atomically take a job for this process; ``due`` also requires (and consumes) the trigger.

    The same UPDATE moves ``next_run_at`` to the next fire time, so a second scheduler that
    arrives a moment later, even after the first run ended, finds nothing due.
    """
    return claim_source(db, job_id, now, timeout, due=due) is not None


def claim_source(
    db: Database, job_id: int, now: datetime, timeout: float, *, due: bool
) -> int | None:
    """:func:`claim`, answering the claimed job's source id (None: not claimed)."""
    stale = now - timedelta(seconds=timeout)
    with db.session() as session:
        job = session.get(SyncJob, job_id)
        if job is None:
            return None
        # Two jobs of one source must not run together either: the sync of a source is not
        # safe against itself. The row lock serialises claims on PostgreSQL (SQLite locks anyway).
        session.scalar(select(Source.id).where(Source.id == job.source_id).with_for_update())
        tz = job.source.association.timezone
        following = next_fire(job.interval_seconds, job.cron, tz, now)
        sibling = aliased(SyncJob)
        sibling_running = (
            select(sibling.id)
            .where(
                sibling.source_id == job.source_id,
                sibling.id != job_id,
                sibling.running_since.is_not(None),
                sibling.running_since >= stale,
            )
            .exists()
        )
        conditions = [
            SyncJob.id == job_id,
            or_(SyncJob.running_since.is_(None), SyncJob.running_since < stale),
            ~sibling_running,
        ]
        if due:
            conditions += [
                SyncJob.next_run_at <= now,
                SyncJob.enabled.is_(True),
                SyncJob.paused_reason.is_(None),
            ]
        values: dict[str, object] = {"running_since": now}
        if due:  # consume the trigger, and remember how late it starts (metrics, admin page)
            lag = (now - job.next_run_at).total_seconds() if job.next_run_at else 0.0
            values |= {"next_run_at": following, "last_lag_seconds": max(0.0, lag)}
        result = session.execute(update(SyncJob).where(*conditions).values(**values))
        return job.source_id if int(result.rowcount) == 1 else None  # type: ignore[attr-defined]


def release(db: Database, job_id: int, claimed_at: datetime) -> None:
    """Drop our claim (only ours: a taken-over claim carries another time); honour Retry-After."""
    with db.session() as session:
        session.execute(
            update(SyncJob)
            .where(SyncJob.id == job_id, SyncJob.running_since == claimed_at)
            .values(running_since=None)
        )
        job = session.get(SyncJob, job_id)
        wait = job.source.retry_after if job is not None else None
        if job is not None and wait is not None and (job.next_run_at or wait) < wait:
            job.next_run_at = wait  # no point knocking before the server said so


CLAIM_GRACE = 60.0  # seconds a claim outlives job_timeout before another run may take it


@dataclass(frozen=True)
class JobLimits:
    """Per-request deadline and the age after which a claim counts as abandoned."""

    http_timeout: float = 60.0
    job_timeout: float = 900.0


def run_job(
    db: Database,
    vault: Vault,
    job_id: int,
    *,
    due: bool,
    limits: JobLimits = JobLimits(),
    now: datetime | None = None,
    options: RunOptions | None = None,
) -> RunReport | None:
    """Claim and run one job; ``None`` when another process has it (or it is not due)."""
    claimed_at = now or datetime.now(UTC)
    # A run stops at job_timeout (every request included); its claim counts as stale only a
    # grace later, so a second run of the job never starts while the first is still winding up.
    source_id = claim_source(db, job_id, claimed_at, limits.job_timeout + CLAIM_GRACE, due=due)
    if source_id is None:
        return None
    try:
        deadline = min(limits.http_timeout, limits.job_timeout)
        options = options or RunOptions(deadline=deadline, run_deadline=limits.job_timeout)
        options = replace(options, claimed_at=claimed_at)
        return sync_source(db, vault, source_id, job_id=job_id, options=options)
    finally:
        release(db, job_id, claimed_at)


def sync_source(
    db: Database,
    vault: Vault,
    source_id: int,
    *,
    job_id: int | None = None,
    options: RunOptions | None = None,
) -> RunReport:
    """Sync one source, then, if the run changed the mirror, rebuild what is derived from it
    (the read models) before anyone asks: every sync goes through here."""
    report = run_source(db, vault, source_id, job_id=job_id, options=options or RunOptions())
    if report.counts.added or report.counts.changed or report.counts.removed:
        read_models.refresh(db, source_id, datetime.now(UTC))
    return report


def source_by_name(session: Session, association_id: int, name: str) -> Source:
    found = session.scalar(
        select(Source).where(Source.association_id == association_id, Source.name == name)
    )
    if found is None:
        raise NotFound(
            f"No source named {name!r}. `quorum source list` shows them.",
            code="source.unknown",
            name=name,
        )
    return found
