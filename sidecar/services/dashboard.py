"""Read models for the overview page: next meetings, next deadlines, state of each source."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Integer,
    Row,
    Select,
    String,
    and_,
    bindparam,
    literal,
    not_,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from sidecar.storage.models import Collection, Occurrence, Source, SyncRun, UTCDateTime


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

    All-day items are kept for the whole of their day (they are stored at midnight UTC). One
    statement of two windowed parts: the latest ``limit`` overdue tasks of the past year (the
    page shows what it asks for, not hundreds of forgotten tasks), and the next ``limit`` items.
    """
    midnight = datetime(now.year, now.month, now.day, tzinfo=UTC)
    rows = session.execute(
        _upcoming_statement(),
        {
            "association_id": association_id,
            "role": role,
            "now": now,
            "midnight": midnight,
            "horizon": now - OVERDUE_HORIZON,
            "yesterday": now - timedelta(days=1),
            "limit": limit,
        },
    ).all()
    return [_view(row) for row in sorted(rows, key=lambda r: (not r.overdue, r.start, r.id))]


@functools.cache
def _upcoming_statement() -> CompoundSelect[*tuple[Any, ...]]:
    """The statement of :func:`upcoming`, built once (building it cost as much as running it)."""
    now, midnight = bindparam("now", type_=UTCDateTime), bindparam("midnight", type_=UTCDateTime)
    limit = bindparam("limit", type_=Integer)
    base = (
        select(
            Occurrence.id,
            Occurrence.summary,
            Occurrence.start,
            Occurrence.end,
            Occurrence.all_day,
            Collection.display_name,
            Occurrence.component,
            Occurrence.details,
        )
        .join(Collection, Occurrence.collection_id == Collection.id)
        .join(Source, Collection.source_id == Source.id)
        .where(
            Source.association_id == bindparam("association_id", type_=Integer),
            Collection.role == bindparam("role", type_=String),
            Collection.enabled.is_(True),
            or_(Occurrence.status.is_(None), Occurrence.status.not_in(("CANCELLED", "COMPLETED"))),
        )
    )
    late = or_(
        and_(Occurrence.all_day.is_(True), Occurrence.start < midnight),
        and_(Occurrence.all_day.is_(False), Occurrence.start < now),
    )
    overdue = (
        base.add_columns(literal(True).label("overdue"))
        .where(
            Occurrence.component == "VTODO",
            Occurrence.start >= bindparam("horizon", type_=UTCDateTime),
            late,
        )
        .order_by(Occurrence.start.desc(), Occurrence.id.desc())
        .limit(limit)
        .subquery()
    )
    coming = (
        base.add_columns(literal(False).label("overdue"))
        .where(Occurrence.start >= bindparam("yesterday", type_=UTCDateTime), not_(late))
        .order_by(Occurrence.start, Occurrence.id)
        .limit(limit)
        .subquery()
    )
    return union_all(select(overdue), select(coming))


OVERDUE_HORIZON = timedelta(days=365)


def _view(row: Row[Any]) -> EventView:
    return EventView(
        row.summary,
        row.start or datetime.min.replace(tzinfo=UTC),
        row.end,
        row.all_day,
        row.display_name,
        row.component,
        str((row.details or {}).get("location", "")),
        bool(row.overdue),
    )


def source_states(session: Session, association_id: int) -> list[SourceView]:
    """Each source with its state and its latest sync run (one statement)."""
    rows = session.execute(_source_states_statement(), {"association_id": association_id})
    return [SourceView(*row) for row in rows]


@functools.cache
def _source_states_statement() -> Select[*tuple[Any, ...]]:
    """The statement of :func:`source_states`, built once (see :func:`_upcoming_statement`)."""
    latest = (
        select(SyncRun.id)
        .where(SyncRun.source_id == Source.id)
        .order_by(SyncRun.started_at.desc())
        .limit(1)
        .correlate(Source)
        .scalar_subquery()
    )
    return (
        select(
            Source.name,
            Source.status,
            Source.status_message,
            SyncRun.started_at,
            SyncRun.outcome,
            SyncRun.error,
        )
        .outerjoin(SyncRun, SyncRun.id == latest)
        .where(Source.association_id == bindparam("association_id", type_=Integer))
        .order_by(Source.name)
    )
