"""The overview page: what is coming, and whether the mirror is fresh."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from sidecar import dashboard, meetings
from sidecar.context import resolve_association
from sidecar.errors import NotFound
from sidecar.web import services

bp = Blueprint("overview", __name__)


@bp.get("/")
def index() -> ResponseReturnValue:
    now = datetime.now(UTC)
    with services().db.session() as session:
        try:
            association = resolve_association(session, None)
        except NotFound:
            return render_template("pages/welcome.html")
        context = {
            "association": association,
            "meetings": meetings.upcoming(session, association.id, now, limit=6),
            "deadlines": dashboard.upcoming(session, association.id, "deadlines", now),
            "sources": dashboard.source_states(session, association.id),
            "tz": association.timezone,
        }
    return render_template("pages/overview.html", **context)
