"""Liveness and readiness probes.

``/readyz`` is ready when the database answers; it also reports the scheduler lease (who holds
it, until when) without failing on it: a web worker stays useful while the scheduler restarts,
and ``quorum_scheduler_lease_seconds_remaining`` on ``/metrics`` is the thing to alert on.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.orm import Session

from sidecar.scheduler import LEASE_NAME
from sidecar.storage.models import Lease
from sidecar.web.access import public
from sidecar.web.context import services

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz() -> ResponseReturnValue:
    return jsonify(status="ok")


@bp.get("/readyz")
@public
def readyz() -> ResponseReturnValue:
    try:
        with services().db.session() as session:
            session.execute(text("SELECT 1"))
            scheduler = scheduler_state(session, datetime.now(UTC))
    except Exception as err:  # any database failure means "not ready"
        return jsonify(status="unavailable", database=type(err).__name__), 503
    return jsonify(status="ok", database="ok", scheduler=scheduler)


def scheduler_state(session: Session, now: datetime) -> dict[str, Any]:
    """``running`` (lease held and fresh), ``stale`` (expired: its process died) or ``absent``."""
    lease = session.get(Lease, LEASE_NAME)
    if lease is None:
        return {"state": "absent"}
    expires = lease.expires_at
    return {
        "state": "running" if expires > now else "stale",
        "holder": lease.holder,
        "expires_at": expires.isoformat(),
    }
