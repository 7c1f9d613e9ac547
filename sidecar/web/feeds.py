"""``/feeds/<token>.ics``: the subscription URL a member pastes into their calendar app."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, abort
from flask.typing import ResponseReturnValue

from sidecar.services import feeds
from sidecar.storage.models import Association
from sidecar.web.access import public
from sidecar.web.context import services

bp = Blueprint("feeds", __name__, url_prefix="/feeds")


@bp.get("/<token>.ics")
@public
def feed(token: str) -> ResponseReturnValue:
    with services().db.session() as session:
        member = feeds.member_for_token(session, token)
        if member is None:
            abort(404)  # never say whether a token ever existed
        association = session.get(Association, member.association_id)
        if association is None:
            abort(404)
        scope = feeds.scope_for(session, member)  # what the member's own pages show
        body = feeds.feed_for(
            session, association, datetime.now(UTC), scope=scope, language=member.language
        )
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Cache-Control": "private, max-age=300", "Content-Disposition": "inline"},
    )
