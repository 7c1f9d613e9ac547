"""Decisions become tasks: each action read from a PV becomes a VTODO in the tasks calendar.

The VTODO carries the owner (ATTENDEE), the due date (DUE) and a link back to the PV (URL and
DESCRIPTION). It is created with ``If-None-Match: *`` under a UID derived from the meeting and
the action's key, so re-reading the PV, or a retry after a crash, never makes a second task. Its
status is read back from the mirror: once a sync has seen the task completed in Nextcloud, the
action shows done.

The tasks calendar: ``settings["minutes"]["tasks_calendar"]`` (its path) if an admin chose one,
else a calendar whose role is ``tasks``, else a deadlines calendar that accepts VTODOs.

Where the association chose a Deck board (``settings["minutes"]["deck_board"]``), each recorded
action also becomes a Deck card (:mod:`sidecar.services.action_cards`); an action is done when
its VTODO is completed or its card is done or archived.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from icalendar import Calendar, Todo, vCalAddress, vText
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from integrations.errors import IntegrationError, PreconditionFailed
from sidecar.context import Services
from sidecar.projection.actions import ActionItem, read_actions
from sidecar.projection.meetings import Meeting
from sidecar.services import action_cards
from sidecar.services.minutes_scan import PvFile
from sidecar.storage.models import (
    Association,
    CalendarObjectRecord,
    Collection,
    MinutesAction,
    Occurrence,
    Source,
)
from sidecar.sync import connection as sources_service

DONE = "COMPLETED"


@dataclass
class ActionsReport:
    created: int = 0
    existing: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    cards: action_cards.CardsReport = field(default_factory=action_cards.CardsReport)


def tasks_calendar(session: Session, association_id: int) -> Collection | None:
    """The calendar Quorum writes tasks to (see the module's docstring), or None."""
    association = session.get(Association, association_id)
    chosen = str(
        ((association.settings if association else {}) or {})
        .get("minutes", {})
        .get("tasks_calendar")
        or ""
    )
    calendars = list(
        session.scalars(
            select(Collection)
            .join(Source, Collection.source_id == Source.id)
            .where(Source.association_id == association_id, Collection.kind == "calendar")
            .order_by(Collection.id)
        )
    )
    for rank in (0, 1, 2):
        found = next((c for c in calendars if _fits(c, rank, chosen)), None)
        if found is not None:
            return found
    return None


def _fits(calendar: Collection, rank: int, chosen: str) -> bool:
    """Rank 0: the admin's choice; 1: role ``tasks``; 2: a deadlines calendar taking VTODOs."""
    if rank == 0:
        return bool(chosen) and calendar.remote_path.rstrip("/") == chosen.rstrip("/")
    if rank == 1:
        return calendar.role == "tasks"
    return calendar.role == "deadlines" and "VTODO" in (calendar.components or "").upper()


def todo_uid(association_id: int, meeting: Meeting, key: str) -> str:
    basis = f"{association_id}|{meeting.uid}|{meeting.recurrence_id}|{key}"
    return "quorum-action-" + hashlib.sha256(basis.encode()).hexdigest()[:32]


def pv_link(source: Source, pv: PvFile) -> str:
    """Nextcloud's permanent link to a file (``/index.php/f/<fileid>``), else its WebDAV path."""
    base = source.base_url.rstrip("/")
    if pv.file.fileid:
        return f"{base}/index.php/f/{pv.file.fileid}"
    return f"{base}/remote.php/dav/files/{source.login}{pv.file.path}"


def todo_ics(item: ActionItem, uid: str, meeting: Meeting, link: str, now: datetime) -> str:
    """The VTODO of one action: owner, due date, and the PV it comes from."""
    todo = Todo()
    todo.add("uid", uid)
    todo.add("dtstamp", now.astimezone(UTC))
    todo.add("summary", f"{item.owner} — {item.title}")
    todo.add(
        "description",
        f"{meeting.body.name}, {meeting.day.isoformat()} — {item.title}\nPV : {link}",
    )
    todo.add("url", link)
    todo.add("categories", ["Quorum", "PV"])
    if item.owner_email:
        owner = vCalAddress(f"mailto:{item.owner_email}")
        owner.params["CN"] = vText(item.owner)
        owner.params["ROLE"] = vText("REQ-PARTICIPANT")
        todo.add("attendee", owner)
    if item.due is not None:
        todo.add("due", item.due)
    todo.add("status", "NEEDS-ACTION")
    cal = Calendar()
    cal.add("prodid", "-//Quorum//minutes actions//FR")
    cal.add("version", "2.0")
    cal.add_component(todo)
    return str(cal.to_ical().decode("utf-8"))


def _known(session: Session, association_id: int, meeting: Meeting, key: str) -> bool:
    return (
        session.scalar(
            select(MinutesAction.id).where(
                MinutesAction.association_id == association_id,
                MinutesAction.meeting_uid == meeting.uid,
                MinutesAction.recurrence_id == meeting.recurrence_id,
                MinutesAction.key == key,
            )
        )
        is not None
    )


def publish(
    services: Services, association_id: int, texts: Sequence[tuple[PvFile, str]], now: datetime
) -> ActionsReport:
    """Write a VTODO for each new action of the PVs read (``texts`` from a register scan).

    Plan in one transaction, write to the calendar outside any, record in a second one: a crash
    in between leaves a task whose next ``If-None-Match: *`` write answers 412, and the action
    is recorded then, never written twice. Then the Deck cards, on every call (a card that
    failed is tried again): their failures are reported, never raised.
    """
    report = ActionsReport()
    source_id = _publish_todos(services, association_id, texts, now, report)
    if source_id is not None:
        report.cards = action_cards.publish_cards(services, association_id, source_id, now)
        report.errors.extend(report.cards.errors)
    return report


def _publish_todos(
    services: Services,
    association_id: int,
    texts: Sequence[tuple[PvFile, str]],
    now: datetime,
    report: ActionsReport,
) -> int | None:
    """The VTODO part of :func:`publish`; the tasks calendar's source id, if there is one."""
    with services.db.session() as session:
        calendar = tasks_calendar(session, association_id)
        found = [
            (pv, item)
            for pv, text in texts
            for item in read_actions(text, pv.meeting.day, pv.meeting.body.seats)
            if not item.done
        ]
        # the same action in two PVs of one meeting (the draft and the signed copy) is one task
        unique = {
            (pv.meeting.uid, pv.meeting.recurrence_id, i.key): (pv, i) for pv, i in reversed(found)
        }
        todo = [
            (pv, i)
            for pv, i in reversed(unique.values())
            if not _known(session, association_id, pv.meeting, i.key)
        ]
        report.existing = len(found) - len(todo)
        source = calendar.source if calendar is not None else None  # loaded while in session
    source_id = source.id if source is not None else None
    if not todo:
        return source_id
    if calendar is None or source is None:
        report.errors.append(
            "No tasks calendar: give a calendar the role 'tasks' (Sources page) so actions "
            "of the minutes become tasks."
        )
        return None
    conn = sources_service.connect(source, services.vault, deadline=services.settings.http_timeout)
    try:
        rows = [
            _write(conn, association_id, calendar.remote_path, source, pv, item, now, report)
            for pv, item in todo
        ]
    finally:
        conn.close()
    with services.db.session() as session:
        session.add_all(row for row in rows if row is not None)
    return source_id


def _write(
    conn: sources_service.Connection,
    association_id: int,
    calendar_path: str,
    source: Source,
    pv: PvFile,
    item: ActionItem,
    now: datetime,
    report: ActionsReport,
) -> MinutesAction | None:
    """PUT one task with ``If-None-Match: *``; the row to record, or None when it failed."""
    uid = todo_uid(association_id, pv.meeting, item.key)
    href = calendar_path.rstrip("/") + f"/{uid}.ics"
    row = MinutesAction(
        association_id=association_id,
        meeting_uid=pv.meeting.uid,
        recurrence_id=pv.meeting.recurrence_id,
        meeting_day=pv.meeting.day,
        body_code=pv.meeting.body.code,
        key=item.key,
        path=pv.file.path,
        owner=item.owner[:200],
        owner_email=item.owner_email,
        title=item.title,
        due=item.due,
        todo_uid=uid,
        todo_href=href,
        created_at=now,
    )
    ics = todo_ics(item, uid, pv.meeting, pv_link(source, pv), now)
    try:
        row.todo_etag = conn.calendars.put(href, ics, if_none_match=True)
        report.created += 1
    except PreconditionFailed:
        report.existing += 1  # written by an earlier run that crashed before recording it
    except IntegrationError as err:
        report.failed += 1
        report.errors.append(f"{item.title}: {err}")
        return None  # not recorded: the next scan tries again
    return row


# Built once: the meeting page runs them on every request, and building a statement costs
# about as much as running it on PostgreSQL.
_ACTIONS = select(MinutesAction).where(MinutesAction.association_id == bindparam("association_id"))
_MIRRORED = (
    select(Occurrence.uid, Occurrence.status, Occurrence.details)
    .join(CalendarObjectRecord, Occurrence.object_id == CalendarObjectRecord.id)
    .join(Collection, Occurrence.collection_id == Collection.id)
    .join(Source, Collection.source_id == Source.id)
    .where(
        Source.association_id == bindparam("association_id"),
        Occurrence.uid.in_(bindparam("uids", expanding=True)),
    )
)
_OF_BODY = (
    MinutesAction.association_id == bindparam("association_id"),
    MinutesAction.body_code == bindparam("body_code"),
)
_PREVIOUS_DAY = (
    select(MinutesAction.meeting_day)
    .where(*_OF_BODY, MinutesAction.meeting_day < bindparam("day"))
    .order_by(MinutesAction.meeting_day.desc())
    .limit(1)
)
_STILL_OPEN = (
    select(MinutesAction)
    .where(*_OF_BODY, MinutesAction.meeting_day == bindparam("day"), MinutesAction.status != DONE)
    .order_by(MinutesAction.id)
)


def refresh_status(session: Session, association_id: int) -> int:
    """Each action's status from its mirrored VTODO, done as well when its Deck card was last
    read done or archived; how many changed."""
    rows = list(session.scalars(_ACTIONS, {"association_id": association_id}))
    if not rows:
        return 0
    values = {"association_id": association_id, "uids": [r.todo_uid for r in rows]}
    mirrored = {
        uid: (status, details) for uid, status, details in session.execute(_MIRRORED, values)
    }
    changed = 0
    for row in rows:
        found = mirrored.get(row.todo_uid)
        if found is None and row.deck_done_at is None:
            continue
        status, completed_at = row.status, row.completed_at
        if found is not None:
            status = (found[0] or "NEEDS-ACTION").upper()
            completed = (found[1] or {}).get("completed")
            completed_at = datetime.fromisoformat(completed) if completed else None
        if status != DONE and row.deck_done_at is not None:
            status, completed_at = DONE, row.deck_done_at
        if status != row.status:
            row.status = status
            row.completed_at = completed_at
            changed += 1
    session.flush()
    return changed


def list_actions(
    session: Session, association_id: int, *, body_codes: Iterable[str] | None = None
) -> list[MinutesAction]:
    """Every action, latest meeting first, statuses as of the last sync."""
    refresh_status(session, association_id)
    query = select(MinutesAction).where(MinutesAction.association_id == association_id)
    if body_codes is not None:
        query = query.where(MinutesAction.body_code.in_(list(body_codes)))
    return list(session.scalars(query.order_by(MinutesAction.meeting_day.desc(), MinutesAction.id)))


def open_from_previous(
    session: Session, association_id: int, meeting: Meeting
) -> tuple[str | None, list[MinutesAction]]:
    """The previous meeting of the same body that has actions, and those still open."""
    refresh_status(session, association_id)
    values: dict[str, Any] = {
        "association_id": association_id,
        "body_code": meeting.body.code,
        "day": meeting.day,
    }
    previous = session.scalar(_PREVIOUS_DAY, values)
    if previous is None:
        return None, []
    rows = session.scalars(_STILL_OPEN, {**values, "day": previous})
    return previous.isoformat(), list(rows)
