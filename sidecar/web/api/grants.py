"""JSON API for grants, obligations, documents and the sharing audit (``/api/v1``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from sidecar.alerts import share_audits
from sidecar.projection.document_links import Document
from sidecar.projection.grants import Dossier, Piece, next_deadline
from sidecar.projection.obligations import Obligation, report_due
from sidecar.security.links import safe_url
from sidecar.services import documents as documents_service
from sidecar.services import dossiers as dossier_service
from sidecar.web.access import requires
from sidecar.web.auth import current_association
from sidecar.web.context import services
from sidecar.web.errors import json_error

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
        "pieces": [piece_json(p) for p in dossier.pieces],
        "completeness": dossier.completeness,
        "missing": [p.name for p in dossier.missing],
        "next_deadline": upcoming.isoformat() if upcoming else None,
        "report_due": due.isoformat() if due else None,
    }


def piece_json(piece: Piece) -> dict[str, Any]:
    """One piece: its file's path, or the link it was ticked with when ``safe_url`` accepts it
    (``file`` and ``link``); a refused link (one stored before links were checked) only as
    ``link_text``."""
    link = safe_url(piece.link)
    return {
        "key": piece.key,
        "name": piece.name,
        "state": piece.state,
        "file": piece.file.path if piece.file else link,
        "link": link,
        "link_text": piece.link if piece.link and link is None else None,
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


@bp.get("/grants")
@requires("officer")
def grants() -> ResponseReturnValue:
    today = datetime.now(UTC).date()
    with services().db.session() as session:
        association = current_association(session)
        found = dossier_service.dossiers(session, association, today)
        fy_end = association.financial_year_end
        return jsonify({"grants": [dossier_json(d, today, fy_end) for d in found]})


@bp.get("/obligations")
@requires("officer")
def obligations() -> ResponseReturnValue:
    today = datetime.now(UTC).date()
    with services().db.session() as session:
        association = current_association(session)
        found = dossier_service.obligations(session, association, today)
    return jsonify({"obligations": [obligation_json(o) for o in found]})


def links_json(document: Document) -> dict[str, Any]:
    """The meetings and the dossier a document belongs to."""
    dossier = document.dossier
    return {
        "meetings": [
            {"id": m.id, "body": m.body, "title": m.title, "day": m.day.isoformat()}
            for m in document.meetings
        ],
        "dossier": (
            {"key": dossier.key, "funder": dossier.funder, "year": dossier.year}
            if dossier
            else None
        ),
    }


def activity_json(found: documents_service.Activity) -> dict[str, Any]:
    """The documents API answer: changes with their links, and recent files when needed."""
    started = found.following_since
    return {
        "changed_since": found.since.isoformat(),
        "following_since": started.isoformat() if started else None,
        "documents": [
            {
                "change": c.change.change,
                "path": c.change.path,
                "old_path": c.change.old_path,
                "is_folder": c.change.is_folder,
                "at": c.change.at.isoformat(),
                "url": c.change.open_url,
                **links_json(c.document),
            }
            for c in found.changes
        ],
        "recently_modified": [
            {
                "path": r.document.file.path,
                "mtime": r.document.file.mtime.isoformat() if r.document.file.mtime else None,
                "url": r.open_url,
                **links_json(r.document),
            }
            for r in found.recent
        ],
    }


@bp.get("/documents")
@requires("officer")
def documents() -> ResponseReturnValue:
    """Changes since ``changed_since`` (default: 30 days), each linked to meetings and dossiers.

    ``recently_modified`` lists the files modified last when the window starts before Quorum's
    first sync, which logs no "added" change.
    """
    text = request.args.get("changed_since")
    now = datetime.now(UTC)
    try:
        since = datetime.fromisoformat(text) if text else now - timedelta(days=30)
    except ValueError:
        return json_error("changed_since must be an ISO date or datetime, e.g. 2026-11-01.", 400)
    since = since if since.tzinfo else since.replace(tzinfo=UTC)
    with services().db.session() as session:
        association = current_association(session)
        found = documents_service.activity(session, association, since, now)
    return jsonify(activity_json(found))


@bp.get("/shares/audit")
@requires("officer")
def shares_audit() -> ResponseReturnValue:
    """The cached audit, as the shares page shows it; audited once now if it never was."""
    with services().db.session() as session:
        association = current_association(session)
        audit = share_audits.cached(session, association.id)
        if audit.at is None and audit.error is None:
            audit = share_audits.refresh(session, association, services().vault, _now())
    return jsonify(_audit_json(audit))


@bp.post("/shares/audit")
@requires("officer")
def refresh_shares_audit() -> ResponseReturnValue:
    """Audit the shares now (one OCS request per source and group) and answer the result."""
    with services().db.session() as session:
        association = current_association(session)
        audit = share_audits.refresh(session, association, services().vault, _now())
    return jsonify(_audit_json(audit))


def _now() -> datetime:
    return datetime.now(UTC)


def _audit_json(audit: share_audits.CachedAudit) -> dict[str, Any]:
    return {
        "at": audit.at.isoformat() if audit.at else None,
        "share_count": audit.share_count,
        "errors": [audit.error] if audit.error else [],
        "notes": [vars(n) for n in audit.notes],
        "findings": [vars(f) for f in audit.findings or ()],
    }
