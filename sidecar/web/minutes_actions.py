"""The actions decided in the minutes, with their task's status as of the last sync."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from sidecar.services import actions as service
from sidecar.web.access import requires
from sidecar.web.auth import current_association, visible_bodies
from sidecar.web.context import services
from sidecar.web.minutes_texts import status_label

bp = Blueprint("minutes_actions", __name__, url_prefix="/actions")


@bp.get("")
@requires("member")
def index() -> ResponseReturnValue:
    with services().db.session() as session:
        association = current_association(session)
        rows = service.list_actions(session, association.id, body_codes=visible_bodies(session))
        return render_template(
            "pages/minutes_actions.html",
            open_rows=[r for r in rows if r.status != service.DONE],
            done_rows=[r for r in rows if r.status == service.DONE],
            status_label=status_label,
        )
