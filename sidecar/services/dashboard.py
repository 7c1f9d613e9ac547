"""Read models for the overview page: next meetings, next deadlines, state of each source."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, not_, or_, select
from sqlalchemy.orm import Session

from sidecar.storage.models import Collection, Occurrence, Source, SyncRun


@dataclass(frozen=True)
class EventView:
    summary: str
    start: datetime
    end: datetime | None
    all_day: bool
    calendar: str
    component: str
    location: str
    overdue: bool = False


@dataclass(frozen=True)
class SourceView:
    name: str
    status: str
    message: str | None
    last_run_at: datetime | None
    last_outcome: str | None
    last_error: str | None


def upcoming(
    session: Session, association_id: int, role: str, now: datetime, *, limit: int = 8
) -> list[EventView]:
    """Occurrences still to come in the calendars with ``role``, cancelled ones left out,
    after the tasks of the past year that are still open (overdue, shown first).

    All-day items are kept for the whole of their day (they are stored at midnight UTC). Two
    windowed queries: the latest ``limit`` overdue tasks of the past year (the page shows what
    it asks for, not hundreds of forgotten tasks), and the next ``limit`` items.
    """
    midnight = datetime(now.year, now.month, now.day, tzinfo=UTC)
    base = (
        select(Occurrence, Collection.display_name)
        .join(Collection, Occurrence.collection_id == Collection.id)
        .join(Source, Collection.source_id == Source.id)
        .where(
            Source.association_id == association_id,
            Collection.role == role,
            Collection.enabled.is_(True),
            or_(Occurrence.status.is_(None), Occurrence.status.not_in(("CANCELLED", "COMPLETED"))),
        )
        .order_by(Occurrence.start, Occurrence.id)
    )
    late = or_(
        and_(Occurrence.all_day.is_(True), Occurrence.start < midnight),
        and_(Occurrence.all_day.is_(False), Occurrence.start < now),
    )
    overdue = session.execute(
        base.where(
            Occurrence.component == "VTODO",
            Occurrence.start >= now - OVERDUE_HORIZON,
            late,
        )
        .order_by(None)
        .order_by(Occurrence.start.desc(), Occurrence.id.desc())
        .limit(limit)
    ).all()[::-1]
    coming = session.execute(
        base.where(Occurrence.start >= now - timedelta(days=1), not_(late)).limit(limit)
    )
    return [_view(occ, calendar, overdue=True) for occ, calendar in overdue] + [
        _view(occ, calendar, overdue=False) for occ, calendar in coming
    ]


OVERDUE_HORIZON = timedelta(days=365)


def _view(occ: Occurrence, calendar: str, *, overdue: bool) -> EventView:
    return EventView(
        occ.summary,
        occ.start or datetime.min.replace(tzinfo=UTC),
        occ.end,
        occ.all_day,
        calendar,
        occ.component,
        str(occ.details.get("location", "")),
        overdue,
    )


def source_states(session: Session, association_id: int) -> list[SourceView]:
    views = []
    for src in session.scalars(
        select(Source).where(Source.association_id == association_id).order_by(Source.name)
    ):
        last = session.scalar(
            select(SyncRun)
            .where(SyncRun.source_id == src.id)
            .order_by(SyncRun.started_at.desc())
            .limit(1)
        )
        views.append(
            SourceView(
                src.name,
                src.status,
                src.status_message,
                last.started_at if last else None,
                last.outcome if last else None,
                last.error if last else None,
            )
        )
    return views
