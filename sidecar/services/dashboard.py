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
    and_,
    bindparam,
    literal,
    not_,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from sidecar.storage.models import OPEN_OCCURRENCE, Occurrence, Source, SyncRun, UTCDateTime
from sidecar.storage.read import calendars_with_role


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

    All-day items are kept for the whole of their day (they are stored at midnight UTC). Each
    calendar is read by one statement of two windowed parts, the latest ``limit`` overdue
    tasks of the past year (the page shows what it asks for, not hundreds of forgotten tasks)
    and the next ``limit`` items, each an index scan that stops there; then merged. (One
    statement over all the calendars sorted every item of the year: 2.4 ms at the large
    benchmark size.)
    """
    values: dict[str, Any] = {
        "now": now,
        "midnight": datetime(now.year, now.month, now.day, tzinfo=UTC),
        "horizon": now - OVERDUE_HORIZON,
        "yesterday": now - timedelta(days=1),
        "limit": limit,
    }
    found: list[tuple[Row[Any], str]] = []
    for calendar_id, name in calendars_with_role(session, association_id, role):
        rows = session.execute(_upcoming_statement(), {**values, "collection_id": calendar_id})
        found += [(row, name) for row in rows]
    overdue = sorted((p for p in found if p[0].overdue), key=_order, reverse=True)[:limit]
    coming = sorted((p for p in found if not p[0].overdue), key=_order)[:limit]
    return [_view(row, name) for row, name in (*reversed(overdue), *coming)]


def _order(found: tuple[Row[Any], str]) -> tuple[datetime, int]:
    return found[0].start, found[0].id


@functools.cache
def _upcoming_statement() -> CompoundSelect[*tuple[Any, ...]]:
    """The statement of :func:`upcoming` for one calendar, built once (building it cost as
    much as running it)."""
    now, midnight = bindparam("now", type_=UTCDateTime), bindparam("midnight", type_=UTCDateTime)
    limit = bindparam("limit", type_=Integer)
    base = select(
        Occurrence.id,
        Occurrence.summary,
        Occurrence.start,
        Occurrence.end,
        Occurrence.all_day,
        Occurrence.component,
        Occurrence.details,
    ).where(
        Occurrence.collection_id == bindparam("collection_id", type_=Integer),
        text(OPEN_OCCURRENCE),
    )
    late = or_(
        and_(Occurrence.all_day.is_(True), Occurrence.start < midnight),
        and_(Occurrence.all_day.is_(False), Occurrence.start < now),
    )
    overdue = (
        base.add_columns(literal(True).label("overdue"))
        .where(
            text("component = 'VTODO'"),  # with the above: the open tasks' partial index
            Occurrence.start >= bindparam("horizon", type_=UTCDateTime),
            Occurrence.start < now,  # implied by late: it bounds the index scan
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


def _view(row: Row[Any], calendar: str) -> EventView:
    return EventView(
        row.summary,
        row.start or datetime.min.replace(tzinfo=UTC),
        row.end,
        row.all_day,
        calendar,
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
