"""Build the projection's plain inputs from the database (one association at a time)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from collections.abc import Collection as Collection_
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Integer, Row, Select, String, bindparam, event, select
from sqlalchemy.orm import Session

from sidecar.projection.inputs import (
    Attendee,
    BodyInfo,
    EventInstance,
    FileInfo,
    MemberInfo,
    Seat,
)
from sidecar.projection.meetings import MeetingOverride
from sidecar.projection.readiness import ManualProxy
from sidecar.storage.kept import Kept
from sidecar.storage.models import (
    Body,
    CalendarObjectRecord,
    Collection,
    FileRecord,
    MeetingFileRow,
    MeetingOverrideRecord,
    MeetingProxyRecord,
    Member,
    Membership,
    Occurrence,
    Source,
    UTCDateTime,
)

V = TypeVar("V")

#: Any select statement, whatever its columns.
AnySelect = Select[*tuple[Any, ...]]


def load_events(
    session: Session,
    association_id: int,
    *,
    roles: tuple[str, ...] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    ids: Collection_[int] | None = None,
) -> list[EventInstance]:
    """Occurrences of the association's enabled calendars, ordered by start (``ids``: only
    those occurrences)."""
    values = _given(roles=roles, start=start, end=end, ids=ids)
    statement = _events_statement(frozenset(values))
    values["association_id"] = association_id
    return [_event(row) for row in session.execute(statement, values)]


def _given(**filters: Any) -> dict[str, Any]:
    """The filters given (not None), collections of ids as lists: the values of a statement
    built once per set of filters, with expanding parameters for the lists."""
    return {
        name: list(value)
        if isinstance(value, Collection_) and not isinstance(value, str)
        else value
        for name, value in filters.items()
        if value is not None
    }


@functools.cache
def _events_statement(filters: frozenset[str]) -> AnySelect:
    """The statement of :func:`load_events` with these filters, built once (building it costs
    about as much as running it on PostgreSQL; there are a few combinations)."""
    query = (
        select(*_EVENT_COLUMNS)
        .join(Collection, Occurrence.collection_id == Collection.id)
        .join(Source, Collection.source_id == Source.id)
        .join(CalendarObjectRecord, Occurrence.object_id == CalendarObjectRecord.id)
        .where(
            Source.association_id == bindparam("association_id", type_=Integer),
            Collection.enabled.is_(True),
        )
        .order_by(Occurrence.start)
    )
    if "roles" in filters:
        query = query.where(Collection.role.in_(bindparam("roles", expanding=True)))
    if "start" in filters:
        query = query.where(Occurrence.start >= bindparam("start", type_=UTCDateTime))
    if "end" in filters:
        query = query.where(Occurrence.start < bindparam("end", type_=UTCDateTime))
    if "ids" in filters:
        query = query.where(Occurrence.id.in_(bindparam("ids", expanding=True)))
    return query


#: What an event instance is made of, read as plain rows (ORM objects cost a page more).
_EVENT_COLUMNS = (
    Occurrence.id,
    Collection.id.label("calendar_id"),
    Collection.role,
    Collection.display_name,
    Occurrence.uid,
    Occurrence.recurrence_id,
    Occurrence.component,
    Occurrence.summary,
    Occurrence.start,
    Occurrence.end,
    Occurrence.all_day,
    Occurrence.status,
    Occurrence.details,
    CalendarObjectRecord.first_seen,
)


def _event(row: Row[Any]) -> EventInstance:
    d = row.details or {}
    return EventInstance(
        occurrence_id=row.id,
        calendar_id=row.calendar_id,
        calendar_role=row.role,
        calendar_name=row.display_name,
        uid=row.uid,
        recurrence_id=row.recurrence_id,
        component=row.component,
        summary=row.summary,
        start=row.start,
        end=row.end,
        all_day=row.all_day,
        status=row.status,
        categories=tuple(d.get("categories", ())),
        location=d.get("location", ""),
        description=d.get("description", ""),
        url=d.get("url", ""),
        conference=tuple(d.get("conference", ())),
        attach=tuple(d.get("attach", ())),
        organizer=d.get("organizer", ""),
        attendees=tuple(
            Attendee(
                email=a.get("email", ""),
                name=a.get("name", ""),
                partstat=a.get("partstat", "NEEDS-ACTION"),
                role=a.get("role", "REQ-PARTICIPANT"),
                delegated_to=tuple(a.get("delegated_to", ())),
                delegated_from=tuple(a.get("delegated_from", ())),
            )
            for a in d.get("attendees", ())
        ),
        created=_dt(d.get("created")),
        dtstamp=_dt(d.get("dtstamp")),
        first_seen=row.first_seen,
        last_modified=_dt(d.get("last_modified")),
        series_instance=bool(d.get("series_instance")),
        due=d.get("due"),
        completed=_dt(d.get("completed")),
    )


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def load_files(
    session: Session,
    association_id: int,
    *,
    ids: Collection_[int] | None = None,
    fileids: Collection_[str] | None = None,
    latest: int | None = None,
    meetings: Collection_[int] | None = None,
) -> list[FileInfo]:
    """The mirrored files of the association's enabled folders, by path; only those with
    these ``ids`` or Nextcloud ``fileids``, or the ``latest`` files (not folders) by mtime, or
    the files of these stored ``meetings`` (occurrence ids, see the read models)."""
    values = _given(ids=ids, fileids=fileids, latest=latest, meetings=meetings)
    statement = _files_statement(frozenset(values))
    values["association_id"] = association_id
    return [_file(row) for row in session.execute(statement, values)]


@functools.cache
def _files_statement(filters: frozenset[str]) -> AnySelect:
    """The statement of :func:`load_files` with these filters, built once (see
    :func:`_events_statement`)."""
    association_id = bindparam("association_id", type_=Integer)
    query = (
        select(*_FILE_COLUMNS)
        .join(Collection, FileRecord.collection_id == Collection.id)
        .join(Source, Collection.source_id == Source.id)
        .where(Source.association_id == association_id, Collection.enabled.is_(True))
        .order_by(FileRecord.path, FileRecord.id)
    )
    if "ids" in filters:
        query = query.where(FileRecord.id.in_(bindparam("ids", expanding=True)))
    if "fileids" in filters:
        query = query.where(FileRecord.fileid.in_(bindparam("fileids", expanding=True)))
    if "meetings" in filters:
        of_meetings = select(MeetingFileRow.file_id).where(
            MeetingFileRow.association_id == association_id,
            MeetingFileRow.occurrence_id.in_(bindparam("meetings", expanding=True)),
        )
        query = query.where(FileRecord.id.in_(of_meetings))
    if "latest" in filters:
        query = (
            query.where(FileRecord.is_folder.is_(False), FileRecord.mtime.is_not(None))
            .order_by(None)
            .order_by(FileRecord.mtime.desc(), FileRecord.path.desc())
            .limit(bindparam("latest", type_=Integer))
        )
    return query


#: What a file is made of, read as plain rows (ORM objects cost more per row).
_FILE_COLUMNS = (
    FileRecord.id,
    FileRecord.path,
    FileRecord.is_folder,
    FileRecord.fileid,
    FileRecord.etag,
    FileRecord.size,
    FileRecord.mtime,
    FileRecord.content_type,
    FileRecord.owner,
    FileRecord.share_types,
    FileRecord.first_seen,
    FileRecord.last_changed,
)


def _file(r: Row[Any]) -> FileInfo:
    return FileInfo(
        id=r.id,
        path=r.path,
        is_folder=r.is_folder,
        fileid=r.fileid,
        etag=r.etag,
        size=r.size,
        mtime=r.mtime,
        content_type=r.content_type,
        owner=r.owner,
        share_types=tuple(r.share_types or ()),
        first_seen=r.first_seen,
        last_changed=r.last_changed,
    )


def _member(m: Member) -> MemberInfo:
    return MemberInfo(m.id, m.name, m.email, m.nc_user, m.language)


def load_members(session: Session, association_id: int) -> list[MemberInfo]:
    rows = session.scalars(
        select(Member)
        .where(Member.association_id == association_id, Member.active.is_(True))
        .order_by(Member.name)
    )
    return [_member(m) for m in rows]


_MEMOS = "quorum.memos"


def session_memo(session: Session, name: str) -> dict[Any, Any]:
    """A dict kept in ``session`` for values read once per unit of work (a page reads the
    bodies and the read models' fingerprint several times): emptied by any flush, commit or
    rollback, after which what it held may have changed."""
    memos: dict[str, dict[Any, Any]] | None = session.info.get(_MEMOS)
    if memos is None:
        memos = session.info[_MEMOS] = {}
        for name_ in ("after_flush", "after_commit", "after_rollback"):
            event.listen(session, name_, _forget)
    return memos.setdefault(name, {})


def _forget(session: Session, *_args: object) -> None:
    memos = session.info.get(_MEMOS)
    if memos:
        memos.clear()


#: The name under which :mod:`sidecar.storage.read_models` keeps the read models' fingerprint
#: in a session (see :func:`session_memo`).
FINGERPRINT_MEMO = "read_models.fingerprint"
#: Bodies with their seats, by association and read models' fingerprint: the fingerprint
#: covers the bodies, seats and members, so a changed roster is a new key.
_BODIES: Kept[tuple[Any, ...], tuple[BodyInfo, ...]] = Kept(64)


def by_fingerprint(
    session: Session,
    association_id: int,
    kept: Kept[tuple[Any, ...], V],
    key: tuple[Any, ...],
    read: Callable[[], V],
) -> V:
    """``read()``'s value, kept in ``kept`` under the association, the read models'
    fingerprint and ``key`` when this unit of work knows the fingerprint (else read now). For
    values derived from the read models' inputs: when they change, so does the fingerprint."""
    known = session_memo(session, FINGERPRINT_MEMO).get(association_id)
    return kept.get((association_id, known[0], *key), read) if known else read()


def load_bodies(session: Session, association_id: int) -> list[BodyInfo]:
    """The association's bodies with their seats (read once per unit of work, and not at all
    when this unit of work knows the read models' fingerprint and this process has read the
    bodies at that fingerprint: a page needs them on every request)."""
    memo = session_memo(session, "bodies")
    if association_id not in memo:

        def read() -> tuple[BodyInfo, ...]:
            return tuple(_load_bodies(session, association_id))

        memo[association_id] = by_fingerprint(session, association_id, _BODIES, (), read)
    return list(memo[association_id])


#: The enabled calendars of each role, by association and read models' fingerprint (which
#: covers the collections' roles, names and whether they are enabled).
_CALENDARS: Kept[tuple[Any, ...], tuple[tuple[int, str], ...]] = Kept(64)


def calendars_with_role(
    session: Session, association_id: int, role: str
) -> tuple[tuple[int, str], ...]:
    """(id, name) of the association's enabled calendars with ``role``, by id: read once per
    process and fingerprint when this unit of work knows the read models' fingerprint."""

    def read() -> tuple[tuple[int, str], ...]:
        rows = session.execute(_CALENDARS_STATEMENT, {"aid": association_id, "role": role})
        return tuple((row.id, row.display_name) for row in rows)

    return by_fingerprint(session, association_id, _CALENDARS, (role,), read)


_CALENDARS_STATEMENT = (
    select(Collection.id, Collection.display_name)
    .join(Source, Collection.source_id == Source.id)
    .where(
        Source.association_id == bindparam("aid", type_=Integer),
        Collection.kind == "calendar",
        Collection.role == bindparam("role", type_=String),
        Collection.enabled.is_(True),
    )
    .order_by(Collection.id)
)


def _load_bodies(session: Session, association_id: int) -> list[BodyInfo]:
    """One statement, plain rows: a page reads the bodies on every request."""
    rows = session.execute(
        select(
            Body.id,
            Body.code,
            Body.name,
            Body.kind,
            Body.notice_days,
            Body.quorum_first,
            Body.quorum_second,
            Body.proxies_allowed,
            Body.proxy_cap,
            Body.remote_allowed,
            Body.minutes_due_days,
            Body.match_patterns,
            Body.folder,
            Membership.role,
            Member.id.label("member_id"),
            Member.name.label("member_name"),
            Member.email,
            Member.nc_user,
            Member.language,
        )
        .outerjoin(Membership, Membership.body_id == Body.id)
        .outerjoin(Member, Member.id == Membership.member_id)
        .where(Body.association_id == association_id)
        .order_by(Body.id, Membership.member_id)
    )
    bodies: dict[int, BodyInfo] = {}
    seats: dict[int, list[Seat]] = {}
    for row in rows:
        if row.id not in bodies:
            bodies[row.id] = BodyInfo(
                id=row.id,
                code=row.code,
                name=row.name,
                kind=row.kind,
                notice_days=row.notice_days,
                quorum_first=row.quorum_first,
                quorum_second=row.quorum_second,
                proxies_allowed=row.proxies_allowed,
                proxy_cap=row.proxy_cap,
                remote_allowed=row.remote_allowed,
                minutes_due_days=row.minutes_due_days,
                match_patterns=tuple(row.match_patterns or ()),
                folder=row.folder,
            )
            seats[row.id] = []
        if row.member_id is not None:
            member = MemberInfo(
                row.member_id, row.member_name, row.email, row.nc_user, row.language
            )
            seats[row.id].append(Seat(member, row.role))
    return [replace(body, seats=tuple(seats[body.id])) for body in bodies.values()]


def load_overrides(session: Session, association_id: int) -> list[MeetingOverride]:
    """Admins' classifications of occurrences and series."""
    rows = session.scalars(
        select(MeetingOverrideRecord).where(MeetingOverrideRecord.association_id == association_id)
    )
    return [MeetingOverride(o.uid, o.recurrence_id, o.body_id, o.not_a_meeting) for o in rows]


def load_proxies(
    session: Session, association_id: int, uids: Collection_[str] | None = None
) -> list[ManualProxy]:
    """Paper proxies entered by hand (``uids``: of these events only)."""
    query = select(MeetingProxyRecord).where(MeetingProxyRecord.association_id == association_id)
    if uids is not None:
        query = query.where(MeetingProxyRecord.uid.in_(sorted(uids)))
    rows = session.scalars(query)
    return [ManualProxy(p.uid, p.recurrence_id, p.giver, p.holder) for p in rows]
