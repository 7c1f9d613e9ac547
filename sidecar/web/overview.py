"""The overview page: what is coming, and whether the mirror is fresh."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from sidecar import dashboard, meetings
from sidecar.errors import NotFound
from sidecar.web import services
from sidecar.web.access import requires
from sidecar.web.auth import current_association, visible_bodies

bp = Blueprint("overview", __name__)


@bp.get("/")
@requires("member")
def index() -> ResponseReturnValue:
    now = datetime.now(UTC)
    with services().db.session() as session:
        try:
            association = current_association(session)
        except NotFound:
            return render_template("pages/welcome.html")
        if not dashboard.source_states(session, association.id):
            return render_template("pages/welcome.html")
        visible = visible_bodies(session)
        context = {
            "association": association,
            "meetings": [
                m
                for m in meetings.upcoming(session, association.id, now, limit=6)
                if visible is None or m.body.code in visible
            ],
            "deadlines": dashboard.upcoming(session, association.id, "deadlines", now),
            "sources": dashboard.source_states(session, association.id),
            "tz": association.timezone,
        }
    return render_template("pages/overview.html", **context)
