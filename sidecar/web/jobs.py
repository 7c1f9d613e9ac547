"""Admin page of sync jobs: state, next run, last runs, and the running job's progress.

``register(app, csrf)`` wires this page, the JSON API (``api_jobs``) and the Nextcloud webhook
receiver (``webhooks``); the last two are CSRF-exempt (no cookie authentication), the page's forms
are not.
"""

from __future__ import annotations

import math

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from sidecar.errors import NotFound, QuorumError
from sidecar.services import jobs
from sidecar.storage.models import Source, SyncRun
from sidecar.web.access import requires
from sidecar.web.auth import current_association
from sidecar.web.context import services
from sidecar.web.error_texts import error_text

bp = Blueprint("jobs", __name__, url_prefix="/jobs")
REFRESH_SECONDS = 3  # while a job runs, the page reloads itself to move the progress bar


@bp.get("/")
@requires("admin")
def index() -> ResponseReturnValue:
    with services().db.session() as session:
        try:
            association = current_association(session)
        except NotFound:
            return render_template("pages/welcome.html")
        rows = [
            (jobs.view(j), jobs.recent_runs(session, j.id, 5))
            for j in jobs.list_jobs(session, association.id)
        ]
        running = list(
            session.scalars(
                select(SyncRun).where(SyncRun.outcome == "running").order_by(SyncRun.id.desc())
            )
        )
        sources = list(
            session.scalars(select(Source.name).where(Source.association_id == association.id))
        )
    refresh = REFRESH_SECONDS if running or any(v.state == "running" for v, _r in rows) else None
    return render_template(
        "pages/jobs.html", rows=rows, running=running, sources=sources, refresh=refresh
    )


@bp.post("/")
@requires("admin")
def create() -> ResponseReturnValue:
    form = request.form
    every, cron = form.get("every") or None, form.get("cron") or None
    try:
        with services().db.session() as session:
            association = current_association(session)
            source = jobs.source_by_name(session, association.id, form.get("source", ""))
            jobs.create_job(
                session, association, source, form.get("name", ""), every=every, cron=cron
            )
    except QuorumError as err:
        flash(error_text(err), "error")
    else:
        flash(_("Job created."), "ok")
    return redirect(url_for("jobs.index"))


@bp.post("/<int:job_id>/<any(pause, resume, run, remove):action>")
@requires("admin")
def act(job_id: int, action: str) -> ResponseReturnValue:
    try:
        with services().db.session() as session:
            found = jobs.find_job(session, current_association(session).id, job_id)
            if action == "pause":
                jobs.pause_job(found)
            elif action == "resume":
                jobs.resume_job(found)
            elif action == "run":
                jobs.mark_due(session, [found.id])
                source = found.source.name
            else:
                jobs.remove_job(session, found)
    except QuorumError as err:
        flash(err.message, "error")
    else:
        if action == "run":
            _flash_run_requested(source)
    return redirect(url_for("jobs.index"))


def _flash_run_requested(source: str) -> None:
    """Say when a job marked due will start: `quorum serve` and the WSGI entry point start the
    scheduler in their process unless QUORUM_SCHEDULER is off (then only a `quorum scheduler`
    elsewhere would pick it up)."""
    settings = services().settings
    if settings.scheduler:
        seconds = max(1, math.ceil(settings.scheduler_tick))
        flash(_("Sync requested: it starts within %(seconds)s seconds.", seconds=seconds), "ok")
        return
    flash(
        _(
            "Sync requested, but no scheduler runs in this process (QUORUM_SCHEDULER is off): "
            "it starts only if `quorum scheduler` runs elsewhere. Otherwise run "
            "`quorum sync %(source)s`.",
            source=source,
        ),
        "warn",
    )
