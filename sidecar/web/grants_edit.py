"""Editing grant dossiers: create or correct one, confirm an automatic match, tick a piece by
hand, record a change of officers. Forms are CSRF-protected; mistakes come back by the field."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from sidecar.errors import NotFound, QuorumError
from sidecar.formatting import whole_number
from sidecar.projection.grants import STATUSES
from sidecar.services import dossiers as dossier_service
from sidecar.services import grant_forms
from sidecar.storage.models import Member
from sidecar.web.access import requires
from sidecar.web.auth import current_association
from sidecar.web.context import services
from sidecar.web.error_texts import error_text as domain_error_text

bp = Blueprint("grants_edit", __name__)


def error_text(code: str) -> str:
    """What to fix, for an error code of :func:`sidecar.services.grant_forms.parse_grant`."""
    texts: dict[str, str] = {
        "required": gettext("This field is required."),
        "amount": gettext("Enter an amount in euros, such as 1500 or 1 500,50."),
        "date": gettext("Enter a date as YYYY-MM-DD, such as 2027-03-31."),
        "number": gettext("Enter a whole number."),
        "status": gettext("Choose a status from the list."),
        "period": gettext("The action cannot end before it starts."),
    }
    return texts.get(code, code)


def _today() -> date:
    return datetime.now(UTC).date()


def _form_values(values: dict[str, Any]) -> dict[str, str]:
    """Stored values as the form shows them (amounts in euros, dates ISO)."""
    shown: dict[str, str] = {}
    for name, value in values.items():
        if value is None:
            shown[name] = ""
        elif name in grant_forms.AMOUNT_FIELDS:
            shown[name.removesuffix("_cents")] = f"{value / 100:.2f}".replace(".00", "")
        elif isinstance(value, date):
            shown[name] = value.isoformat()
        else:
            shown[name] = str(value)
    return shown


def _members(session: Session, association_id: int) -> list[Member]:
    return list(
        session.scalars(
            select(Member)
            .where(Member.association_id == association_id, Member.active.is_(True))
            .order_by(Member.name)
        )
    )


def _render_form(
    key: str, shown: dict[str, str], errors: dict[str, str], status: int = 200
) -> ResponseReturnValue:
    with services().db.session() as session:
        association = current_association(session)
        html = render_template(
            "pages/grant_form.html",
            key=key,
            v=shown,
            errors=errors,
            statuses=STATUSES,
            members=_members(session, association.id),
        )
    return html, status


@bp.get("/grants/edit")
@requires("admin")
def edit() -> ResponseReturnValue:
    """The form: empty for a new dossier, else pre-filled from the record or the match."""
    key = request.args.get("key", "")
    if not key:
        return _render_form("", {"status": "preparing", "confirmed": "True"}, {})
    with services().db.session() as session:
        association = current_association(session)
        try:
            found = dossier_service.found_dossier(session, association, _today(), key)
        except NotFound:
            abort(404)
        shown = _form_values(dossier_service.draft_values(found))
    return _render_form(key, shown, {})


@bp.post("/grants/edit")
@requires("admin")
def save() -> ResponseReturnValue:
    """Create a dossier, record a found one as corrected, or update a recorded one."""
    key = request.form.get("key", "")
    raw = request.form.to_dict()
    raw["confirmed"] = "true"  # saving from the form is the admin's confirmation
    values, errors = grant_forms.parse_grant(raw)
    if errors:
        texts = {name: error_text(code) for name, code in errors.items()}
        return _render_form(key, request.form.to_dict(), texts, status=400)
    with services().db.session() as session:
        association = current_association(session)
        grant_id = whole_number(key[1:]) if key.startswith("g") else None
        try:
            if grant_id is not None:
                dossier_service.grant_row(session, association.id, grant_id)
        except NotFound:
            abort(404)
        row = dossier_service.save_grant(
            session, association.id, values, grant_id, former_key=key if grant_id is None else None
        )
        new_key = f"g{row.id}"
    flash(gettext("Dossier saved."), "ok")
    return redirect(url_for("grants.dossier", key=new_key))


@bp.post("/grants/confirm")
@requires("admin")
def confirm() -> ResponseReturnValue:
    """The admin agrees with an automatic match as it is."""
    with services().db.session() as session:
        association = current_association(session)
        try:
            row = dossier_service.confirm_dossier(
                session, association, _today(), request.form.get("key", "")
            )
        except NotFound:
            abort(404)
        new_key = f"g{row.id}"
    flash(gettext("Dossier confirmed."), "ok")
    return redirect(url_for("grants.dossier", key=new_key))


@bp.post("/grants/tick")
@requires("officer")
def tick() -> ResponseReturnValue:
    """Tick a piece by hand, with a link to where it is (or untick it)."""
    key, piece = request.form.get("key", ""), request.form.get("piece", "")
    link = request.form.get("link", "").strip()
    with services().db.session() as session:
        association = current_association(session)
        try:
            row = dossier_service.grant_for_key(session, association, _today(), key)
        except NotFound:
            abort(404)
        if request.form.get("action") == "untick":
            dossier_service.untick_piece(session, row.id, piece)
            message = gettext("The piece will be looked for in the files again.")
        else:
            try:
                dossier_service.tick_piece(session, row.id, piece, link)
            except QuorumError as err:
                flash(domain_error_text(err), "error")
                return redirect(url_for("grants.dossier", key=f"g{row.id}") + "#pieces")
            message = gettext("Piece ticked.")
        new_key = f"g{row.id}"
    flash(message, "ok")
    return redirect(url_for("grants.dossier", key=new_key) + "#pieces")


@bp.post("/obligations/officer-changes")
@requires("admin")
def officer_change() -> ResponseReturnValue:
    """Record a change of officers; the préfecture declaration obligation follows from it."""
    raw_day = request.form.get("changed_on", "")
    try:
        changed_on = date.fromisoformat(raw_day)
    except ValueError:
        flash(
            gettext("Date of the change: %(fix)s", fix=error_text("date")),
            "error",
        )
        return redirect(url_for("grants.pipeline") + "#officer-change")
    with services().db.session() as session:
        association = current_association(session)
        dossier_service.record_officer_change(
            session, association.id, changed_on, request.form.get("description", "")
        )
    flash(gettext("Change of officers recorded: declare it to the préfecture within 3 months."))
    return redirect(url_for("grants.pipeline") + "#obligations")


@bp.post("/obligations/officer-changes/<int:change_id>/declared")
@requires("admin")
def declared(change_id: int) -> ResponseReturnValue:
    """The change was declared to the préfecture (today unless a date is given)."""
    raw_day = request.form.get("declared_on", "")
    try:
        day = date.fromisoformat(raw_day) if raw_day else _today()
    except ValueError:
        flash(gettext("Declaration date: %(fix)s", fix=error_text("date")), "error")
        return redirect(url_for("grants.pipeline") + "#obligations")
    with services().db.session() as session:
        association = current_association(session)
        try:
            dossier_service.mark_declared(session, association.id, change_id, day)
        except NotFound:
            abort(404)
    flash(gettext("Declaration recorded."), "ok")
    return redirect(url_for("grants.pipeline") + "#obligations")
