"""Admin page: the association's sources, and adding one that reads Nextcloud through AppAPI.

In app mode Quorum needs no app password: the admin names the Nextcloud account to read as,
Quorum stores the source and discovers its calendars and folders at once
(:mod:`sidecar.appapi.sources`). Outside app mode the form is not offered and a POST is refused
with what to do instead. Every addition is audited as ``admin.source.add``.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from integrations.errors import IntegrationError
from sidecar.appapi import sources as appapi_sources
from sidecar.services.user_admin import FieldError
from sidecar.web.access import requires
from sidecar.web.auth import audit, current_association
from sidecar.web.context import services
from sidecar.web.error_texts import error_text

bp = Blueprint("admin_sources", __name__, url_prefix="/admin/sources")


@bp.get("")
@requires("admin")
def index() -> ResponseReturnValue:
    return _page()


def _page(
    status: int = 200, errors: dict[str, str] | None = None, values: dict[str, str] | None = None
) -> ResponseReturnValue:
    quorum = services()
    with quorum.db.session() as db:
        rows = appapi_sources.sources(db, current_association(db).id)
        return render_template(
            "pages/admin_sources.html",
            sources=rows,
            app_mode=quorum.settings.mode == "appapi",
            nextcloud_url=quorum.settings.nextcloud_url,
            errors=errors or {},
            values=values or {},
        ), status


@bp.post("")
@requires("admin")
def add() -> ResponseReturnValue:
    """Add an AppAPI source reading as the chosen account, then discover what it offers."""
    quorum = services()
    name, nc_user = request.form.get("name", ""), request.form.get("nc_user", "")
    values = {"name": name, "nc_user": nc_user}
    try:
        with quorum.db.session() as db:
            added = appapi_sources.add_and_discover(
                db, quorum.settings, quorum.vault, current_association(db), name, nc_user
            )
    except appapi_sources.NotAppMode as err:
        return _page(400, {"form": error_text(err)}, values)
    except FieldError as err:
        return _page(400, {err.field: error_text(err)}, values)
    except IntegrationError as err:  # the transaction dropped the source: nothing half-added
        text = _(
            "Nextcloud did not let Quorum read as %(user)s: %(reason)s",
            user=nc_user,
            reason=err.message,
        )
        return _page(400, {"nc_user": text}, values)
    audit("admin.source.add", target=added.name, target_id=added.source_id, nc_user=nc_user)
    found = added.discovery
    flash(
        _(
            "Source %(name)s added: %(calendars)s calendars, %(folders)s top folders.",
            name=added.name,
            calendars=len(found.calendars),
            folders=len(found.folders),
        ),
        "ok",
    )
    flash(
        _(
            "Sync job %(job)s created: it syncs the source every 15 minutes (Sync jobs page).",
            job=added.job,
        ),
        "ok",
    )
    # straight to the guided setup: every calendar and folder gets a role, none is left silent
    return redirect(url_for("setup.show", source_id=added.source_id))


@bp.post("/<int:source_id>/password")
@requires("admin")
def change_password(source_id: int) -> ResponseReturnValue:
    """Replace a source's app password, checked by connecting: a refused one changes nothing."""
    from sidecar.errors import QuorumError
    from sidecar.services import sources as sources_service
    from sidecar.storage.models import Source
    from sidecar.sync.connection import connect

    quorum = services()
    password = request.form.get("password", "")
    try:
        with quorum.db.session() as db:
            source = db.get(Source, source_id)
            if source is None or source.association_id != current_association(db).id:
                return _page(404, {"form": _("No such source.")})
            sources_service.update_source(
                db,
                quorum.vault,
                source,
                password=password,
                allow_private=quorum.settings.allow_private_addresses,
            )
            conn = connect(source, quorum.vault, deadline=quorum.settings.http_timeout)
            try:
                sources_service.record_discovery(db, source, sources_service.probe(conn))
            finally:
                conn.close()
            name = source.name
    except QuorumError as err:
        return _page(400, {"form": error_text(err)})
    except IntegrationError as err:  # the transaction dropped the change: the old one stays
        return _page(400, {"form": _("Nothing changed: %(reason)s", reason=err.message)})
    audit("admin.source.password", target=name, target_id=source_id)
    flash(_("New app password of %(name)s saved: Nextcloud accepted it.", name=name), "ok")
    return redirect(url_for("admin_sources.index"))
