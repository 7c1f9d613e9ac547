"""Registre des délibérations: the PVs read and their findings, the register, approval, exports.

Members see the PVs of their bodies; officers scan, approve and export. Approval is a POST with
the CSRF token; the register itself is never edited from here (insert-only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, gettext, ngettext
from sqlalchemy.orm import Session

from integrations.errors import IntegrationError
from sidecar.errors import QuorumError
from sidecar.projection.register import ChainCheck, RegisterEntry, entry_fields, verify
from sidecar.services import minutes_cycle, register_export
from sidecar.services import register as service
from sidecar.storage.models import MinutesCheck
from sidecar.web import display
from sidecar.web.access import requires
from sidecar.web.auth import current_association, current_principal, visible_bodies
from sidecar.web.context import services
from sidecar.web.minutes_texts import finding_text, via_label

bp = Blueprint("register", __name__, url_prefix="/register")


def _(text: str, **params: object) -> str:
    """gettext, typed (flask-babel has no annotations)."""
    return str(gettext(text, **params))


@dataclass(frozen=True)
class RegisterView:
    """What the register page and ``GET /api/v1/register`` show."""

    checks: list[MinutesCheck]
    entries: list[RegisterEntry]
    chain: ChainCheck
    approved: set[tuple[str | None, str | None]]  # (fileid, etag) of frozen versions


def load_view(session: Session, association_id: int) -> RegisterView:
    """The PVs and entries of the bodies the signed-in user may see; the chain is checked whole."""
    bodies = visible_bodies(session)
    chain = service.entries(session, association_id)
    checks = [
        c
        for c in service.checks(session, association_id)
        if bodies is None or c.body_code in bodies
    ]
    shown = [e for e in chain if bodies is None or e.body_code in bodies]
    approved: set[tuple[str | None, str | None]] = {(e.fileid, e.etag) for e in chain}
    return RegisterView(
        checks, shown, verify(chain, service.head(session, association_id)), approved
    )


def check_json(row: MinutesCheck, approved: set[tuple[str | None, str | None]]) -> dict[str, Any]:
    return {
        "id": row.id,
        "path": row.path,
        "meeting_day": row.meeting_day.isoformat(),
        "body": row.body_code,
        "fileid": row.fileid,
        "etag": row.etag,
        "sha256": row.sha256,
        "approved": (row.fileid, row.etag) in approved,
        "error": row.error,
        "facts": row.facts,
        "findings": [
            {
                "code": f["code"],
                "params": f["params"],
                "text": finding_text(f["code"], f["params"], row.error),
            }
            for f in row.findings
        ],
        "checked_at": row.checked_at.isoformat(),
    }


def entry_json(entry: RegisterEntry) -> dict[str, Any]:
    """An entry as the API gives it: the fields its hash covers, the hash, the body's code."""
    fields = {**entry_fields(entry), "entry_hash": entry.entry_hash}
    fields["body"] = fields.pop("body_code")
    del fields["meeting_uid"]
    return fields


def chain_text(chain: ChainCheck) -> str:
    if chain.ok:
        verified: str = ngettext(
            "Chain verified: %(num)d entry, none altered.",
            "Chain verified: %(num)d entries, none altered.",
            chain.entries,
        )
        return verified
    return _(
        "Chain broken at entry %(seq)s: the register was altered outside Quorum.",
        seq=chain.broken_at or 0,
    )


@bp.get("")
@requires("member")
def index() -> ResponseReturnValue:
    with services().db.session() as session:
        association = current_association(session)
        view = load_view(session, association.id)
        return render_template(
            "pages/register.html",
            view=view,
            chain_text=chain_text(view.chain),
            finding_text=finding_text,
            via_label=via_label,
            is_officer=current_principal().role in ("officer", "admin"),
        )


@bp.post("/scan")
@requires("officer")
def scan() -> ResponseReturnValue:
    with services().db.session() as session:
        association_id = current_association(session).id
    try:
        done = minutes_cycle.run(services(), association_id, datetime.now(UTC))
    except (QuorumError, IntegrationError) as err:
        flash(_("The minutes could not be read: %(reason)s", reason=str(err)), "error")
        return redirect(url_for("register.index"))
    flash(
        _(
            "%(read)s PV read, %(approved)s signed PDF approved, %(tasks)s tasks created.",
            read=done.scan.read,
            approved=done.scan.approved,
            tasks=done.tasks.created,
        ),
        "ok",
    )
    if done.scan.changed:
        flash(
            _(
                "%(count)s PV changed since the last sync or while Quorum read them: they are "
                "read again, and a signed PDF approved, at the next scan.",
                count=done.scan.changed,
            ),
            "error",
        )
    for problem in done.tasks.errors:
        flash(problem, "error")
    return redirect(url_for("register.index"))


@bp.post("/<int:check_id>/approve")
@requires("officer")
def approve(check_id: int) -> ResponseReturnValue:
    with services().db.session() as session:
        association_id = current_association(session).id
    try:
        entry = service.approve(
            services(), association_id, check_id, current_principal().login, datetime.now(UTC)
        )
    except QuorumError as err:
        flash(_("The PV was not approved: %(reason)s", reason=err.message), "error")
        return redirect(url_for("register.index"))
    flash(_("PV approved: entry %(seq)s of the register.", seq=entry.seq), "ok")
    return redirect(url_for("register.index"))


def _export_entries() -> tuple[list[RegisterEntry], ChainCheck, str]:
    with services().db.session() as session:
        association = current_association(session)
        entries = service.entries(session, association.id)
        return entries, verify(entries, service.head(session, association.id)), association.name


@bp.get("/export.csv")
@requires("officer")
def export_csv() -> ResponseReturnValue:
    entries, _chain, _name = _export_entries()
    return Response(
        register_export.to_csv(entries, tz=display.timezone()),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="registre-deliberations.csv"'},
    )


@bp.get("/export.pdf")
@requires("officer")
def export_pdf() -> ResponseReturnValue:
    entries, chain, name = _export_entries()
    data = register_export.pdf_in(
        entries,
        chain,
        name=name,
        language=str(get_locale()),
        made_at=datetime.now(UTC),
        tz=display.timezone(),
    )
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="registre-deliberations.pdf"'},
    )
