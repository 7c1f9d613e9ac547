"""The alerts cycle the scheduler runs: refresh the sharing audit when it is old, evaluate,
reconcile, plan, deliver (digests included).

The cycle is event-driven. Each association stores when its next cycle is due
(``associations.alerts_due_at``); a tick asks the database for the few associations whose time
has come, instead of doing bookkeeping for every association on every tick. The due time is
emptied (due at once) by a change (a sync run that changed the mirror, a settings change: see
:mod:`sidecar.storage.changes`) and otherwise set, after each cycle, to the first time threshold
the alerts depend on (:func:`next_due`): a delivery retry, a snooze ending, a digest period
turning, local midnight for the day-based rules, and at the latest ``alerts_interval``.

A cycle is claimed with one conditional UPDATE that moves the due time forward, so two
schedulers or workers never run the same trigger; a change that arrives while a cycle runs is
kept (the cycle's end only writes the next due time if nobody touched it meanwhile). Two
cycles at once would be harmless anyway: the outbox sends each message once.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from sidecar.alerts import outbox, service, share_audits
from sidecar.alerts.digest import period_start
from sidecar.alerts.send import Opener
from sidecar.context import Services
from sidecar.storage import Database
from sidecar.storage.changes import quiet
from sidecar.storage.leases import acquire_lease
from sidecar.storage.models import Alert, Association, Channel, Delivery, Source

log = logging.getLogger(__name__)
DUE_PAGE = 500  # associations read per look; the rest are read at the next look


@dataclass(frozen=True)
class CycleReport:
    association_id: int
    audited: bool
    report: service.RunReport


def take_slot(services: Services, name: str, every: timedelta, now: datetime) -> bool:
    """True once per ``every`` for ``name``, whichever process asks first."""

    holder = f"slot:{uuid.uuid4().hex}"
    return acquire_lease(services.db, name, holder, every.total_seconds(), now)


# --- when a cycle is due ----------------------------------------------------------------------


def mark_changed(db: Database, association_ids: Iterable[int]) -> None:
    """Make the next cycle of these associations due at once (their mirror or settings changed):
    an empty due time is due whatever the clock, and sorts first."""
    ids = sorted(set(association_ids))
    if not ids:
        return
    with db.session() as session:
        session.execute(
            update(Association)
            .where(Association.id.in_(ids), Association.alerts_due_at.is_not(None))
            .values(alerts_due_at=None)
        )


def due_associations(db: Database, now: datetime, limit: int = DUE_PAGE) -> list[int]:
    """Enabled associations whose cycle is due, longest waiting first (never run: first)."""
    return [association_id for association_id, _ in due_cycles(db, now, limit)]


def due_cycles(
    db: Database, now: datetime, limit: int = DUE_PAGE
) -> list[tuple[int, datetime | None]]:
    """Due cycles as (association, due time): the pair names one trigger."""
    query = (
        select(Association.id, Association.alerts_due_at)
        .where(
            Association.disabled_at.is_(None),
            or_(Association.alerts_due_at.is_(None), Association.alerts_due_at <= now),
        )
        .order_by(func.coalesce(Association.alerts_due_at, Association.created_at), Association.id)
        .limit(limit)
    )
    with db.session() as session:
        return [(association_id, due) for association_id, due in session.execute(query)]


def claim_cycle(
    db: Database, association_id: int, now: datetime, hold: timedelta
) -> datetime | None:
    """Take this association's due trigger; the returned token releases it (None: not ours).

    The due time moves to ``now + hold`` at once: if this process dies mid-cycle, the cycle is
    due again after ``hold``, as a crashed sync's claim expires after ``job_timeout``.
    """
    token = now + hold
    with db.session() as session:
        result = session.execute(
            update(Association)
            .where(
                Association.id == association_id,
                Association.disabled_at.is_(None),
                or_(Association.alerts_due_at.is_(None), Association.alerts_due_at <= now),
            )
            .values(alerts_due_at=token)
        )
        return token if int(result.rowcount) == 1 else None  # type: ignore[attr-defined]


def finish_cycle(
    db: Database, association_id: int, token: datetime, now: datetime, every: timedelta
) -> datetime:
    """Store the next due time, unless a change made the cycle due again meanwhile."""
    with db.session() as session:
        association = session.get(Association, association_id)
        following = next_due(session, association, now, every) if association else now + every
        session.execute(
            update(Association)
            .where(Association.id == association_id, Association.alerts_due_at == token)
            .values(alerts_due_at=following)
        )
    return following


def next_due(
    session: Session, association: Association, now: datetime, every: timedelta
) -> datetime:
    """The first time threshold the alerts of ``association`` depend on, at most ``every`` away."""
    tz = ZoneInfo(association.timezone)
    local = now.astimezone(tz)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    moments = [now + every, midnight]  # day-based rules ("10 days before") turn at midnight
    aid = association.id
    moments += _later(
        session,
        select(func.min(Delivery.next_attempt_at))
        .join(Alert, Alert.id == Delivery.alert_id)
        .where(
            Alert.association_id == aid, Delivery.state == "pending", Delivery.next_attempt_at > now
        ),
    )
    moments += _later(
        session,
        select(func.min(Alert.snoozed_until)).where(
            Alert.association_id == aid, Alert.state == "snoozed", Alert.snoozed_until > now
        ),
    )
    escalate = outbox.escalate_after(association)
    moments += [
        at + escalate
        for at in _later(
            session,
            select(func.min(Alert.opened_at)).where(
                Alert.association_id == aid, Alert.state == "open", Alert.opened_at > now - escalate
            ),
        )
    ]
    for channel in session.scalars(
        select(Channel).where(
            Channel.association_id == aid, Channel.kind == "digest", Channel.enabled.is_(True)
        )
    ):
        weekly = channel.config.get("period") == "weekly"
        moments.append(period_start(channel.config, now, tz) + timedelta(days=7 if weekly else 1))
    return min(m for m in moments if m > now)


def _later(session: Session, query) -> list[datetime]:  # type: ignore[no-untyped-def]
    found = session.scalar(query)
    return [found] if found is not None else []


# --- running cycles ---------------------------------------------------------------------------


def run_cycles(
    services: Services,
    now: datetime,
    *,
    changed: Iterable[int] = (),
    opener: Opener | None = None,
) -> list[CycleReport]:
    """One cycle for each association whose due time is crossed or whose mirror just changed."""
    mark_changed(services.db, changed)
    reports = []
    for association_id in due_associations(services.db, now):
        report = run_due_cycle(services, association_id, now, opener=opener)
        if report is not None:
            reports.append(report)
    return reports


def run_due_cycle(
    services: Services, association_id: int, now: datetime, *, opener: Opener | None = None
) -> CycleReport | None:
    """Claim the association's due cycle and run it; None when another process has it."""
    every = timedelta(seconds=services.settings.alerts_interval)
    token = claim_cycle(services.db, association_id, now, every)
    if token is None:
        return None
    try:
        with quiet():  # what the cycle itself writes is not a change that calls for a cycle
            return run_cycle(services, association_id, now, opener=opener)
    except Exception:  # one association's failure must not stop the others
        log.exception("alerts cycle of association %s failed", association_id)
        return None
    finally:
        finish_cycle(services.db, association_id, token, now, every)


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
