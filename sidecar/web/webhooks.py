"""``POST /webhooks/nextcloud``: Nextcloud ``webhook_listeners`` events make a source's jobs due.

Nextcloud (30+) posts ``{"user": {"uid": ...}, "time": ..., "event": {"class": ..., ...}}`` for the
file events (NodeCreated/Written/Deleted/Renamed) and calendar object events registered with
``occ webhook_listeners:add`` (or its OCS API), with a header carrying our shared secret
(``QUORUM_WEBHOOK_SECRET``, sent as ``X-Quorum-Webhook-Secret``) — or, on an install serving
several associations, ``POST /webhooks/nextcloud/<slug>`` with that association's own secret
(:mod:`sidecar.webhook_secrets`): an event only ever queues the jobs of the association whose
address and secret it came with. The affected source's enabled
jobs become due now; the scheduler, ticking every few seconds, runs them, and its incremental sync
only reads what changed. Polling stays: deliveries are delayed and attempted once.
"""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from sidecar.services import jobs, webhook_secrets
from sidecar.storage.models import Association, Source, SyncJob
from sidecar.web.access import public
from sidecar.web.context import services
from sidecar.web.errors import json_error

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
SECRET_HEADER = "X-Quorum-Webhook-Secret"  # noqa: S105 (a header name)
FILE_EVENTS = ("NodeCreatedEvent", "NodeWrittenEvent", "NodeDeletedEvent", "NodeRenamedEvent")
CALENDAR_EVENTS = (
    "CalendarObjectCreatedEvent",
    "CalendarObjectUpdatedEvent",
    "CalendarObjectDeletedEvent",
    "CalendarObjectMovedEvent",
    "CalendarObjectMovedToTrashEvent",
    "CalendarObjectRestoredEvent",
)


def configured_secret() -> str:
    """The shared secret (setting ``QUORUM_WEBHOOK_SECRET``); empty means disabled."""
    return str(
        current_app.config.get("QUORUM_WEBHOOK_SECRET")
        or current_app.extensions["quorum"].settings.webhook_secret
    )


def authorised(secret: str) -> bool:
    given = request.headers.get(SECRET_HEADER, "")
    return bool(secret) and hmac.compare_digest(given.encode(), secret.encode())


def event_user(payload: dict[str, Any]) -> str | None:
    """The Nextcloud user whose files or calendars changed."""
    user = payload.get("user")
    if isinstance(user, dict) and isinstance(user.get("uid"), str):
        return str(user["uid"])
    event = payload.get("event") if isinstance(payload.get("event"), dict) else {}
    node = event.get("node") if isinstance(event, dict) else None
    if isinstance(node, dict) and isinstance(node.get("path"), str):
        return node["path"].strip("/").split("/", 1)[0] or None  # "/alice/files/..."
    calendar = event.get("calendarData") if isinstance(event, dict) else None
    if isinstance(calendar, dict) and isinstance(calendar.get("principaluri"), str):
        return calendar["principaluri"].rstrip("/").rsplit("/", 1)[-1] or None
    return None


def event_kind(payload: dict[str, Any]) -> str | None:
    event = payload.get("event")
    name = str(event.get("class", "")) if isinstance(event, dict) else ""
    short = name.rsplit("\\", 1)[-1]
    if short in FILE_EVENTS:
        return "files"
    return "calendars" if short in CALENDAR_EVENTS else None


@bp.post("/nextcloud")
@public
def nextcloud() -> ResponseReturnValue:
    """The install-wide secret (``QUORUM_WEBHOOK_SECRET``): only where one association is
    served, since the event does not say whose Nextcloud it comes from."""
    secret = configured_secret()
    if not secret:
        return json_error("Webhooks are off: set QUORUM_WEBHOOK_SECRET.", 404)
    if not authorised(secret):
        return json_error("Wrong or missing webhook secret.", 401)
    with services().db.session() as session:
        association = webhook_secrets.only_association(session)
        if association is None:
            return json_error(
                "This Quorum serves several associations: each uses its own address, "
                "/webhooks/nextcloud/<association>, with its own secret.",
                404,
            )
        association_id = association.id
    return _queue(association_id)


@bp.post("/nextcloud/<slug>")
@public
def nextcloud_for(slug: str) -> ResponseReturnValue:
    """One association's address, authenticated by that association's own secret."""
    given = request.headers.get(SECRET_HEADER, "")
    with services().db.session() as session:
        association = session.scalar(select(Association).where(Association.slug == slug[:64]))
        if association is None or not webhook_secrets.matches(association, given):
            # the same answer for an unknown association and a wrong secret
            return json_error("Wrong or missing webhook secret.", 401)
        association_id = association.id
    return _queue(association_id)


def _queue(association_id: int) -> ResponseReturnValue:
    """Make due the jobs of this association's sources that read as the event's user."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return json_error("Expected a JSON webhook_listeners event.", 400)
    kind, user = event_kind(payload), event_user(payload)
    if kind is None or user is None:
        return jsonify(ignored=True, reason="not a file or calendar event with a user"), 202
    with services().db.session() as session:
        sources = select(Source.id).where(
            Source.association_id == association_id, Source.login == user
        )
        job_ids = list(
            session.scalars(
                select(SyncJob.id).where(
                    SyncJob.source_id.in_(sources),
                    SyncJob.enabled.is_(True),
                    SyncJob.paused_reason.is_(None),
                )
            )
        )
        queued = jobs.mark_due(session, job_ids)
    return jsonify(kind=kind, user=user, queued=queued), 202
