"""Admin page of the associations this Quorum serves: last sync, lag, errors, state.

A federation's operators are the admins of one association named by
``QUORUM_OPERATOR_ASSOCIATION``: they see every association. Any other admin sees only their
own association's row, so one association never learns another's names or errors.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from sidecar.services import federation
from sidecar.web.access import requires
from sidecar.web.auth import current_association
from sidecar.web.context import services

bp = Blueprint("federation", __name__, url_prefix="/admin/associations")


@bp.get("/")
@requires("admin")
def index() -> ResponseReturnValue:
    """Every association (operators) or one's own (any other admin), worst first."""
    with services().db.session() as session:
        mine = current_association(session)
        operator = services().settings.operator_association
        everyone = bool(operator) and mine.slug == operator
        rows = federation.health(session, datetime.now(UTC), None if everyone else [mine.id])
    return render_template("pages/admin_associations.html", rows=rows, everyone=everyone)
