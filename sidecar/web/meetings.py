"""Meetings pages: the list (upcoming or past, by body) and one meeting's checklist."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from integrations.errors import IntegrationError
from sidecar.errors import NotFound, QuorumError
from sidecar.formatting import whole_number
from sidecar.services import actions as actions_service
from sidecar.services import jobs
from sidecar.services import meetings as service
from sidecar.services import prepare as prepare_service
from sidecar.storage.kept import Kept
from sidecar.storage.models import Source
from sidecar.storage.read import by_fingerprint, load_bodies
from sidecar.sync.runner import RunOptions
from sidecar.web.access import requires
from sidecar.web.auth import current_association, visible_bodies
from sidecar.web.context import services
from sidecar.web.glance import glances

bp = Blueprint("meetings", __name__, url_prefix="/meetings")
log = logging.getLogger(__name__)
# A person is waiting on the page: the whole sync must fit in a short time.
PREPARE_SYNC_OPTIONS = RunOptions(deadline=15.0, run_deadline=20.0)
# Built once: a meeting's page reads it on every request (building a statement costs about as
# much as running it on PostgreSQL).
_BASE_URL = (
    select(Source.base_url)
    .where(Source.association_id == bindparam("association_id"))
    .order_by(Source.id)
)


#: The sources' addresses are among the read models' inputs: kept per fingerprint.
_BASE_URLS: Kept[tuple[Any, ...], str | None] = Kept(64)


def _nextcloud_url(session: Session, association_id: int) -> str | None:
    """Base URL of the association's first source, for ``/index.php/f/<fileid>`` links (read
    once per process and fingerprint, after the meeting's own read made it known)."""

    def read() -> str | None:
        found = session.scalar(_BASE_URL, {"association_id": association_id})
        return found.rstrip("/") if found else None

    return by_fingerprint(session, association_id, _BASE_URLS, ("nextcloud",), read)


@bp.get("")
@requires("member")
def index() -> ResponseReturnValue:
    now = datetime.now(UTC)
    period = "past" if request.args.get("when") == "past" else "upcoming"
    body = request.args.get("body") or None
    page = page_number(request.args.get("page"))
    with services().db.session() as session:
        try:
            association = current_association(session)
        except NotFound:
            return redirect(url_for("overview.index"))
        visible = visible_bodies(session)
        found = service.list_summaries(
            session,
            association.id,
            now,
            body=body,
            visible=visible,
            period=period,
            limit=PAGE_SIZE + 1,  # one more: is there a next page?
            offset=(page - 1) * PAGE_SIZE,
        )
        bodies = load_bodies(session, association.id)
        tz = association.timezone
    return render_template(
        "pages/meetings.html",
        meetings=glances(found[:PAGE_SIZE], now),
        bodies=[b for b in bodies if visible is None or b.code in visible],
        body=body,
        period=period,
        tz=tz,
        page=page,
        more=len(found) > PAGE_SIZE,
        unlinked=visible is not None and not visible,
    )


PAGE_SIZE = 20


def page_number(text: str | None) -> int:
    """A page number from the query string: 1 when missing or not a positive number."""
    return whole_number(text, 1, 99_999) or 1


@bp.get("/<int:meeting_id>")
@requires("member")
def show(meeting_id: int) -> ResponseReturnValue:
    now = datetime.now(UTC)
    with services().db.session() as session:
        try:
            association = current_association(session)
            meeting = service.get_meeting(session, association.id, meeting_id, now)
        except NotFound:
            abort(404)
        visible = visible_bodies(session)
        if visible is not None and meeting.body.code not in visible:
            abort(404)  # a member sees their own bodies' meetings only
        context = {
            "meeting": meeting,
            "tz": association.timezone,
            "nextcloud": _nextcloud_url(session, association.id),
            "bodies": load_bodies(session, association.id),
            # the readiness of a meeting includes what the previous one decided and is not done
            "previous_actions": actions_service.open_from_previous(
                session, association.id, meeting
            ),
        }
        return render_template("pages/meeting.html", **context)


@bp.post("/<int:meeting_id>/classify")
@requires("admin")
def classify(meeting_id: int) -> ResponseReturnValue:
    """An admin says: this occurrence (or series) is not a meeting, or belongs to another body."""
    now = datetime.now(UTC)
    choice = request.form.get("body", "")
    whole_series = request.form.get("scope") == "series"
    with services().db.session() as session:
        try:
            association = current_association(session)
            meeting = service.get_meeting(session, association.id, meeting_id, now)
        except NotFound:
            abort(404)
        service.set_override(
            session,
            association.id,
            meeting.uid,
            "" if whole_series else meeting.recurrence_id,
            body_id=whole_number(choice),
            not_a_meeting=choice == "none",
        )
    flash(gettext("Classification saved."), "ok")
    if choice == "none":
        return redirect(url_for("meetings.index"))
    return redirect(url_for("meetings.show", meeting_id=meeting_id))


@bp.post("/<int:meeting_id>/prepare")
@requires("officer")
def prepare(meeting_id: int) -> ResponseReturnValue:
    """Create the meeting's folder in Nextcloud with a draft agenda (never overwriting)."""
    now = datetime.now(UTC)
    with services().db.session() as session:
        try:
            association = current_association(session)
            meeting = service.get_meeting(session, association.id, meeting_id, now)
        except NotFound:
            abort(404)
        try:
            done = prepare_service.prepare_meeting(
                session, association, meeting, services().vault, now.date()
            )
            source_id = prepare_service.files_source(session, association.id).id
        except (QuorumError, IntegrationError) as err:
            flash(gettext("Nothing was prepared: %(reason)s", reason=err.message), "error")
            return redirect(url_for("meetings.show", meeting_id=meeting_id))
    synced = done.agenda_created and _sync_now(source_id)
    flash(prepared_message(done, synced), "ok" if done.agenda_created else "warn")
    return redirect(url_for("meetings.show", meeting_id=meeting_id))


def _sync_now(source_id: int) -> bool:
    """Sync the source at once, so the page shows the new agenda; False if that failed (the
    next scheduled sync will bring it)."""
    try:
        report = jobs.sync_source(
            services().db, services().vault, source_id, options=PREPARE_SYNC_OPTIONS
        )
    except (QuorumError, IntegrationError):
        log.warning("the sync after preparing a meeting failed", exc_info=True)
        return False
    return report.outcome in ("ok", "partial")


def prepared_message(done: prepare_service.Prepared, synced: bool = False) -> str:
    """What preparing did, in the user's language."""
    if done.agenda_created and synced:
        return str(gettext("The meeting's folder is ready with a draft agenda, shown below."))
    if done.agenda_created:
        return str(
            gettext(
                "Folder %(folder)s is ready with a draft agenda (%(path)s). It will show as present "
                "after the next sync.",
                folder=done.folder,
                path=done.agenda_path,
            )
        )
    return str(
        gettext(
            "An agenda already exists at %(path)s: nothing was overwritten.",
            path=done.agenda_path,
        )
    )


@bp.post("/<int:meeting_id>/proxies")
@requires("officer")
def add_proxy(meeting_id: int) -> ResponseReturnValue:
    """Record a paper proxy (pouvoir) from one member of the body to another."""
    now = datetime.now(UTC)
    giver, holder = request.form.get("giver", ""), request.form.get("holder", "")
    with services().db.session() as session:
        try:
            association = current_association(session)
            meeting = service.get_meeting(session, association.id, meeting_id, now)
        except NotFound:
            abort(404)
        problem = service.proxy_problem(meeting, giver, holder)
        if problem is None:
            service.add_proxy(session, association.id, meeting, giver, holder)
    if problem is not None:
        flash(proxy_form_error(problem), "error")
    else:
        flash(gettext("Proxy recorded."), "ok")
    return redirect(url_for("meetings.show", meeting_id=meeting_id) + "#proxies-title")


@bp.post("/<int:meeting_id>/proxies/remove")
@requires("officer")
def remove_proxy(meeting_id: int) -> ResponseReturnValue:
    """Remove a proxy entered by hand (proxies from the calendar stay where they are)."""
    now = datetime.now(UTC)
    with services().db.session() as session:
        try:
            association = current_association(session)
            meeting = service.get_meeting(session, association.id, meeting_id, now)
        except NotFound:
            abort(404)
        removed = service.remove_proxy(
            session, association.id, meeting, request.form.get("giver", "")
        )
    flash(gettext("Proxy removed.") if removed else gettext("No such proxy."), "ok")
    return redirect(url_for("meetings.show", meeting_id=meeting_id) + "#proxies-title")


def proxy_form_error(problem: str) -> str:
    """Why a proxy could not be recorded, and what to do."""
    labels: dict[str, str] = {
        "missing": gettext("Choose both the member giving the proxy and the one holding it."),
        "same": gettext("A member cannot give a proxy to themselves: choose another holder."),
        "not_member": gettext("Both must be members of this body: choose them from the lists."),
    }
    return labels.get(problem, problem)
