"""Meetings service: load the mirror, run the meetings projection, record admins' decisions.

Views and the API call these functions; the projection itself
(:mod:`sidecar.projection.meetings`) stays pure.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from sidecar.errors import NotFound
from sidecar.projection.meetings import Meeting, MeetingOverride, project_meetings
from sidecar.projection.readiness import ManualProxy
from sidecar.services.conventions import meeting_folder_pattern
from sidecar.storage.models import Association, MeetingOverrideRecord, MeetingProxyRecord
from sidecar.storage.read import load_bodies, load_events, load_files


def list_meetings(
    session: Session,
    association_id: int,
    now: datetime,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    body: str | None = None,
) -> list[Meeting]:
    """Meetings starting in [start, end), optionally of one body (by code), in start order."""
    association = session.get(Association, association_id)
    if association is None:
        raise NotFound(f"No association #{association_id}.")
    meetings = project_meetings(
        load_events(session, association_id, roles=None, start=start, end=end),
        load_bodies(session, association_id),
        load_files(session, association_id),
        now,
        ZoneInfo(association.timezone),
        overrides=load_overrides(session, association_id),
        manual_proxies=load_proxies(session, association_id),
        folder_pattern=meeting_folder_pattern(association),
    )
    if body:
        meetings = [m for m in meetings if m.body.code.lower() == body.lower()]
    return meetings


def get_meeting(session: Session, association_id: int, meeting_id: int, now: datetime) -> Meeting:
    """One meeting by its occurrence id."""
    for meeting in list_meetings(session, association_id, now):
        if meeting.id == meeting_id:
            return meeting
    raise NotFound(f"No meeting #{meeting_id}: it may have been removed from the calendar.")


def upcoming(
    session: Session, association_id: int, now: datetime, *, limit: int = 8
) -> list[Meeting]:
    """The next meetings that will take place (cancelled ones left out), for the overview."""
    found = list_meetings(session, association_id, now)
    return [m for m in found if m.counted and m.end >= now][:limit]


def load_overrides(session: Session, association_id: int) -> list[MeetingOverride]:
    rows = session.scalars(
        select(MeetingOverrideRecord).where(MeetingOverrideRecord.association_id == association_id)
    )
    return [MeetingOverride(o.uid, o.recurrence_id, o.body_id, o.not_a_meeting) for o in rows]


def load_proxies(session: Session, association_id: int) -> list[ManualProxy]:
    rows = session.scalars(
        select(MeetingProxyRecord).where(MeetingProxyRecord.association_id == association_id)
    )
    return [ManualProxy(p.uid, p.recurrence_id, p.giver, p.holder) for p in rows]


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
