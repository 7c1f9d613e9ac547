"""JSON API for editing grants: ``POST /api/v1/grants``, ``PUT /api/v1/grants/<id>``,
confirming a match, ticking pieces and recording changes of officers (token-authenticated)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from sidecar.errors import QuorumError
from sidecar.services import dossiers as dossier_service
from sidecar.services import grant_forms
from sidecar.web.access import requires
from sidecar.web.api.grants import dossier_json
from sidecar.web.auth import current_association
from sidecar.web.context import services
from sidecar.web.errors import json_error

bp = Blueprint("api_grants_edit", __name__, url_prefix="/api/v1")

FIELD_HELP = {
    "required": "is required",
    "amount": "must be an amount in euros (1500 or 1500.50), or whole cents in *_cents",
    "date": "must be an ISO date such as 2027-03-31",
    "number": "must be a whole number",
    "status": "must be one of idea, preparing, submitted, awarded, refused, reported",
    "period": "cannot be before action_start",
    "url": "must be an address starting with https:// or http://",
}


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _invalid(errors: dict[str, str]) -> ResponseReturnValue:
    fields = {name: f"{name} {FIELD_HELP.get(code, code)}" for name, code in errors.items()}
    message = "Fix these fields: " + "; ".join(fields.values())
    return json_error(message, 400, fields=fields)


def _dossier_response(key: str, status: int = 200) -> ResponseReturnValue:
    today = datetime.now(UTC).date()
    with services().db.session() as session:
        association = current_association(session)
        found = dossier_service.found_dossier(session, association, today, key)
        return jsonify(dossier_json(found, today, association.financial_year_end)), status


@bp.post("/grants")
@requires("admin")
def create_grant() -> ResponseReturnValue:
    """Create a dossier; it is recorded as confirmed by the admin."""
    values, errors = grant_forms.parse_grant({"confirmed": True, **_body()})
    if errors:
        return _invalid(errors)
    with services().db.session() as session:
        row = dossier_service.save_grant(session, current_association(session).id, values)
        key = f"g{row.id}"
    return _dossier_response(key, 201)


@bp.put("/grants/<int:grant_id>")
@requires("admin")
def update_grant(grant_id: int) -> ResponseReturnValue:
    """Change the fields given (others are kept)."""
    values, errors = grant_forms.parse_grant(_body(), partial=True)
    if errors:
        return _invalid(errors)
    with services().db.session() as session:
        association_id = current_association(session).id
        dossier_service.grant_row(session, association_id, grant_id)
        dossier_service.save_grant(session, association_id, values, grant_id)
    return _dossier_response(f"g{grant_id}")


@bp.post("/grants/confirm")
@requires("admin")
def confirm_grant() -> ResponseReturnValue:
    """Confirm a dossier found automatically: ``{"key": "f:/Subventions/…/"}``."""
    with services().db.session() as session:
        row = dossier_service.confirm_dossier(
            session, current_association(session), datetime.now(UTC).date(), _key()
        )
        key = f"g{row.id}"
    return _dossier_response(key)


@bp.post("/grants/tick")
@requires("officer")
def tick_piece() -> ResponseReturnValue:
    """Tick (``{"key", "piece", "link"}``) or untick (``"ticked": false``) a piece by hand."""
    data = _body()
    piece = str(data.get("piece") or "")
    if not piece:
        return _invalid({"piece": "required"})
    with services().db.session() as session:
        association = current_association(session)
        row = dossier_service.grant_for_key(session, association, datetime.now(UTC).date(), _key())
        if data.get("ticked", True) is False:
            dossier_service.untick_piece(session, row.id, piece)
        else:
            try:
                dossier_service.tick_piece(session, row.id, piece, str(data.get("link") or ""))
            except QuorumError:
                return _invalid({"link": "url"})
        key = f"g{row.id}"
    return _dossier_response(key)


@bp.post("/officer-changes")
@requires("admin")
def officer_change() -> ResponseReturnValue:
    """Record ``{"changed_on": "2026-09-20", "description": "…", "declared_on": null}``."""
    data = _body()
    try:
        changed_on = date.fromisoformat(str(data.get("changed_on") or ""))
        declared = data.get("declared_on")
        declared_on = date.fromisoformat(str(declared)) if declared else None
    except ValueError:
        return _invalid({"changed_on": "date"})
    with services().db.session() as session:
        row = dossier_service.record_officer_change(
            session,
            current_association(session).id,
            changed_on,
            str(data.get("description") or ""),
            declared_on,
        )
        return jsonify({"id": row.id, "changed_on": changed_on.isoformat()}), 201


def _key() -> str:
    return str(_body().get("key") or "")
