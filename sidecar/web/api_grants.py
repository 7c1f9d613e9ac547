"""JSON API for grants, obligations, documents and the sharing audit (``/api/v1``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from sidecar import grants as service
from sidecar.errors import NotFound
from sidecar.projection.grants import Dossier, next_deadline
from sidecar.projection.obligations import Obligation, report_due
from sidecar.web import services
from sidecar.web.access import requires
from sidecar.web.auth import current_association

bp = Blueprint("api_grants", __name__, url_prefix="/api/v1")


def dossier_json(dossier: Dossier, today: date, financial_year_end: str) -> dict[str, Any]:
    """One dossier as the API and the grants page describe it."""
    record = dossier.record
    due = report_due(dossier, financial_year_end)
    upcoming = next_deadline(dossier, today)
    return {
        "key": dossier.key,
        "funder": dossier.funder,
        "year": dossier.year,
        "status": dossier.status,
        "folder": dossier.folder,
        "confirmed": dossier.confirmed,
        "amount_requested_cents": record.amount_requested_cents if record else None,
        "amount_awarded_cents": record.amount_awarded_cents if record else None,
        "pieces": [
            {
                "key": p.key,
                "name": p.name,
                "state": p.state,
                "file": p.file.path if p.file else (p.link or None),
            }
            for p in dossier.pieces
        ],
        "completeness": dossier.completeness,
        "missing": [p.name for p in dossier.missing],
        "next_deadline": upcoming.isoformat() if upcoming else None,
        "report_due": due.isoformat() if due else None,
    }


def obligation_json(obligation: Obligation) -> dict[str, Any]:
    return {
        "key": obligation.key,
        "kind": obligation.kind,
        "title": obligation.title,
        "source": obligation.source,
        "due": obligation.due.isoformat(),
        "status": obligation.status,
        "reason": obligation.reason,
        "subject": obligation.subject,
    }


def _error(message: str, status: int) -> ResponseReturnValue:
    return jsonify({"error": message}), status


@bp.get("/grants")
@requires("officer")
def grants() -> ResponseReturnValue:
    today = datetime.now(UTC).date()
    with services().db.session() as session:
        association = current_association(session)
        found = service.dossiers(session, association, today)
        fy_end = association.financial_year_end
        return jsonify({"grants": [dossier_json(d, today, fy_end) for d in found]})


@bp.get("/obligations")
@requires("officer")
def obligations() -> ResponseReturnValue:
    today = datetime.now(UTC).date()
    with services().db.session() as session:
        association = current_association(session)
        found = service.obligations(session, association, today)
    return jsonify({"obligations": [obligation_json(o) for o in found]})


@bp.get("/documents")
@requires("officer")
def documents() -> ResponseReturnValue:
    text = request.args.get("changed_since")
    try:
        since = datetime.fromisoformat(text) if text else datetime.now(UTC) - timedelta(days=30)
    except ValueError:
        return _error("changed_since must be an ISO date or datetime, e.g. 2026-11-01.", 400)
    since = since if since.tzinfo else since.replace(tzinfo=UTC)
    with services().db.session() as session:
        association = current_association(session)
        changes = service.document_changes(session, association.id, since)
    return jsonify(
        {
            "changed_since": since.isoformat(),
            "documents": [
                {
                    "change": c.change,
                    "path": c.path,
                    "old_path": c.old_path,
                    "is_folder": c.is_folder,
                    "at": c.at.isoformat(),
                    "url": c.open_url,
                }
                for c in changes
            ],
        }
    )


@bp.get("/shares/audit")
@requires("officer")
def shares_audit() -> ResponseReturnValue:
    today = datetime.now(UTC).date()
    with services().db.session() as session:
        association = current_association(session)
        result = service.share_audit(session, association, services().vault, today)
    return jsonify(
        {
            "share_count": result.share_count,
            "errors": result.errors,
            "findings": [vars(f) for f in result.findings],
        }
    )


@bp.errorhandler(NotFound)
def not_found(err: NotFound) -> ResponseReturnValue:
    return _error(err.message, 404)
