"""Admin page: the guided setup of a source.

``GET /admin/setup/<source id>`` reads the source (calendars' event names and attendees, the
folder tree), and shows a role proposed for every calendar and top folder with its evidence,
and the bodies its meetings show; the admin confirms or changes each role and applies. Nothing
is left without a role: a calendar nobody needs is set to "ignore" (not synced), visibly.
Applying is audited as ``admin.setup``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.errors import IntegrationError
from sidecar.errors import QuorumError
from sidecar.projection.grants import DEFAULT_GRANTS_FOLDER
from sidecar.projection.shares import DEFAULT_SENSITIVE
from sidecar.services.settings_check import (
    LANGUAGES,
    check_association,
    missing_folders,
    top_folders,
)
from sidecar.services.setup import Evidence
from sidecar.services.setup_apply import apply_setup, discover_and_propose
from sidecar.storage.models import Collection, FileRecord, Source
from sidecar.web.access import requires
from sidecar.web.auth import audit, current_association
from sidecar.web.context import services
from sidecar.web.error_texts import error_text

bp = Blueprint("setup", __name__, url_prefix="/admin/setup")

ROLE_LABELS = {
    "meetings": _l("Meetings of the bodies"),
    "deadlines": _l("Deadlines and to-dos"),
    "activities": _l("Activities (synced, not meetings)"),
    "ignore": _l("Ignore (not synced)"),
    "governance": _l("Governance (bodies' documents)"),
    "grants": _l("Grant dossiers"),
    "sensitive": _l("Treasury and sensitive files"),
    "communication": _l("Communication"),
    "documents": _l("Other documents"),
}


def _events_named(p: Mapping[str, object]) -> str:
    named: str = ngettext(
        "%(num)d event named “%(name)s”", "%(num)d events named “%(name)s”", _n(p), name=p["name"]
    )
    return named


def _n(params: Mapping[str, object], name: str = "count") -> int:
    value = params.get(name)
    return value if isinstance(value, int) else 0


# The evidence that counts something, in the plural form its count asks (« 1 tâche »,
# « 3 tâches »), keyed by the message the proposals carry.
_COUNTED: dict[str, Callable[[Mapping[str, object]], str]] = {
    "%(count)s to-dos": lambda p: ngettext("%(num)d to-do", "%(num)d to-dos", _n(p)),
    "also %(count)s events named like meetings": lambda p: ngettext(
        "also %(num)d event named like a meeting", "also %(num)d events named like meetings", _n(p)
    ),
    "%(count)s files whose names fit this role": lambda p: ngettext(
        "%(num)d file whose name fits this role", "%(num)d files whose names fit this role", _n(p)
    ),
    "%(count)s people invited to its meetings": lambda p: ngettext(
        "%(num)d person invited to its meetings", "%(num)d people invited to its meetings", _n(p)
    ),
    "%(count)s sub-folders named after a funder (%(names)s)": lambda p: ngettext(
        "%(num)d sub-folder named after a funder (%(names)s)",
        "%(num)d sub-folders named after a funder (%(names)s)",
        _n(p),
        names=p["names"],
    ),
    "%(count)s sub-folders named after a body (%(names)s)": lambda p: ngettext(
        "%(num)d sub-folder named after a body (%(names)s)",
        "%(num)d sub-folders named after a body (%(names)s)",
        _n(p),
        names=p["names"],
    ),
    "%(count)s events named “%(name)s”": _events_named,
    "%(count)s events named “%(name)s”, %(series)s of them recurring": lambda p: _(
        "%(events)s, %(recurring)s",
        events=_events_named(p),
        recurring=ngettext(
            "%(num)d of them recurring", "%(num)d of them recurring", _n(p, "series")
        ),
    ),
}


def _evidence(item: Evidence) -> str:
    counted = _COUNTED.get(item.message)
    if counted is not None:
        return str(counted(item.params))
    return str(_(item.message, **dict(item.params)))


def _source(db: Session, source_id: int) -> Source:
    source = db.get(Source, source_id)
    if source is None or source.association_id != current_association(db).id:
        abort(404)
    return source


@bp.get("/<int:source_id>")
@requires("admin")
def show(source_id: int) -> ResponseReturnValue:
    """The proposals, read live from the source (nothing is changed until applied)."""
    quorum = services()
    with quorum.db.session() as db:
        source = _source(db, source_id)
        try:
            proposal = discover_and_propose(
                db, source, quorum.vault, deadline=quorum.settings.http_timeout
            )
        except (IntegrationError, QuorumError) as err:
            text = err.message if isinstance(err, IntegrationError) else error_text(err)
            return render_template("pages/setup.html", source=source, error=text), 502
        return render_template(
            "pages/setup.html",
            source=source,
            proposal=proposal,
            labels=ROLE_LABELS,
            evidence=_evidence,
            error=None,
        )


@bp.post("/<int:source_id>")
@requires("admin")
def apply(source_id: int) -> ResponseReturnValue:
    """Apply the roles chosen in the form (each field is ``role:<kind>:<key>``)."""
    quorum = services()
    chosen = {k: v for k, v in request.form.items() if k.startswith("role:")}
    calendars = {k[len("role:calendar:") :]: v for k, v in chosen.items() if ":calendar:" in k}
    folders = {k[len("role:folder:") :]: v for k, v in chosen.items() if ":folder:" in k}
    try:
        with quorum.db.session() as db:
            source = _source(db, source_id)
            proposal = discover_and_propose(
                db, source, quorum.vault, deadline=quorum.settings.http_timeout
            )
            done = apply_setup(
                db,
                current_association(db),
                source,
                proposal,
                calendar_roles=calendars,
                folder_roles=folders,
                create_bodies=request.form.get("bodies") == "on",
            )
            name = source.name
    except QuorumError as err:
        flash(error_text(err), "error")
        return redirect(url_for("setup.show", source_id=source_id))
    except IntegrationError as err:
        flash(err.message, "error")
        return redirect(url_for("setup.show", source_id=source_id))
    audit("admin.setup", target=name, target_id=source_id, bodies=list(done.bodies_created))
    synced = sum(1 for role in done.calendars.values() if role != "ignore")
    flash(
        _(
            "Setup applied: %(synced)s, %(ignored)s, bodies created: %(bodies)s. The next sync "
            "reads everything with these roles.",
            synced=ngettext("%(num)d calendar synced", "%(num)d calendars synced", synced),
            ignored=ngettext("%(num)d ignored", "%(num)d ignored", len(done.calendars) - synced),
            bodies=", ".join(done.bodies_created) or "—",
        ),
        "ok",
    )
    return redirect(url_for("setup.show", source_id=source_id))


# --- the association's own settings -------------------------------------------------------

ASSOCIATION_FIELDS = ("name", "timezone", "language", "financial_year_end")


@bp.get("/association")
@requires("admin")
def association() -> ResponseReturnValue:
    """Name, time zone, language, financial year end, grants folder, sensitive folders."""
    with services().db.session() as db:
        return _association_page(db)


def _association_page(
    db: Session, status: int = 200, error: str | None = None, values: dict[str, str] | None = None
) -> ResponseReturnValue:
    found = current_association(db)
    current = {name: str(getattr(found, name)) for name in ASSOCIATION_FIELDS}
    grants, sensitive = _folders_in_force(found.settings or {})
    current["grants_folder"] = grants
    current["sensitive_folders"] = "\n".join(sensitive)
    return render_template(
        "pages/association_settings.html",
        values=current | (values or {}),
        languages=LANGUAGES,
        error=error,
    ), status


@bp.post("/association")
@requires("admin")
def save_association() -> ResponseReturnValue:
    """Check every value first (a wrong one is refused with the valid ones), then save."""
    form = {k: request.form.get(k, "").strip() for k in (*ASSOCIATION_FIELDS, "grants_folder")}
    folders = [
        line.strip().strip("/") + "/"
        for line in request.form.get("sensitive_folders", "").splitlines()
        if line.strip()
    ]
    settings_part: dict[str, object] = {
        "grants_folder": form.pop("grants_folder").strip("/") + "/",
        "sensitive_folders": folders,
    }
    with services().db.session() as db:
        found = current_association(db)
        merged = dict(found.settings or {}) | settings_part
        try:
            check_association({**{k: v for k, v in form.items() if v}, "settings": merged})
        except QuorumError as err:
            values = dict(form) | {"sensitive_folders": request.form.get("sensitive_folders", "")}
            return _association_page(db, 400, error_text(err), values)
        wanted = [str(settings_part["grants_folder"]), *folders]
        refused = _check_folders(db, found.id, found.settings or {}, wanted)
        if refused:
            values = dict(form) | {
                "grants_folder": request.form.get("grants_folder", ""),
                "sensitive_folders": request.form.get("sensitive_folders", ""),
            }
            return _association_page(db, 400, refused, values)
        for name, value in form.items():
            if value:
                setattr(found, name, value)
        found.settings = merged
    audit("admin.association.settings", target="association")
    flash(_("The association's settings are saved."), "ok")
    return redirect(url_for("setup.association"))


def _folders_in_force(settings: dict[str, object]) -> tuple[str, list[str]]:
    """The grants folder and the sensitive folders the association uses (defaults included)."""
    sensitive = settings.get("sensitive_folders") or list(DEFAULT_SENSITIVE)
    listed = [str(f) for f in sensitive] if isinstance(sensitive, list) else []
    return str(settings.get("grants_folder") or DEFAULT_GRANTS_FOLDER), listed


def _mirrored_folders(db: Session, association_id: int) -> list[str]:
    """The folders the last syncs mirrored from the association's enabled folder collections."""
    return list(
        db.scalars(
            select(FileRecord.path)
            .join(Collection, FileRecord.collection_id == Collection.id)
            .join(Source, Collection.source_id == Source.id)
            .where(
                Source.association_id == association_id,
                Collection.enabled.is_(True),
                FileRecord.is_folder.is_(True),
            )
        )
    )


def _check_folders(
    db: Session, association_id: int, before: dict[str, object], wanted: list[str]
) -> str | None:
    """Why a grants or sensitive folder the admin typed is refused (None: fine).

    A folder typed here must be one of the mirrored folders (case and accents aside, as the
    projection compares them); with nothing mirrored yet it is accepted with a notice. A folder
    already in force that the mirror lacks is only pointed out, so changing the name never
    stumbles on a default nobody typed.
    """
    mirrored = _mirrored_folders(db, association_id)
    if not mirrored:
        flash(
            _(
                "Nothing is mirrored from Nextcloud yet, so the folders could not be checked: "
                "come back after the first sync."
            ),
            "warn",
        )
        return None
    grants, sensitive = _folders_in_force(before)
    missing = missing_folders(wanted, mirrored)
    typed = [f for f in missing if f not in (grants, *sensitive)]
    tops = ", ".join(top_folders(mirrored))
    if typed:
        return str(
            _(
                "No folder “%(folder)s” in the copy of Nextcloud. Its top folders: %(folders)s.",
                folder=typed[0],
                folders=tops,
            )
        )
    if missing:
        flash(
            _(
                "Still set but absent from the copy of Nextcloud: %(missing)s. Its top "
                "folders: %(folders)s.",
                missing=", ".join(missing),
                folders=tops,
            ),
            "warn",
        )
    return None
