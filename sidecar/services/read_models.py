"""Read models: meetings, their files and dossiers, derived when the data changes.

Pages and the API used to classify every calendar occurrence and match every file on every
request. Now the classification and the matching run once per change of what they depend on
(a sync that applied something, a change of bodies, seats, members, overrides, grants or settings: see
:func:`sidecar.storage.read_models.fingerprint_inputs`) and are stored, with each meeting's
glance: the part of its readiness that does not depend on the clock (:func:`glance`). A list
(the meetings page, the overview, ``GET /api/v1/meetings``) reads its window in one indexed
query and only works out the minutes' state at its clock (:func:`summaries`); a meeting with
proxies entered by hand, which are not part of the glance, is assembled in full, as is the one
meeting a meeting's page shows (:func:`meeting`). Dossiers (whose pieces and status depend on the day) are kept per process, per
fingerprint and per day (see :func:`sidecar.services.dossiers.dossiers`). The projection
functions stay pure: what changed is when they run and on what input.

A sync that applied a change rebuilds them at once, in the worker that ran it
(:func:`refresh`, called by :func:`sidecar.services.jobs.sync_source`), so no page pays for
it. A read that still finds them stale (a settings change, or a sync run elsewhere) rebuilds
them inside its transaction, under a row lock on the association's state (PostgreSQL), so
concurrent workers build it once; on SQLite, a read that loses the race for the write lock
serves the models as they were rather than failing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from sidecar.projection.document_links import Document, Linker, MeetingLink
from sidecar.projection.documents import FileIndex, MeetingPlace, meeting_place
from sidecar.projection.inputs import BodyInfo, FileInfo
from sidecar.projection.meetings import (
    Meeting,
    MeetingOverride,
    MeetingSummary,
    build_meeting,
    classify,
    locate,
    summary,
)
from sidecar.projection.readiness import Proxy, Quorum, Readiness, Rsvp, minutes_state
from sidecar.services import dossiers as dossier_service
from sidecar.services.conventions import meeting_folder_pattern
from sidecar.storage import Database
from sidecar.storage import read_models as storage
from sidecar.storage.models import Association, Source
from sidecar.storage.read import (
    load_bodies,
    load_events,
    load_files,
    load_overrides,
    load_proxies,
)
from sidecar.storage.read_models import MeetingEntry, Window

log = logging.getLogger(__name__)


def ensure_fresh(
    session: Session, association: Association, now: datetime, *, thorough: bool = False
) -> None:
    """Rebuild the association's read models if what they depend on changed since (told
    from the association's ``inputs_version`` when this process checked that version lately;
    ``thorough``: from the inputs themselves)."""
    current, stored = storage.freshness(session, association, thorough=thorough)
    if stored == current:
        return
    try:
        with session.begin_nested():
            _rebuild(session, association, current, now)
        storage.built(session, association, current)
    except OperationalError:
        if stored is None:
            raise  # never built: nothing to serve instead
        # SQLite: another connection (the sync worker's own rebuild) holds the write lock.
        log.info(
            "read models of association %s: rebuilt elsewhere, served as they were", association.id
        )


def _rebuild(session: Session, association: Association, current: str, now: datetime) -> None:
    try:
        with session.begin_nested():
            state = storage.lock_state(session, association.id, now)
    except IntegrityError:  # another worker created the state row first: wait for its lock
        state = storage.lock_state(session, association.id, now)
    if state.fingerprint == current:
        return  # built by another worker while this one waited for the lock
    meetings, meeting_files = derive(session, association)
    storage.replace(session, association.id, meetings, meeting_files)
    state.fingerprint, state.built_at = current, now
    state.longest_meeting = storage.longest(meetings)
    session.flush()


def refresh(db: Database, source_id: int, now: datetime) -> None:
    """Bring the read models of the source's association up to date now (after a sync that
    changed its mirror), and this process's dossiers with them; SQLite's planner statistics
    too. A failure is logged, never the sync's: the first read after it rebuilds them."""
    with db.session() as session:
        source = session.get(Source, source_id)
        association_id = source.association_id if source is not None else None
    if association_id is not None and refresh_association(db, association_id, now):
        try:
            db.refresh_statistics()
        except Exception:  # statistics only help the planner
            log.exception("planner statistics after the sync of source %s", source_id)


def refresh_association(db: Database, association_id: int, now: datetime) -> bool:
    """Rebuild the association's read models now if what they depend on changed (a sync, or
    a page that changed bodies, overrides, grants or settings); False if that failed."""
    try:
        with db.session() as session:
            association = session.get(Association, association_id)
            if association is None:
                return False
            ensure_fresh(session, association, now, thorough=True)
            dossier_service.dossiers(session, association, now.date())
        return True
    except Exception:  # a derived view must never turn a good write into a failed one
        log.exception("read models of association %s: left to the next read", association_id)
        return False


def derive(
    session: Session, association: Association
) -> tuple[list[MeetingEntry], list[tuple[int, int]]]:
    """Classify every occurrence and match every meeting's files (one file index)."""
    return _meetings(session, association, FileIndex(load_files(session, association.id)))


def _meetings(
    session: Session, association: Association, index: FileIndex
) -> tuple[list[MeetingEntry], list[tuple[int, int]]]:
    tz = ZoneInfo(association.timezone)
    pattern = meeting_folder_pattern(association)
    bodies = load_bodies(session, association.id)
    overrides: tuple[MeetingOverride, ...] = tuple(load_overrides(session, association.id))
    entries: list[MeetingEntry] = []
    links: list[tuple[int, int]] = []
    for event in load_events(session, association.id):
        body = classify(event, bodies, overrides)
        if body is None or event.start is None:
            continue
        day, original, _place = locate(event, body, tz, pattern)
        # its files are looked up once, by the assembly (the costliest part of a rebuild)
        built = build_meeting(event, body, index, _ANY_TIME, tz, (), pattern)
        entries.append(
            MeetingEntry(
                occurrence_id=event.occurrence_id,
                body_id=body.id,
                body_code=body.code,
                title=event.summary,
                start=event.start,
                end=built.end,
                day=day,
                original_day=original,
                cancelled=(event.status or "").upper() == "CANCELLED",
                uid=event.uid,
                recurrence_id=event.recurrence_id,
                all_day=event.all_day,
                glance=glance(built.readiness),
            )
        )
        links += [(event.occurrence_id, f.id) for f in built.documents]
    return entries, sorted(set(links))


#: The clock given to the stored readiness: only the minutes' state depends on it, and the
#: glance keeps whether the minutes were found, not that state.
_ANY_TIME = datetime(2000, 1, 1, tzinfo=UTC)


def glance(ready: Readiness) -> dict[str, Any]:
    """The stored form of a readiness, without its clock-dependent minutes state."""
    q, a = ready.quorum, ready.rsvp
    return {
        "notice": [ready.notice_ok, ready.notice_days, _iso(ready.notice_sent)],
        "agenda": ready.agenda,
        "remote": [ready.remote_link, ready.remote_text],
        "rsvp": [a.accepted, a.declined, a.tentative, a.no_answer, a.delegated],
        "proxies": [[p.giver, p.holder, p.source, p.valid, p.problem] for p in ready.proxies],
        "quorum": [q.required, q.expected, q.possible, q.state],
        "minutes_found": ready.minutes == "present",
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def readiness_at(entry: MeetingEntry, body: BodyInfo, now: datetime) -> Readiness:
    """A stored meeting's readiness at ``now``: its glance, and the minutes' state now."""
    g = entry.glance
    notice_ok, notice_days, sent = g["notice"]
    return Readiness(
        notice_ok=notice_ok,
        notice_days=notice_days,
        notice_sent=datetime.fromisoformat(sent) if sent else None,
        agenda=g["agenda"],
        remote_link=g["remote"][0],
        remote_text=g["remote"][1],
        rsvp=Rsvp(*g["rsvp"]),
        proxies=tuple(Proxy(*p) for p in g["proxies"]),
        quorum=Quorum(*g["quorum"]),
        minutes=minutes_state(
            entry.end, entry.cancelled, g["minutes_found"], body.minutes_due_days, now
        ),
    )


def meetings(
    session: Session,
    association: Association,
    now: datetime,
    window: Window,
) -> list[Meeting]:
    """The meetings of ``window``, with their readiness at ``now``, in the window's order."""
    ensure_fresh(session, association, now)
    return assemble(session, association, storage.meetings(session, association.id, window), now)


def meeting(
    session: Session, association: Association, occurrence_id: int, now: datetime
) -> Meeting | None:
    """One meeting by its occurrence id, or None."""
    ensure_fresh(session, association, now)
    stored = storage.meeting(session, association.id, occurrence_id)
    if stored is None:
        return None
    entry, by_hand = stored
    found = assemble(session, association, [entry], now, manual_proxies=by_hand)
    return found[0] if found else None


def summaries(
    session: Session, association: Association, now: datetime, window: Window
) -> list[MeetingSummary]:
    """The meetings of ``window`` as a list shows them, from their stored rows alone; only a
    meeting with proxies entered by hand (not part of the stored glance) is assembled."""
    ensure_fresh(session, association, now)
    found = storage.meetings_and_proxies(session, association.id, window)
    bodies = {b.id: b for b in load_bodies(session, association.id)}
    proxied = [e for e, by_hand in found if by_hand]
    assembled = {m.id: summary(m) for m in assemble(session, association, proxied, now)}
    return [
        assembled.get(e.occurrence_id) or _summary(e, bodies[e.body_id], now)
        for e, _ in found
        if e.body_id in bodies
    ]


def _summary(entry: MeetingEntry, body: BodyInfo, now: datetime) -> MeetingSummary:
    e = entry
    return MeetingSummary(
        id=e.occurrence_id,
        uid=e.uid,
        recurrence_id=e.recurrence_id,
        body=body,
        title=e.title,
        start=e.start,
        end=e.end,
        all_day=e.all_day,
        cancelled=e.cancelled,
        moved=e.original_day is not None and e.original_day != e.day,
        readiness=readiness_at(e, body, now),
    )


def assemble(
    session: Session,
    association: Association,
    entries: Sequence[MeetingEntry],
    now: datetime,
    *,
    manual_proxies: bool = True,
) -> list[Meeting]:
    """Stored meetings back into :class:`Meeting` values: their occurrences, bodies and files
    are read by id, and the readiness is computed now (``manual_proxies`` False: none of them
    has proxies entered by hand, which are then not read)."""
    if not entries:
        return []
    aid = association.id
    ids = [e.occurrence_id for e in entries]
    events = {e.occurrence_id: e for e in load_events(session, aid, ids=ids)}
    bodies = {b.id: b for b in load_bodies(session, aid)}
    index = FileIndex(load_files(session, aid, meetings=ids))
    uids = {e.uid for e in entries}
    proxies = load_proxies(session, aid, uids=uids) if manual_proxies else []
    tz, pattern = ZoneInfo(association.timezone), meeting_folder_pattern(association)
    return [
        build_meeting(events[e.occurrence_id], bodies[e.body_id], index, now, tz, proxies, pattern)
        for e in entries
        if e.occurrence_id in events and e.body_id in bodies
    ]


# --- documents: a file's meetings and dossier ------------------------------------------------


@dataclass(frozen=True)
class _Located:
    """What :class:`Linker` reads of a meeting, rebuilt from a stored row."""

    id: int
    body: BodyInfo
    title: str
    day: date
    place: MeetingPlace


def linker(
    session: Session, association: Association, files: Sequence[FileInfo], now: datetime
) -> Callable[[FileInfo], Document]:
    """A function linking each of ``files`` (or a file no longer mirrored) to its meetings and
    dossier: stored links for mirrored files, the rule over stored meetings for the others."""
    ensure_fresh(session, association, now)
    dossiers_now = dossier_service.dossiers(session, association, now.date())
    ids = [f.id for f in files if f.id]
    stored = storage.meetings_of_files(session, association.id, ids)
    by_dossier = Linker((), dossiers_now)
    fallback: list[Linker] = []

    def link(file: FileInfo) -> Document:
        if file.id:
            found = tuple(
                MeetingLink(m.occurrence_id, m.body_code, m.title, m.day)
                for m in stored.get(file.id, ())
            )
            return Document(file, found, by_dossier.dossier_of(file))
        if not fallback:
            fallback.append(Linker(_located(session, association), dossiers_now))
        return fallback[0].link(file)

    return link


def _located(session: Session, association: Association) -> list[Any]:
    """Every stored meeting with its place, for files the mirror no longer holds."""
    pattern = meeting_folder_pattern(association)
    bodies = {b.id: b for b in load_bodies(session, association.id)}
    return [
        _Located(
            e.occurrence_id,
            bodies[e.body_id],
            e.title,
            e.day,
            meeting_place(pattern, bodies[e.body_id], [d for d in (e.day, e.original_day) if d]),
        )
        for e in storage.meetings(session, association.id, Window())
        if e.body_id in bodies
    ]
