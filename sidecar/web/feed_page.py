"""``/my-feed``: a member gets, or renews, the address of their personal calendar feed.

The token is shown once, in the answer to the POST (never in a flash message, which would put
it in the session cookie); only its hash is stored.
"""

from __future__ import annotations

from flask import Blueprint, render_template, url_for
from flask.typing import ResponseReturnValue

from sidecar.services import feeds
from sidecar.web.access import requires
from sidecar.web.auth import current_association, current_principal
from sidecar.web.context import services

bp = Blueprint("feed_page", __name__)


def _render(new_url: str | None = None) -> str:
    who = current_principal()
    with services().db.session() as session:
        association = current_association(session)
        member = feeds.member_of(session, association.id, nc_user=who.nc_user)
        return render_template(
            "pages/feed.html",
            member=member,
            token=feeds.token_info(session, member.id) if member else None,
            new_url=new_url,
            tz=association.timezone,
        )


@bp.get("/my-feed")
@requires("member")
def show() -> ResponseReturnValue:
    return _render()


@bp.post("/my-feed")
@requires("member")
def renew() -> ResponseReturnValue:
    """Issue a new token; the previous address stops working at once."""
    who = current_principal()
    with services().db.session() as session:
        association = current_association(session)
        member = feeds.member_of(session, association.id, nc_user=who.nc_user)
        if member is None:
            return _render(), 404
        token = feeds.issue_token(session, member.id)
    return _render(url_for("feeds.feed", token=token, _external=True))
