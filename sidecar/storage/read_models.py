"""Storage of the read models: what they were built from, and indexed reads of them.

The read models (meetings and their files) are derived from the mirror and
the settings by :mod:`sidecar.services.read_models`; this module only stores and reads them.
:func:`fingerprint_inputs` reads, in a few small queries whatever the mirror's size, everything
that decides them: the collections' sync cursors (they move whenever a sync applied a change),
the mirror's highest row ids, and the settings, bodies and their seats, members, overrides, grants
and their ticked pieces.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Collection as Collection_
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    Text,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from sidecar.storage.kept import Kept, KeptPerDatabase
from sidecar.storage.models import (
    Association,
    Body,
    CalendarObjectRecord,
    Collection,
    FileRecord,
    Grant,
    GrantPieceTick,
    MeetingFileRow,
    MeetingOverrideRecord,
    MeetingProxyRecord,
    MeetingRow,
    Member,
    Membership,
    Occurrence,
    ReadModelState,
    Source,
    UTCDateTime,
)
from sidecar.storage.read import FINGERPRINT_MEMO, session_memo


@dataclass(frozen=True)
class MeetingEntry:
    """One stored meeting: which occurrence, which body, when, and where its files are."""

    occurrence_id: int
    body_id: int
    body_code: str
    title: str
    start: datetime
    end: datetime
    day: date
    original_day: date | None
    cancelled: bool
    uid: str = ""
    recurrence_id: str = ""
    all_day: bool = False
    glance: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Window:
    """Which stored meetings to read: ``start`` ≤ start < ``end``, ending at or after
    ``ending_after``, of ``bodies`` (codes; None: all), cancelled ones unless ``counted``."""

    start: datetime | None = None
    end: datetime | None = None
    ending_after: datetime | None = None
    ending_before: datetime | None = None
    bodies: Collection_[str] | None = None
    counted: bool = False
    newest_first: bool = False
    limit: int | None = None
    offset: int = 0


#: The stored form of the read models: changing what they hold changes it, so they are rebuilt.
FORMAT = "meetings with glance, ends not before starts, longest meeting, 2026-12-05"


def fingerprint_inputs(session: Session, association: Association) -> list[Any]:
    """Everything the read models depend on, as plain values (one statement)."""
    return _inputs(session, association)[0]


def _inputs(session: Session, association: Association) -> tuple[list[Any], str | None]:
    """The read models' inputs, and the fingerprint they were last built from (None: never),
    read in one statement: each input row as text, keyed by kind and id.

    Every statement costs a page 0.3 to 0.5 ms of SQLAlchemy's own work (and a round trip to
    PostgreSQL), whatever it reads: the seven small queries this took cost more than the page's
    meetings.
    """
    statement = _inputs_statement(session.get_bind().dialect.name)
    rows = session.execute(statement, {"aid": association.id}).all()
    stored = next((row.value for row in rows if row.kind == "~"), None)
    inputs = [
        FORMAT,
        association.settings,
        association.timezone,
        association.financial_year_end,
        [tuple(row) for row in rows if row.kind != "~"],
    ]
    return inputs, stored


AnySelect = Select[*tuple[Any, ...]]


@functools.cache
def _inputs_statement(dialect: str) -> CompoundSelect[*tuple[Any, ...]]:
    """The statement of :func:`_inputs`, built once (building it costs more than running it).

    Each row's columns are one JSON array: the statement stays short (psycopg parses again,
    at every request, any statement longer than 4,096 characters: 0.9 ms).
    """
    aid = bindparam("aid", type_=Integer)
    array = func.json_build_array if dialect == "postgresql" else func.json_array
    highest = [
        select(func.max(model.id)).scalar_subquery()
        for model in (FileRecord, CalendarObjectRecord, Occurrence)
    ]
    stored = select(
        literal_column("'~'", Text).label("kind"),
        literal_column("''", Text).label("key"),
        ReadModelState.fingerprint.label("value"),
    ).where(ReadModelState.association_id == aid)

    def _part(
        kind: str, key: Any, query: AnySelect, where: ColumnElement[bool] | None
    ) -> AnySelect:
        """``query``'s rows as (kind, key, value): its columns as one JSON array, as text."""
        found = query.with_only_columns(
            literal_column(f"'{kind}'", Text).label("kind"),
            (cast(key, Text) if key is not None else literal_column("''", Text)).label("key"),
            cast(array(*query.selected_columns), Text).label("value"),
            maintain_column_froms=True,
        )
        return found.where(where) if where is not None else found

    parts = [
        stored,
        _part(
            "c",
            Collection.id,
            select(
                Collection.role,
                Collection.enabled,
                Collection.display_name,
                Collection.sync_token,
                Collection.ctag,
                Collection.etag,
                Collection.expanded_from,
            ).join(Source, Collection.source_id == Source.id),
            Source.association_id == aid,
        ),
        _part("h", None, select(*highest), None),
        # The sources' addresses: the pages' links to Nextcloud (kept per fingerprint).
        _part("u", Source.id, select(Source.base_url), Source.association_id == aid),
        _part("b", Body.id, select(*Body.__table__.columns), Body.association_id == aid),
        # The seats: a meeting's stored quorum and answers are counted over its body's seats.
        _part(
            "s",
            Membership.body_id,
            select(Membership.member_id, Membership.role).join(Body, Membership.body_id == Body.id),
            Body.association_id == aid,
        ),
        _part("m", Member.id, select(*Member.__table__.columns), Member.association_id == aid),
        _part(
            "o",
            MeetingOverrideRecord.id,
            select(
                MeetingOverrideRecord.uid,
                MeetingOverrideRecord.recurrence_id,
                MeetingOverrideRecord.body_id,
                MeetingOverrideRecord.not_a_meeting,
            ),
            MeetingOverrideRecord.association_id == aid,
        ),
        _part("g", Grant.id, select(*Grant.__table__.columns), Grant.association_id == aid),
        _part(
            "t",
            GrantPieceTick.grant_id,
            select(GrantPieceTick.grant_id, GrantPieceTick.piece_key, GrantPieceTick.link).join(
                Grant, GrantPieceTick.grant_id == Grant.id
            ),
            Grant.association_id == aid,
        ),
    ]
    return union_all(*parts).order_by("kind", "key", "value")


def fingerprint(session: Session, association: Association) -> str:
    """A digest of everything the read models depend on.

    Kept in the session until its next flush, commit or rollback (a write may change it), so
    the several read models one page uses cost one fingerprint.
    """
    return freshness(session, association)[0]


@dataclass(frozen=True)
class _Checked:
    """The read models of an association, found built from its inputs at ``version``."""

    version: int
    fingerprint: str
    at: float  # time.monotonic()


#: Per database and association, what this process last found: a page then tells that the
#: read models are fresh from the association row its sign-in check already read.
_CHECKED: KeptPerDatabase[int, _Checked] = KeptPerDatabase(1024)
#: A write that does not count itself in ``inputs_version`` (raw SQL, another tool) is still
#: seen within this many seconds: the inputs are read again at least this often.
WATCH_AGAIN_AFTER = 30.0


def freshness(
    session: Session, association: Association, *, thorough: bool = False
) -> tuple[str, str | None]:
    """(the fingerprint of the data now, the one the stored read models were built from, None
    if never); kept in the session as :func:`fingerprint` is.

    The inputs are read (one statement) unless this process found the read models built from
    them at the association's ``inputs_version`` less than :data:`WATCH_AGAIN_AFTER` seconds
    ago; ``thorough`` reads them whatever (after a write: the writer rebuilds at once).
    """
    memo = session_memo(session, FINGERPRINT_MEMO)
    if association.id not in memo:
        memo[association.id] = _freshness(session, association, thorough)
    found: tuple[str, str | None] = memo[association.id]
    return found


def _freshness(
    session: Session, association: Association, thorough: bool
) -> tuple[str, str | None]:
    checked = _CHECKED.of(session)
    seen = checked.peek(association.id)
    version = association.inputs_version
    if (
        not thorough
        and seen is not None
        and seen.version == version
        and time.monotonic() - seen.at < WATCH_AGAIN_AFTER
    ):
        return seen.fingerprint, seen.fingerprint
    inputs, stored = _inputs(session, association)
    current = hashlib.sha256(repr(inputs).encode()).hexdigest()
    if stored == current:
        checked.put(association.id, _Checked(version, current, time.monotonic()))
    return current, stored


def built(session: Session, association: Association, current: str) -> None:
    """Record that the read models were just built at ``current``: the rest of the unit of
    work, and this process's next reads at the same version, need not read the inputs."""
    session_memo(session, FINGERPRINT_MEMO)[association.id] = (current, current)
    checked = _Checked(association.inputs_version, current, time.monotonic())
    _CHECKED.of(session).put(association.id, checked)


def stored_fingerprint(session: Session, association_id: int) -> str | None:
    """The fingerprint the stored read models were built from (None: never built)."""
    found: str | None = session.scalar(
        select(ReadModelState.fingerprint).where(ReadModelState.association_id == association_id)
    )
    return found


def lock_state(session: Session, association_id: int, now: datetime) -> ReadModelState:
    """The association's state row, locked for a rebuild (created when missing)."""
    state = session.scalar(
        select(ReadModelState)
        .where(ReadModelState.association_id == association_id)
        .with_for_update()
    )
    if state is None:
        state = ReadModelState(association_id=association_id, fingerprint="", built_at=now)
        session.add(state)
        session.flush()
    return state


def replace(
    session: Session,
    association_id: int,
    meetings: Sequence[MeetingEntry],
    meeting_files: Iterable[tuple[int, int]],
) -> None:
    """Store new read models in place of the old ones (inside the caller's transaction)."""
    for model in (MeetingFileRow, MeetingRow):
        session.execute(delete(model).where(model.association_id == association_id))
    rows: list[tuple[Any, list[dict[str, Any]]]] = [
        (MeetingRow, [{"association_id": association_id, **vars(m)} for m in meetings]),
        (
            MeetingFileRow,
            [
                {"association_id": association_id, "occurrence_id": o, "file_id": f}
                for o, f in meeting_files
            ],
        ),
    ]
    for model, values in rows:
        for start in range(0, len(values), 1000):
            session.execute(insert(model), values[start : start + 1000])


#: The stored columns of a meeting, read as plain rows (no ORM objects), in MeetingEntry's order.
_ENTRY = (
    MeetingRow.occurrence_id,
    MeetingRow.body_id,
    MeetingRow.body_code,
    MeetingRow.title,
    MeetingRow.start,
    MeetingRow.end,
    MeetingRow.day,
    MeetingRow.original_day,
    MeetingRow.cancelled,
    MeetingRow.uid,
    MeetingRow.recurrence_id,
    MeetingRow.all_day,
    MeetingRow.glance,
)


def longest(entries: Iterable[MeetingEntry]) -> int | None:
    """How many seconds the longest of ``entries`` lasts (None: no entry)."""
    return max((int((e.end - e.start).total_seconds()) for e in entries), default=None)


def meetings(session: Session, association_id: int, window: Window) -> list[MeetingEntry]:
    """Stored meetings in ``window``, by start (newest first if asked), paginated."""
    query, values = _in_window(session, association_id, window, proxies=False)
    return [MeetingEntry(*row) for row in session.execute(query, values)]


def meetings_and_proxies(
    session: Session, association_id: int, window: Window
) -> list[tuple[MeetingEntry, bool]]:
    """:func:`meetings`, each with whether it has proxies entered by hand (same statement)."""
    query, values = _in_window(session, association_id, window, proxies=True)
    return [(MeetingEntry(*row[:-1]), bool(row[-1])) for row in session.execute(query, values)]


def _in_window(
    session: Session, association_id: int, window: Window, *, proxies: bool
) -> tuple[AnySelect, dict[str, Any]]:
    """The statement reading ``window`` (one per shape of window, built once) and its values.

    The starts it scans are bounded: a meeting ends at or after its start, so one that ended
    before a moment started before it; one still to end at a moment started at most the
    longest meeting's length before it.
    """
    start, end = window.start, window.end
    if window.ending_before is not None:
        end = min(end or window.ending_before, window.ending_before)
    longest_ = _longest(session, association_id) if window.ending_after is not None else None
    if window.ending_after is not None and longest_ is not None:
        floor = window.ending_after - timedelta(seconds=longest_)
        start = max(start or floor, floor)
    given = {
        "association_id": association_id,
        "start": start,
        "end": end,
        "ending_after": window.ending_after,
        "ending_before": window.ending_before,
        "bodies": sorted(window.bodies) if window.bodies is not None else None,
        "limit": window.limit,
        "offset": window.offset or None,
    }
    values = {name: value for name, value in given.items() if value is not None}
    shape = (frozenset(values), window.counted, window.newest_first, proxies)
    return _window_statement(*shape), values


#: The longest meeting's length, by association and fingerprint of fresh read models.
_LONGEST: Kept[tuple[int, str], int | None] = Kept(64)


def _longest(session: Session, association_id: int) -> int | None:
    """Seconds of the longest stored meeting, when this unit of work found the read models
    fresh (None: unknown, the window is then not bounded)."""
    known = session_memo(session, FINGERPRINT_MEMO).get(association_id)
    if known is None or known[0] != known[1]:
        return None

    def read() -> int | None:
        found: int | None = session.scalar(_LONGEST_STATEMENT, {"association_id": association_id})
        return found

    return _LONGEST.get((association_id, known[0]), read)


_LONGEST_STATEMENT = select(ReadModelState.longest_meeting).where(
    ReadModelState.association_id == bindparam("association_id", type_=Integer)
)


@functools.cache
def _window_statement(
    names: frozenset[str], counted: bool, newest_first: bool, proxies: bool
) -> AnySelect:
    """The statement of one shape of window: which values are given, in which order.

    Building a statement costs a page more than running it; there are a few dozen shapes.
    """
    columns: list[Any] = [*_ENTRY, _has_proxies()] if proxies else list(_ENTRY)
    moment = {name: bindparam(name, type_=UTCDateTime) for name in names}
    query = select(*columns).where(
        MeetingRow.association_id == bindparam("association_id", type_=Integer)
    )
    if "start" in names:
        query = query.where(MeetingRow.start >= moment["start"])
    if "end" in names:
        query = query.where(MeetingRow.start < moment["end"])
    if "ending_after" in names:
        query = query.where(MeetingRow.end >= moment["ending_after"])
    if "ending_before" in names:
        query = query.where(MeetingRow.end < moment["ending_before"])
    if "bodies" in names:
        query = query.where(MeetingRow.body_code.in_(bindparam("bodies", expanding=True)))
    if counted:
        query = query.where(MeetingRow.cancelled.is_(False))
    order = (MeetingRow.start, MeetingRow.occurrence_id)
    query = query.order_by(*(c.desc() for c in order) if newest_first else order)
    if "offset" in names:
        query = query.offset(bindparam("offset", type_=Integer))
    if "limit" in names:
        query = query.limit(bindparam("limit", type_=Integer))
    return query


def _has_proxies() -> ColumnElement[bool]:
    """Whether a stored meeting has proxies entered by hand (a column of its row)."""
    return (
        select(MeetingProxyRecord.id)
        .where(
            MeetingProxyRecord.association_id == MeetingRow.association_id,
            MeetingProxyRecord.uid == MeetingRow.uid,
            MeetingProxyRecord.recurrence_id == MeetingRow.recurrence_id,
        )
        .exists()
    )


def meeting(
    session: Session, association_id: int, occurrence_id: int
) -> tuple[MeetingEntry, bool] | None:
    """One stored meeting, and whether it has proxies entered by hand; None if none."""
    values = {"association_id": association_id, "occurrence_id": occurrence_id}
    row = session.execute(_meeting_statement(), values).first()
    return (MeetingEntry(*row[:-1]), bool(row[-1])) if row is not None else None


@functools.cache
def _meeting_statement() -> AnySelect:
    return select(*_ENTRY, _has_proxies()).where(
        MeetingRow.occurrence_id == bindparam("occurrence_id", type_=Integer),
        MeetingRow.association_id == bindparam("association_id", type_=Integer),
    )


def meetings_of_files(
    session: Session, association_id: int, file_ids: Collection_[int]
) -> dict[int, list[MeetingEntry]]:
    """For each file id, the stored meetings it belongs to, by start."""
    if not file_ids:
        return {}
    values = {"association_id": association_id, "file_ids": list(file_ids)}
    rows = session.execute(_meetings_of_files_statement(), values)
    found: dict[int, list[MeetingEntry]] = {}
    for file_id, *entry in rows:
        found.setdefault(file_id, []).append(MeetingEntry(*entry))
    return found


@functools.cache
def _meetings_of_files_statement() -> AnySelect:
    return (
        select(MeetingFileRow.file_id, *_ENTRY)
        .join(MeetingRow, MeetingRow.occurrence_id == MeetingFileRow.occurrence_id)
        .where(
            MeetingFileRow.association_id == bindparam("association_id", type_=Integer),
            MeetingFileRow.file_id.in_(bindparam("file_ids", expanding=True)),
        )
        .order_by(MeetingRow.start, MeetingRow.occurrence_id)
    )
