"""Federation operations: the associations one Quorum serves, their sync health, disabling one.

A hosting federation (a CHATONS host, a "Maison des associations") runs one Quorum for many
associations. These use cases back ``quorum association ...`` and the admin page of
associations. Every figure comes from a few grouped queries, never one query per association,
so listing 10,000 associations stays cheap.

*Lag* is how late a job started compared with its due time (stored by the claim in
``sync_jobs.last_lag_seconds``); *overdue* is how long the most overdue job waits right now.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sidecar.errors import NotFound, QuorumError
from sidecar.storage.models import Association, Source, SyncJob, SyncRun

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
ERROR_WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class AssociationHealth:
    """One association as the federation's operators see it."""

    id: int
    slug: str
    name: str
    disabled: bool
    sources: int
    jobs: int
    last_sync_at: datetime | None
    last_outcome: str | None
    last_error: str | None
    lag_seconds: float | None  # the largest start lag of its jobs' last runs
    overdue_seconds: float  # how long its most overdue job waits now (0: none)
    failed_runs: int  # in the last day

    @property
    def state(self) -> str:
        """disabled | failing | late | ok | idle (no job)."""
        if self.disabled:
            return "disabled"
        if self.last_outcome == "failed":
            return "failing"
        if self.overdue_seconds > 0:
            return "late"
        return "ok" if self.jobs else "idle"

    def as_dict(self) -> dict[str, object]:
        return {
            "slug": self.slug,
            "name": self.name,
            "state": self.state,
            "sources": self.sources,
            "jobs": self.jobs,
            "last_sync_at": self.last_sync_at.isoformat() if self.last_sync_at else None,
            "last_outcome": self.last_outcome,
            "last_error": self.last_error,
            "lag_seconds": self.lag_seconds,
            "overdue_seconds": self.overdue_seconds,
            "failed_runs_last_day": self.failed_runs,
        }


def create_association(
    session: Session, slug: str, name: str, *, timezone: str, language: str
) -> Association:
    """A new association; its first admin is then added with ``quorum -a SLUG user create-admin``."""
    if not SLUG.match(slug):
        raise QuorumError(
            f"{slug!r} is not a valid slug: use lower-case letters, digits and dashes "
            "(for example jardins-croix-rousse).",
            code="association.slug",
            slug=slug,
        )
    if session.scalar(select(Association.id).where(Association.slug == slug)) is not None:
        raise QuorumError(
            f"An association {slug!r} exists already; `quorum association list`.",
            code="association.exists",
            slug=slug,
        )
    check_timezone(timezone)
    association = Association(
        slug=slug, name=name.strip() or slug, timezone=timezone, language=language, settings={}
    )
    session.add(association)
    session.flush()
    return association


def check_timezone(timezone: str) -> None:
    """Refuse a zone the system does not know: every alerts cycle and page would fail on it."""
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise QuorumError(
            f"{timezone!r} is not a time zone; use a name such as Europe/Paris.",
            code="config.timezone",
            value=timezone,
        ) from err


def find(session: Session, slug: str) -> Association:
    found = session.scalar(select(Association).where(Association.slug == slug))
    if found is None:
        raise NotFound(
            f"No association {slug!r}. `quorum association list` shows them.",
            code="association.unknown",
            slug=slug,
        )
    return found


def set_disabled(association: Association, disabled: bool, now: datetime) -> None:
    """Disable: its jobs are no longer due and its alerts cycles stop; data is kept."""
    association.disabled_at = now if disabled else None
    if not disabled:
        association.alerts_due_at = None  # back: look at its alerts at once


def health(
    session: Session, now: datetime, association_ids: list[int] | None = None
) -> list[AssociationHealth]:
    """The health of every association (or of ``association_ids``), worst first."""
    query = select(Association).order_by(Association.slug)
    if association_ids is not None:
        query = query.where(Association.id.in_(association_ids))
    associations = list(session.scalars(query))
    sources = _count(session, Source.association_id)
    job_count = _count(session, SyncJob.association_id)
    lags = dict(
        session.execute(
            select(SyncJob.association_id, func.max(SyncJob.last_lag_seconds)).group_by(
                SyncJob.association_id
            )
        ).all()
    )
    overdue = dict(
        session.execute(
            select(SyncJob.association_id, func.min(SyncJob.next_run_at))
            .where(
                SyncJob.enabled.is_(True),
                SyncJob.paused_reason.is_(None),
                SyncJob.running_since.is_(None),
                SyncJob.next_run_at <= now,
            )
            .group_by(SyncJob.association_id)
        ).all()
    )
    last = _last_runs(session)
    failed = dict(
        session.execute(
            select(Source.association_id, func.count())
            .join(SyncRun, SyncRun.source_id == Source.id)
            .where(SyncRun.outcome == "failed", SyncRun.started_at >= now - ERROR_WINDOW)
            .group_by(Source.association_id)
        ).all()
    )
    rows = []
    for a in associations:
        finished, outcome, error = last.get(a.id, (None, None, None))
        since = overdue.get(a.id)
        rows.append(
            AssociationHealth(
                a.id,
                a.slug,
                a.name,
                a.disabled_at is not None,
                sources.get(a.id, 0),
                job_count.get(a.id, 0),
                finished,
                outcome,
                error,
                lags.get(a.id),
                max(0.0, (now - since).total_seconds()) if since else 0.0,
                failed.get(a.id, 0),
            )
        )
    order = {"failing": 0, "late": 1, "ok": 2, "idle": 3, "disabled": 4}
    return sorted(rows, key=lambda r: (order[r.state], -r.overdue_seconds, r.slug))


def _count(session: Session, column: object) -> dict[int, int]:
    rows = session.execute(select(column, func.count()).group_by(column))  # type: ignore[call-overload]
    return {int(key): int(count) for key, count in rows}


def _last_runs(session: Session) -> dict[int, tuple[datetime | None, str | None, str | None]]:
    """Each association's latest finished run: when, outcome, error."""
    latest = (
        select(Source.association_id, func.max(SyncRun.id).label("run_id"))
        .join(SyncRun, SyncRun.source_id == Source.id)
        .where(SyncRun.finished_at.is_not(None))
        .group_by(Source.association_id)
        .subquery()
    )
    query = select(
        latest.c.association_id, SyncRun.finished_at, SyncRun.outcome, SyncRun.error
    ).join(SyncRun, SyncRun.id == latest.c.run_id)
    return {
        aid: (finished, outcome, error) for aid, finished, outcome, error in session.execute(query)
    }


def percentiles(values: list[float], points: tuple[float, ...]) -> dict[float, float]:
    """Nearest-rank percentiles of ``values`` (empty: all zero)."""
    ordered = sorted(values)
    if not ordered:
        return dict.fromkeys(points, 0.0)
    top = len(ordered) - 1  # rank ceil(p * n), rounded first: 0.95 * 100 is 95.000...01
    return {p: ordered[min(top, max(0, math.ceil(round(p * len(ordered), 9)) - 1))] for p in points}
