"""The overview page: what is coming, and whether the mirror is fresh."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from sidecar.errors import NotFound
from sidecar.services import accounts, dashboard, meetings
from sidecar.services import dossiers as dossier_service
from sidecar.web.access import requires
from sidecar.web.auth import current_association, current_principal, visible_bodies
from sidecar.web.context import services
from sidecar.web.glance import glances

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
        sources = dashboard.source_states(session, association.id)
        if not sources:
            return render_template("pages/welcome.html")
        visible = visible_bodies(session)
        context = {
            "association": association,
            "meetings": glances(
                meetings.upcoming_summaries(session, association.id, now, limit=6, visible=visible),
                now,
            ),
            "deadlines": dashboard.upcoming(session, association.id, "deadlines", now),
            "sources": sources,
            "tz": association.timezone,
            "unlinked": visible is not None and not visible,
            "grants": dossier_service.glance(session, association, now.date())
            if accounts.rank(current_principal().role) >= accounts.rank("officer")
            else None,
        }
    return render_template("pages/overview.html", **context)
