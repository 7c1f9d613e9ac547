"""Gather the rules' inputs for one association from the mirror and Quorum's own bookkeeping."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from sidecar.projection.shares import Finding
from sidecar.rules import RuleInputs, SyncHealth, UnreadableObject
from sidecar.services import dossiers as dossier_service
from sidecar.services import handover, register
from sidecar.services import meetings as meetings_service
from sidecar.storage.models import (
    Association,
    CalendarObjectRecord,
    Collection,
    Source,
    SyncJob,
    SyncRun,
)

RECENT_RUNS = 10


def sync_health(session: Session, association_id: int) -> list[SyncHealth]:
    """Each job with its source's state and how many of its latest runs failed in a row."""
    found = []
    for job in session.scalars(
        select(SyncJob).where(SyncJob.association_id == association_id).order_by(SyncJob.id)
    ):
        runs = list(
            session.scalars(
                select(SyncRun)
                .where(SyncRun.source_id == job.source_id, SyncRun.outcome != "running")
                .order_by(SyncRun.started_at.desc())
                .limit(RECENT_RUNS)
            )
        )
        failures = 0
        for run in runs:
            if run.outcome != "failed":
                break
            failures += 1
        found.append(
            SyncHealth(
                job=job.name,
                source=job.source.name,
                paused_reason=job.paused_reason if not job.enabled else None,
                auth_failed=job.source.status == "auth_failed",
                failures_in_a_row=failures,
                last_error=runs[0].error if runs else None,
            )
        )
    return found


def unreadable(session: Session, association_id: int) -> list[UnreadableObject]:
    rows = session.execute(
        select(CalendarObjectRecord, Collection.display_name)
        .join(Collection, CalendarObjectRecord.collection_id == Collection.id)
        .join(Source, Collection.source_id == Source.id)
        .where(Source.association_id == association_id, CalendarObjectRecord.error.is_not(None))
        .order_by(CalendarObjectRecord.id)
    )
    return [
        UnreadableObject(obj.id, name or "", obj.href, (obj.error or "")[:300])
        for obj, name in rows
    ]


def gather(
    session: Session,
    association: Association,
    now: datetime,
    findings: Sequence[Finding] = (),
    share_audit_error: str | None = None,
) -> RuleInputs:
    """Everything the rules read; the sharing audit's findings come from its cache."""
    today = now.astimezone(ZoneInfo(association.timezone)).date()
    dossiers = dossier_service.dossiers(session, association, today)
    return RuleInputs(
        now=now,
        meetings=tuple(meetings_service.list_meetings(session, association.id, now)),
        dossiers=tuple(dossiers),
        obligations=tuple(dossier_service.obligations(session, association, today, dossiers)),
        findings=tuple(findings),
        share_audit_error=share_audit_error,
        sync=tuple(sync_health(session, association.id)),
        unreadable=tuple(unreadable(session, association.id)),
        frozen_minutes=tuple(register.frozen(session, association.id)),
        handovers=tuple(handover.states(session, association.id)),
    )
