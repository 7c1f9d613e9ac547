"""The alerts cycle the scheduler runs: refresh the sharing audit when it is old, evaluate,
reconcile, plan, deliver (digests included).

Per association, a cycle runs at most every ``alerts_interval`` seconds, and right away after a
sync run that changed something. "At most every" is decided in the database (a lease row per
association taken with a fresh holder, so it is granted only once it has expired): several
schedulers agree without talking. Two cycles at once are harmless anyway; the outbox sends
each message once.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from sidecar.alerts import service, share_audits
from sidecar.alerts.send import Opener
from sidecar.context import Services
from sidecar.storage.leases import acquire_lease
from sidecar.storage.models import Association, Source

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CycleReport:
    association_id: int
    audited: bool
    report: service.RunReport


def take_slot(services: Services, name: str, every: timedelta, now: datetime) -> bool:
    """True once per ``every`` for ``name``, whichever process asks first."""

    holder = f"slot:{uuid.uuid4().hex}"
    return acquire_lease(services.db, name, holder, every.total_seconds(), now)


def run_cycles(
    services: Services,
    now: datetime,
    *,
    changed: Iterable[int] = (),
    opener: Opener | None = None,
) -> list[CycleReport]:
    """One cycle for each association whose interval is over or whose mirror just changed."""
    forced = set(changed)
    every = timedelta(seconds=services.settings.alerts_interval)
    with services.db.session() as session:
        ids = list(session.scalars(select(Association.id).order_by(Association.id)))
    reports = []
    for association_id in ids:
        slot = take_slot(services, f"alerts:{association_id}", every, now)
        if not slot and association_id not in forced:
            continue
        try:
            reports.append(run_cycle(services, association_id, now, opener=opener))
        except Exception:  # one association's failure must not stop the others
            log.exception("alerts cycle of association %s failed", association_id)
    return reports


def run_cycle(
    services: Services, association_id: int, now: datetime, *, opener: Opener | None = None
) -> CycleReport:
    """Refresh the sharing audit if it is due, then evaluate, reconcile and deliver."""
    name = f"share-audit:{association_id}"
    audited = _may_audit(services, association_id, now) and take_slot(
        services, name, share_audits.REFRESH_EVERY, now
    )
    if audited:
        refresh_audit(services, association_id, now)
    if _may_audit(services, association_id, now):
        read_minutes(services, association_id, now)
    report = service.run(services, association_id, now, opener=opener)
    return CycleReport(association_id, audited, report)


def _may_audit(services: Services, association_id: int, now: datetime) -> bool:
    """No audit while a server refused the password (no retry loop on a 401, see docs/pitfalls.md)
    or asked to wait (Retry-After): it waits for the next sync that works."""
    with services.db.session() as session:
        blocked = session.scalar(
            select(Source.id).where(
                Source.association_id == association_id,
                or_(Source.status == "auth_failed", Source.retry_after > now),
            )
        )
    return blocked is None


def read_minutes(services: Services, association_id: int, now: datetime) -> None:
    """Read the PVs that changed, write their actions as tasks, open due handovers (issue 18),
    so the rules see the register as it is; a failure is logged, the alerts still run."""
    from sidecar.services import minutes_cycle

    try:
        minutes_cycle.run(services, association_id, now)
    except Exception:
        log.exception("reading the minutes of association %s failed", association_id)


def refresh_audit(services: Services, association_id: int, now: datetime) -> None:
    with services.db.session() as session:
        association = session.get(Association, association_id)
        if association is None:
            return
        audit = share_audits.refresh(session, association, services.vault, now)
    if audit.error:
        log.warning("sharing audit of association %s failed: %s", association_id, audit.error)
