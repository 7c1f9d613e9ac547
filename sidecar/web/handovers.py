"""Officer handovers: what each departing officer held, the checklist, and marking items done."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from sqlalchemy import select

from sidecar.errors import NotFound, QuorumError
from sidecar.formatting import whole_number
from sidecar.services import handover as service
from sidecar.storage.models import Member
from sidecar.web.access import requires
from sidecar.web.auth import current_association, current_principal
from sidecar.web.context import services
from sidecar.web.error_texts import error_text
from sidecar.web.minutes_texts import kind_label

bp = Blueprint("handovers", __name__, url_prefix="/handovers")


def _(text: str, **params: object) -> str:
    """gettext, typed (flask-babel has no annotations)."""
    return str(gettext(text, **params))


@bp.get("")
@requires("officer")
def index() -> ResponseReturnValue:
    with services().db.session() as session:
        association = current_association(session)
        rows = service.list_handovers(session, association.id)
        members = list(
            session.scalars(
                select(Member).where(Member.association_id == association.id).order_by(Member.name)
            )
        )
        return render_template("pages/handovers.html", handovers=rows, members=members)


@bp.get("/<int:handover_id>")
@requires("officer")
def show(handover_id: int) -> ResponseReturnValue:
    with services().db.session() as session:
        association = current_association(session)
        try:
            row = service.get_handover(session, association.id, handover_id)
        except NotFound as err:
            error = error_text(err)
            if not err.code:  # the service names no code yet: say it from the catalogue
                error = _("No handover #%(handover_id)s.", handover_id=handover_id)
            return render_template("pages/handover.html", row=None, error=error), 404
        return render_template("pages/handover.html", row=row, kind_label=kind_label, error=None)


@bp.post("/start")
@requires("officer")
def start() -> ResponseReturnValue:
    """Start a handover by hand (an officer announces they leave before the roster changes)."""
    raw = request.form.get("member_id", "")
    with services().db.session() as session:
        association = current_association(session)
        number = whole_number(raw)
        member = session.get(Member, number) if number is not None else None
        if member is None or member.association_id != association.id:
            flash(_("Choose a member from the list."), "error")
            return redirect(url_for("handovers.index"))
        row = service.start(
            session, association.id, member, [], datetime.now(UTC), reason="announced"
        )
        handover_id = row.id
    flash(_("Handover started: check what is listed, then transfer each item."), "ok")
    return redirect(url_for("handovers.show", handover_id=handover_id))


@bp.post("/<int:handover_id>/items/<int:item_id>/done")
@requires("officer")
def done(handover_id: int, item_id: int) -> ResponseReturnValue:
    with services().db.session() as session:
        association = current_association(session)
        try:
            row = service.mark_done(
                session,
                association.id,
                handover_id,
                item_id,
                current_principal().login,
                datetime.now(UTC),
            )
        except QuorumError as err:
            flash(error_text(err), "error")
            return redirect(url_for("handovers.index"))
        closed = row.closed_at is not None
    flash(
        _("Handover complete: everything was transferred.")
        if closed
        else _("Item marked as transferred."),
        "ok",
    )
    return redirect(url_for("handovers.show", handover_id=handover_id))
