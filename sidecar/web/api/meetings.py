"""JSON API v1 for meetings: ``GET /api/v1/meetings`` and ``GET /api/v1/meetings/<id>``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from integrations.errors import IntegrationError
from sidecar.errors import QuorumError
from sidecar.formatting import whole_number
from sidecar.projection.meetings import Meeting, MeetingSummary
from sidecar.projection.readiness import Readiness
from sidecar.security.links import safe_url
from sidecar.services import meetings as service
from sidecar.services import prepare as prepare_service
from sidecar.web.access import requires
from sidecar.web.auth import current_association, visible_bodies
from sidecar.web.context import services
from sidecar.web.errors import json_error

bp = Blueprint("api_meetings", __name__, url_prefix="/api/v1")


class BadQuery(ValueError):
    """A query parameter the API cannot read."""


def _instant(name: str) -> datetime | None:
    """An ISO date or datetime parameter as aware UTC (naive values are taken as UTC)."""
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        try:
            day = date.fromisoformat(raw)
        except ValueError as err:
            raise BadQuery(f"{name}={raw!r} is not an ISO date (2026-03-07) or datetime") from err
        parsed = datetime(day.year, day.month, day.day)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@bp.get("/meetings")
@requires("member")
def list_meetings() -> ResponseReturnValue:
    """Meetings starting in [``from``, ``to``), ``limit`` at a time (default 20, as on the
    page; at most 500) from ``offset``; ``next_offset`` says where the next page starts (null:
    no more)."""
    try:
        start, end = _instant("from"), _instant("to")
        limit = _count("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        offset = _count("offset", 0, 0, 10**9)
    except BadQuery as err:
        return json_error(str(err), 400)
    if start and end and end <= start:
        return json_error("to must be after from", 400)
    now = datetime.now(UTC)
    with services().db.session() as session:
        association = current_association(session)
        found = service.list_summaries(
            session,
            association.id,
            now,
            start=start,
            end=end,
            body=request.args.get("body"),
            visible=visible_bodies(session),
            limit=limit + 1,  # one more: is there a next page?
            offset=offset,
        )
    more = len(found) > limit
    return jsonify(
        {
            "meetings": [meeting_json(m) for m in found[:limit]],
            "limit": limit,
            "offset": offset,
            "next_offset": offset + limit if more else None,
        }
    )


DEFAULT_LIMIT = 20  # as many as the meetings page shows: a client follows next_offset
MAX_LIMIT = 500


def _count(name: str, default: int, low: int, high: int) -> int:
    """A whole-number parameter within [low, high]."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    value = whole_number(raw, low, high)
    if value is None:
        raise BadQuery(f"{name}={raw[:20]!r} must be a whole number from {low} to {high}")
    return value


@bp.get("/meetings/<int:meeting_id>")
@requires("member")
def show_meeting(meeting_id: int) -> ResponseReturnValue:
    now = datetime.now(UTC)
    with services().db.session() as session:
        association = current_association(session)
        meeting = service.get_meeting(session, association.id, meeting_id, now)
        visible = visible_bodies(session)
        if visible is not None and meeting.body.code not in visible:
            return json_error(f"No meeting {meeting_id}.", 404)
    return jsonify(meeting_detail_json(meeting))


@bp.post("/meetings/<int:meeting_id>/prepare")
@requires("officer")
def prepare_meeting(meeting_id: int) -> ResponseReturnValue:
    """Create the meeting's folder with a draft agenda; 200 with ``agenda_created`` False when
    an agenda already existed (nothing is overwritten), 502 when Nextcloud failed."""
    now = datetime.now(UTC)
    with services().db.session() as session:
        association = current_association(session)
        meeting = service.get_meeting(session, association.id, meeting_id, now)
        try:
            done = prepare_service.prepare_meeting(
                session, association, meeting, services().vault, now.date()
            )
        except QuorumError as err:
            return json_error(err.message, 409)
        except IntegrationError as err:
            return json_error(err.message, 502)
    return jsonify(
        {
            "folder": done.folder,
            "agenda": done.agenda_path,
            "agenda_created": done.agenda_created,
            "created_folders": list(done.created_folders),
            "message": "Agenda drafted."
            if done.agenda_created
            else "An agenda already exists: nothing was overwritten.",
        }
    )


def meeting_json(meeting: Meeting | MeetingSummary) -> dict[str, Any]:
    """The list form of a meeting: identity, times and its readiness."""
    return {
        "id": meeting.id,
        "uid": meeting.uid,
        "recurrence_id": meeting.recurrence_id,
        "body": meeting.body.code,
        "title": meeting.title,
        "start": meeting.start.isoformat(),
        "end": meeting.end.isoformat(),
        "all_day": meeting.all_day,
        "cancelled": meeting.cancelled,
        "moved": meeting.moved,
        "readiness": readiness_json(meeting.readiness),
    }


def readiness_json(ready: Readiness) -> dict[str, Any]:
    q, a = ready.quorum, ready.rsvp
    return {
        "notice_ok": ready.notice_ok,
        "notice_days": ready.notice_days,
        "agenda": ready.agenda,
        # Only a link safe_url accepts is a link; a refused CONFERENCE is sent as text.
        "remote_link": safe_url(ready.remote_link),
        "remote_text": ready.remote_text,
        "rsvp": {
            "accepted": a.accepted,
            "declined": a.declined,
            "tentative": a.tentative,
            "no_answer": a.no_answer,
            "delegated": a.delegated,
        },
        "proxies": sum(1 for p in ready.proxies if p.valid),
        "quorum": {"required": q.required, "expected": q.expected, "state": q.state},
        "minutes": ready.minutes,
    }


def meeting_detail_json(meeting: Meeting) -> dict[str, Any]:
    """The single-meeting form adds attendees, proxies and documents."""
    detail = meeting_json(meeting)
    detail["location"] = meeting.location
    detail["folder"] = meeting.folder
    detail["attendees"] = [
        {
            "name": a.seat.member.name,
            "email": a.seat.member.email,
            "role": a.seat.role,
            "answer": a.answer,
            "invited": a.invited,
        }
        for a in meeting.answers
    ]
    detail["proxy_list"] = [
        {
            "from": p.giver,
            "to": p.holder,
            "source": p.source,
            "valid": p.valid,
            "problem": p.problem,
        }
        for p in meeting.readiness.proxies
    ]
    detail["documents"] = [{"path": f.path, "fileid": f.fileid} for f in meeting.documents]
    return detail
