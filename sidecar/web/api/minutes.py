"""JSON API v1 for the minutes: ``/api/v1/register``, ``/api/v1/actions``, ``/api/v1/handovers``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from sidecar.errors import NotFound, QuorumError
from sidecar.formatting import whole_number
from sidecar.services import actions as actions_service
from sidecar.services import handover as handover_service
from sidecar.services import meetings as meetings_service
from sidecar.services import register as register_service
from sidecar.storage.models import Handover, MinutesAction
from sidecar.web.access import requires
from sidecar.web.auth import current_association, current_principal, visible_bodies
from sidecar.web.context import services
from sidecar.web.register import check_json, entry_json, load_view

bp = Blueprint("api_minutes", __name__, url_prefix="/api/v1")


def _error(status: int, message: str) -> ResponseReturnValue:
    return jsonify({"error": message}), status


@bp.get("/register")
@requires("member")
def register() -> ResponseReturnValue:
    """The PVs read with their findings, the register's entries and the chain's verdict."""
    with services().db.session() as session:
        view = load_view(session, current_association(session).id)
        chain = view.chain
        return jsonify(
            {
                "chain": {
                    "ok": chain.ok,
                    "entries": chain.entries,
                    "broken_at": chain.broken_at,
                    "reason": chain.reason,
                },
                "entries": [entry_json(e) for e in view.entries],
                "minutes": [check_json(c, view.approved) for c in view.checks],
            }
        )


@bp.post("/register/<int:check_id>/approve")
@requires("officer")
def approve(check_id: int) -> ResponseReturnValue:
    with services().db.session() as session:
        association_id = current_association(session).id
    try:
        entry = register_service.approve(
            services(), association_id, check_id, current_principal().login, datetime.now(UTC)
        )
    except NotFound as err:
        return _error(404, err.message)
    except QuorumError as err:
        return _error(409, err.message)
    return jsonify(entry_json(entry)), 201


def action_json(row: MinutesAction) -> dict[str, Any]:
    return {
        "id": row.id,
        "meeting_day": row.meeting_day.isoformat(),
        "body": row.body_code,
        "pv": row.path,
        "owner": row.owner,
        "owner_email": row.owner_email,
        "title": row.title,
        "due": row.due.isoformat() if row.due else None,
        "status": row.status,
        "done": row.status == actions_service.DONE,
        "completed_at": row.completed_at.isoformat() if row.completed_at else None,
        "todo_uid": row.todo_uid,
        "todo_href": row.todo_href,
    }


@bp.get("/actions")
@requires("member")
def actions() -> ResponseReturnValue:
    """Every action read from the minutes, statuses as of the last sync; with ``?meeting=<id>``,
    the actions of that meeting's previous one still open (part of its readiness)."""
    meeting_id = request.args.get("meeting", "")
    with services().db.session() as session:
        association = current_association(session)
        bodies = visible_bodies(session)
        if meeting_id:
            number = whole_number(meeting_id)
            if number is None:
                if meeting_id.isascii() and meeting_id.isdigit():  # larger than any id
                    return _error(404, f"No meeting {meeting_id[:20]}.")
                return _error(400, "meeting must be a meeting id (a number).")
            try:
                meeting = meetings_service.get_meeting(
                    session, association.id, number, datetime.now(UTC)
                )
            except NotFound as err:
                return _error(404, err.message)
            if bodies is not None and meeting.body.code not in bodies:
                return _error(404, f"No meeting {meeting_id}.")
            previous, still_open = actions_service.open_from_previous(
                session, association.id, meeting
            )
            return jsonify(
                {"previous_meeting": previous, "open": [action_json(r) for r in still_open]}
            )
        rows = actions_service.list_actions(session, association.id, body_codes=bodies)
        return jsonify({"actions": [action_json(r) for r in rows]})


def handover_json(row: Handover) -> dict[str, Any]:
    return {
        "id": row.id,
        "member": row.member_name,
        "email": row.member_email,
        "roles": row.roles,
        "reason": row.reason,
        "started_at": row.started_at.isoformat(),
        "closed_at": row.closed_at.isoformat() if row.closed_at else None,
        "items": [
            {
                "id": i.id,
                "kind": i.kind,
                "ref": i.ref,
                "label": i.label,
                "detail": i.detail,
                "done": i.done_at is not None,
                "done_how": i.done_how,
                "done_by": i.done_by,
                "still_held": i.held,
            }
            for i in row.items
        ],
    }


@bp.get("/handovers")
@requires("officer")
def handovers() -> ResponseReturnValue:
    with services().db.session() as session:
        association = current_association(session)
        rows = handover_service.list_handovers(session, association.id)
        return jsonify({"handovers": [handover_json(r) for r in rows]})


@bp.get("/handovers/<int:handover_id>")
@requires("officer")
def handover(handover_id: int) -> ResponseReturnValue:
    with services().db.session() as session:
        try:
            row = handover_service.get_handover(
                session, current_association(session).id, handover_id
            )
        except NotFound as err:
            return _error(404, err.message)
        return jsonify(handover_json(row))


@bp.post("/handovers/<int:handover_id>/items/<int:item_id>/done")
@requires("officer")
def handover_item_done(handover_id: int, item_id: int) -> ResponseReturnValue:
    with services().db.session() as session:
        try:
            row = handover_service.mark_done(
                session,
                current_association(session).id,
                handover_id,
                item_id,
                current_principal().login,
                datetime.now(UTC),
            )
        except NotFound as err:
            return _error(404, err.message)
        return jsonify(handover_json(row))
