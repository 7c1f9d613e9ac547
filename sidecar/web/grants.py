"""Grants pipeline, dossier, documents and sharing-audit pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from sidecar.alerts import share_audits
from sidecar.projection.grants import STATUSES, Dossier, normalise
from sidecar.services import document_changes as changes_service
from sidecar.services import documents as documents_service
from sidecar.services import dossiers as dossier_service
from sidecar.web.access import requires
from sidecar.web.api.grants import dossier_json
from sidecar.web.auth import current_association
from sidecar.web.context import services
from sidecar.web.share_texts import finding_text, note_text

bp = Blueprint("grants", __name__)


@dataclass(frozen=True)
class Bar:
    """One funder and year of the amounts chart: the figures, and bar lengths in percent of the
    largest amount (the page writes the figures beside the bars, not only on hover)."""

    label: str
    requested: int  # cents
    awarded: int | None  # None: no award decided yet in this group (not « 0 € »)
    requested_percent: int
    awarded_percent: int


def chart(dossiers: Sequence[Dossier]) -> list[Bar]:
    """Requested and awarded amounts per funder and year, scaled to the largest."""
    totals: dict[str, tuple[int, int | None]] = {}
    for d in dossiers:
        if d.record is None:
            continue
        label = f"{d.funder} {d.year or ''}".strip()
        requested, awarded = totals.get(label, (0, None))
        given = d.record.amount_awarded_cents
        totals[label] = (
            requested + (d.record.amount_requested_cents or 0),
            awarded if given is None else (awarded or 0) + given,
        )
    largest = max((max(r, a or 0) for r, a in totals.values()), default=0) or 1
    return [
        Bar(label, r, a, round(100 * r / largest), round(100 * (a or 0) / largest))
        for label, (r, a) in sorted(totals.items())
        if r or a
    ]


@bp.get("/grants")
@requires("officer")
def pipeline() -> ResponseReturnValue:
    today = datetime.now(UTC).date()
    with services().db.session() as session:
        association = current_association(session)
        found = dossier_service.dossiers(session, association, today)
        fy_end = association.financial_year_end
        rows = [(d, dossier_json(d, today, fy_end)) for d in found]
        obligations = dossier_service.obligations(session, association, today, found)
    return render_template(
        "pages/grants.html",
        association=association,
        rows=rows,
        statuses=STATUSES,
        bars=chart(found),
        obligations=obligations,
    )


@bp.get("/grants/<path:key>")
@requires("officer")
def dossier(key: str) -> ResponseReturnValue:
    today = datetime.now(UTC).date()
    with services().db.session() as session:
        association = current_association(session)
        found = dossier_service.dossiers(session, association, today)
        chosen = next((d for d in found if d.key == key), None)
        if chosen is None:
            kept = dossier_service.address_now(session, association.id, key)
            moved = kept if any(d.key == kept for d in found) else former_address(key, found)
            if moved is None:
                abort(404)
            return redirect(url_for("grants.dossier", key=moved), 301)
        obligations = [
            o
            for o in dossier_service.obligations(session, association, today, found)
            if o.subject == key
        ]
        data = dossier_json(chosen, today, association.financial_year_end)
        base_url = documents_service.files_base_url(session, association.id)
    links = {f.path: changes_service.open_url(base_url, f.fileid) for f in chosen.files if base_url}
    return render_template(
        "pages/grant.html",
        association=association,
        d=chosen,
        data=data,
        obligations=obligations,
        links=links,
    )


def former_address(key: str, found: Sequence[Dossier]) -> str | None:
    """The key of the dossier an older address meant, worked out from today's data when no
    former address was kept (:func:`dossier_service.address_now`, read first): a dossier found by
    its folder (``f:``) or by its deadline (``e:``) gets a ``g<id>`` key once it is recorded
    (confirmed, edited), and links, bookmarks and e-mails that used the old key must keep
    working."""
    if key.startswith("f:"):
        folder = key[2:].strip("/")
        matches = [d.key for d in found if d.folder and d.folder.strip("/") == folder]
    elif key.startswith("e:"):
        wanted = key[2:].strip()
        matches = [
            d.key for d in found if normalise(f"{d.funder} {d.year or ''}").strip() == wanted
        ]
    else:
        return None
    return matches[0] if len(matches) == 1 else None


@bp.get("/documents")
@requires("officer")
def documents() -> ResponseReturnValue:
    """Recent activity of the last 7, 30 or 90 days (``?days=``), linked to meetings and dossiers."""
    days = documents_service.window(request.args.get("days"))
    now = datetime.now(UTC)
    with services().db.session() as session:
        association = current_association(session)
        found = documents_service.activity(session, association, now - timedelta(days=days), now)
    return render_template(
        "pages/documents.html",
        association=association,
        activity=found,
        days=days,
        windows=documents_service.WINDOWS,
    )


@bp.get("/shares")
@requires("officer")
def shares() -> ResponseReturnValue:
    """The last cached sharing audit (the scheduler refreshes it; officers may refresh it now)."""
    today = datetime.now(UTC).date()
    with services().db.session() as session:
        association = current_association(session)
        last = share_audits.cached(session, association.id)
    found = last.findings or ()
    texts = [finding_text(f, last.expires.get(f.share_id), today) for f in found]
    return render_template(
        "pages/shares.html",
        association=association,
        last=last,
        findings=list(zip(found, texts, strict=True)),
        notes=[note_text(n) for n in last.notes],
    )


@bp.post("/shares/refresh")
@requires("officer")
def refresh_shares() -> ResponseReturnValue:
    """Run the sharing audit now (one OCS round trip per source and group) and cache it."""
    with services().db.session() as session:
        association = current_association(session)
        share_audits.refresh(session, association, services().vault, datetime.now(UTC))
    return redirect(url_for("grants.shares"))
