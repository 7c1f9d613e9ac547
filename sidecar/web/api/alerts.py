"""JSON API of alerts: ``GET /api/v1/alerts?state=open`` (all states without ``state``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import bindparam, select

from sidecar.alerts.lifecycle import STATES
from sidecar.storage.models import Alert
from sidecar.web.access import requires
from sidecar.web.auth import current_association
from sidecar.web.context import services
from sidecar.web.errors import json_error

bp = Blueprint("api_alerts", __name__, url_prefix="/api/v1/alerts")


def alert_dict(alert: Alert) -> dict[str, Any]:
    return {
        "key": alert.key,
        "rule": alert.rule,
        "severity": alert.severity,
        "subject": alert.subject,
        "state": alert.state,
        "first_seen": alert.first_seen.isoformat(),
        "last_seen": alert.last_seen.isoformat(),
    }


@bp.get("")
@requires("officer")
def index() -> ResponseReturnValue:
    state = request.args.get("state")
    if state is not None and state not in STATES:
        return json_error(f"Unknown state {state!r}: use one of {', '.join(STATES)}.", 400)
    with services().db.session() as session:
        ours = {"association_id": current_association(session).id}
        if state:
            found = session.scalars(_IN_STATE, {**ours, "state": state})
        else:
            found = session.scalars(_ALL, ours)
        alerts = [alert_dict(a) for a in found]
    return jsonify(alerts=alerts)


# Built once (building a statement costs about as much as running it).
_ALL = select(Alert).where(Alert.association_id == bindparam("association_id")).order_by(Alert.key)
_IN_STATE = _ALL.where(Alert.state == bindparam("state"))
