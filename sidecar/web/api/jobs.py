"""JSON API for sync jobs: ``/api/v1/jobs`` (list, create, show, pause, resume, run, delete, runs)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from sidecar.errors import QuorumError
from sidecar.formatting import whole_number
from sidecar.services import jobs
from sidecar.storage.models import SyncJob, SyncRun
from sidecar.web.access import requires
from sidecar.web.auth import current_association
from sidecar.web.context import services

bp = Blueprint("api_jobs", __name__, url_prefix="/api/v1/jobs")


def _job(session: Session, job_id: int) -> SyncJob:
    association = current_association(session)
    return jobs.find_job(session, association.id, job_id)


def run_dict(run: SyncRun) -> dict[str, Any]:
    """A run as the API and the admin page's refresh show it."""
    return {
        "id": run.id,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "outcome": run.outcome,
        "added": run.added,
        "changed": run.changed,
        "removed": run.removed,
        "requests": run.requests,
        "error": run.error,
        "progress": {
            "done": run.progress_done,
            "total": run.progress_total,
            "current": (run.details or {}).get("current"),
        },
    }


@bp.get("")
@requires("admin")
def list_jobs() -> ResponseReturnValue:
    with services().db.session() as session:
        association = current_association(session)
        return jsonify([jobs.view(j).as_dict() for j in jobs.list_jobs(session, association.id)])


@bp.post("")
@requires("admin")
def create_job() -> ResponseReturnValue:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("name"), str):
        raise QuorumError('Send JSON: {"name": ..., "source": ..., "every": "15m" | "cron": ...}.')
    with services().db.session() as session:
        association = current_association(session)
        source = jobs.source_by_name(session, association.id, str(body.get("source", "")))
        created = jobs.create_job(
            session,
            association,
            source,
            body["name"],
            every=body.get("every"),
            cron=body.get("cron"),
        )
        return jsonify(jobs.view(created).as_dict()), 201


@bp.get("/<int:job_id>")
@requires("admin")
def show_job(job_id: int) -> ResponseReturnValue:
    with services().db.session() as session:
        return jsonify(jobs.view(_job(session, job_id)).as_dict())


@bp.post("/<int:job_id>/<any(pause, resume, run):action>")
@requires("admin")
def act(job_id: int, action: str) -> ResponseReturnValue:
    """Pause, resume, or make due now (the scheduler runs it within seconds: 202)."""
    with services().db.session() as session:
        found = _job(session, job_id)
        if action == "pause":
            jobs.pause_job(found)
        elif action == "resume":
            jobs.resume_job(found)
        else:
            jobs.mark_due(session, [found.id])
            session.refresh(found)
        return jsonify(jobs.view(found).as_dict()), 202 if action == "run" else 200


@bp.delete("/<int:job_id>")
@requires("admin")
def delete_job(job_id: int) -> ResponseReturnValue:
    with services().db.session() as session:
        jobs.remove_job(session, _job(session, job_id))
    return "", 204


@bp.get("/<int:job_id>/runs")
@requires("admin")
def job_runs(job_id: int) -> ResponseReturnValue:
    limit = whole_number(request.args.get("limit"), 1, 200) or 20
    with services().db.session() as session:
        found = _job(session, job_id)
        return jsonify([run_dict(r) for r in jobs.recent_runs(session, found.id, limit)])
