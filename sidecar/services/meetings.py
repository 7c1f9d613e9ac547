"""Meetings service: load the mirror, run the meetings projection, record admins' decisions.

Views and the API call these functions; the projection itself
(:mod:`sidecar.projection.meetings`) stays pure.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sidecar.errors import NotFound
from sidecar.projection.meetings import Meeting, MeetingSummary
from sidecar.services import read_models
from sidecar.storage.models import Association, MeetingOverrideRecord, MeetingProxyRecord
from sidecar.storage.read import load_bodies
from sidecar.storage.read_models import Window


def list_meetings(
    session: Session,
    association_id: int,
    now: datetime,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    body: str | None = None,
    visible: Collection[str] | None = None,
    period: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[Meeting]:
    """Meetings starting in [start, end), optionally of one body (by code) and of the
    ``visible`` bodies only, in start order; ``period`` "upcoming" (not ended at ``now``) or
    "past" (ended, newest first); ``limit``/``offset`` paginate.

    Read from the stored read model (rebuilt first if the data changed): only the meetings
    asked for are assembled and have their readiness computed.
    """
    association = _association(session, association_id)
    window = _window(session, association_id, now, start, end, body, visible, period, limit, offset)
    return read_models.meetings(session, association, now, window)


def list_summaries(
    session: Session,
    association_id: int,
    now: datetime,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    body: str | None = None,
    visible: Collection[str] | None = None,
    period: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[MeetingSummary]:
    """The meetings :func:`list_meetings` gives, as lists show them (no documents, no
    members' answers): read from their stored rows, a fixed number of statements."""
    association = _association(session, association_id)
    window = _window(session, association_id, now, start, end, body, visible, period, limit, offset)
    return read_models.summaries(session, association, now, window)


def _window(
    session: Session,
    association_id: int,
    now: datetime,
    start: datetime | None,
    end: datetime | None,
    body: str | None,
    visible: Collection[str] | None,
    period: str | None,
    limit: int | None,
    offset: int,
) -> Window:
    return Window(
        start=start,
        end=end,
        ending_after=now if period == "upcoming" else None,
        ending_before=now if period == "past" else None,
        bodies=_codes(session, association_id, body, visible),
        newest_first=period == "past",
        limit=limit,
        offset=offset,
    )


def _association(session: Session, association_id: int) -> Association:
    association = session.get(Association, association_id)
    if association is None:
        raise NotFound(
            f"No association #{association_id}.",
            code="association.id_unknown",
            association_id=association_id,
        )
    return association


def _codes(
    session: Session, association_id: int, body: str | None, visible: Collection[str] | None
) -> set[str] | None:
    """The body codes to show: ``body`` (any case) within ``visible``; None for all."""
    if body is None and visible is None:
        return None
    codes = {b.code for b in load_bodies(session, association_id)}
    if body:
        codes = {c for c in codes if c.lower() == body.lower()}
    return codes if visible is None else codes & set(visible)


def get_meeting(session: Session, association_id: int, meeting_id: int, now: datetime) -> Meeting:
    """One meeting by its occurrence id."""
    found = read_models.meeting(session, _association(session, association_id), meeting_id, now)
    if found is None:
        raise NotFound(
            f"No meeting #{meeting_id}: it may have been removed from the calendar.",
            code="meeting.unknown",
            meeting_id=meeting_id,
        )
    return found


def upcoming(
    session: Session,
    association_id: int,
    now: datetime,
    *,
    limit: int = 8,
    visible: Collection[str] | None = None,
) -> list[Meeting]:
    """The next meetings that will take place (cancelled ones left out), for the overview:
    only these are read and assembled."""
    association = _association(session, association_id)
    codes = _codes(session, association_id, None, visible)
    window = Window(ending_after=now, bodies=codes, counted=True, limit=limit)
    return read_models.meetings(session, association, now, window)


def upcoming_summaries(
    session: Session,
    association_id: int,
    now: datetime,
    *,
    limit: int = 8,
    visible: Collection[str] | None = None,
) -> list[MeetingSummary]:
    """The meetings :func:`upcoming` gives, as lists show them."""
    association = _association(session, association_id)
    codes = _codes(session, association_id, None, visible)
    window = Window(ending_after=now, bodies=codes, counted=True, limit=limit)
    return read_models.summaries(session, association, now, window)


def set_override(
    session: Session,
    association_id: int,
    uid: str,
    recurrence_id: str,
    *,
    body_id: int | None,
    not_a_meeting: bool,
) -> None:
    """Record (or replace) an admin's classification; ``recurrence_id`` "" for the series."""
    row = session.scalar(
        select(MeetingOverrideRecord).where(
            MeetingOverrideRecord.association_id == association_id,
            MeetingOverrideRecord.uid == uid,
            MeetingOverrideRecord.recurrence_id == recurrence_id,
        )
    )
    if row is None:
        row = MeetingOverrideRecord(
            association_id=association_id, uid=uid, recurrence_id=recurrence_id
        )
        session.add(row)
    row.body_id = None if not_a_meeting else body_id
    row.not_a_meeting = not_a_meeting
    session.flush()


def add_proxy(
    session: Session, association_id: int, meeting: Meeting, giver: str, holder: str
) -> None:
    """Record a paper proxy for one occurrence; a giver has one proxy, the last one wins."""
    giver, holder = giver.strip().lower(), holder.strip().lower()
    row = session.scalar(
        select(MeetingProxyRecord).where(
            MeetingProxyRecord.association_id == association_id,
            MeetingProxyRecord.uid == meeting.uid,
            MeetingProxyRecord.recurrence_id == meeting.recurrence_id,
            MeetingProxyRecord.giver == giver,
        )
    )
    if row is None:
        row = MeetingProxyRecord(
            association_id=association_id,
            uid=meeting.uid,
            recurrence_id=meeting.recurrence_id,
            giver=giver,
        )
        session.add(row)
    row.holder = holder
    session.flush()


def proxy_problem(meeting: Meeting, giver: str, holder: str) -> str | None:
    """Why a hand-entered proxy cannot be recorded (``missing``, ``same``, ``not_member``).

    The cap and whether the body allows proxies are not refused here: the readiness check shows
    an over-cap proxy as invalid, which is what the statuts make of it.
    """
    giver, holder = giver.strip().lower(), holder.strip().lower()
    if not giver or not holder:
        return "missing"
    if giver == holder:
        return "same"
    emails = {seat.member.email.lower() for seat in meeting.body.seats}
    if giver not in emails or holder not in emails:
        return "not_member"
    return None


def remove_proxy(session: Session, association_id: int, meeting: Meeting, giver: str) -> bool:
    """Delete the hand-entered proxy of ``giver`` for this occurrence; False if there was none."""
    row = session.scalar(
        select(MeetingProxyRecord).where(
            MeetingProxyRecord.association_id == association_id,
            MeetingProxyRecord.uid == meeting.uid,
            MeetingProxyRecord.recurrence_id == meeting.recurrence_id,
            MeetingProxyRecord.giver == giver.strip().lower(),
        )
    )
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True
