"""Alert lifecycle: open new, update while holding, resolve when cleared, reopen, ack, snooze.

:func:`reconcile` is idempotent: the same conditions at the same time change nothing the
second time. It starts by writing to the association's row, which makes concurrent
reconciliations of one association take turns (a row lock on PostgreSQL, the write lock on
SQLite) instead of racing; the unique (association, key) constraint is the backstop.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sidecar.rules import AlertCondition
from sidecar.storage.models import Alert, Association

OPEN, ACKNOWLEDGED, SNOOZED, RESOLVED = "open", "acknowledged", "snoozed", "resolved"
STATES = (OPEN, ACKNOWLEDGED, SNOOZED, RESOLVED)


@dataclass
class ReconcileReport:
    opened: list[str] = field(default_factory=list)
    reopened: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)


def lock_association(session: Session, association_id: int) -> None:
    """Serialise writers of one association for the rest of the transaction."""
    session.execute(
        update(Association).where(Association.id == association_id).values(id=Association.id)
    )


def reconcile(
    session: Session,
    association_id: int,
    conditions: Iterable[AlertCondition],
    now: datetime,
    *,
    unknown_rules: frozenset[str] = frozenset(),
) -> ReconcileReport:
    """Bring the stored alerts in line with the conditions that hold ``now``.

    Alerts of ``unknown_rules`` are left as they are: those rules were not evaluated this time
    (the sharing audit needs the network), and "not evaluated" must never read as "cleared".
    """
    lock_association(session, association_id)
    session.execute(  # "nothing to do" means something only after a check
        update(Association)
        .where(Association.id == association_id)
        .values(alerts_checked_at=now)
        .execution_options(synchronize_session=False)
    )
    report = ReconcileReport()
    stored = {
        a.key: a
        for a in session.scalars(select(Alert).where(Alert.association_id == association_id))
    }
    holding: set[str] = set()
    for cond in conditions:
        holding.add(cond.key)
        alert = stored.get(cond.key)
        if alert is None:
            if _insert(session, association_id, cond, now):
                report.opened.append(cond.key)
        elif alert.state == RESOLVED:
            _reopen(alert, cond, now)
            report.reopened.append(cond.key)
        elif _refresh(alert, cond, now):
            report.updated.append(cond.key)
    for key, alert in stored.items():
        if key not in holding and alert.state != RESOLVED and alert.rule not in unknown_rules:
            alert.state, alert.resolved_at, alert.snoozed_until = RESOLVED, now, None
            report.resolved.append(key)
    session.flush()
    return report


def _values(cond: AlertCondition) -> dict[str, object]:
    return {
        "rule": cond.rule,
        "severity": cond.severity,
        "subject": cond.subject,
        "params": dict(cond.params),
        "audience": {**asdict(cond.audience), "members": list(cond.audience.members)},
    }


def _insert(session: Session, association_id: int, cond: AlertCondition, now: datetime) -> bool:
    """Insert a new alert; False when another writer got there first (unique key)."""
    try:
        with session.begin_nested():
            session.add(
                Alert(
                    association_id=association_id,
                    key=cond.key,
                    state=OPEN,
                    episode=1,
                    first_seen=now,
                    last_seen=now,
                    opened_at=now,
                    **_values(cond),
                )
            )
    except IntegrityError:
        return False
    return True


def _reopen(alert: Alert, cond: AlertCondition, now: datetime) -> None:
    """The same problem again: a new episode, so people are told again, once."""
    for name, value in _values(cond).items():
        setattr(alert, name, value)
    alert.state, alert.episode, alert.opened_at = OPEN, alert.episode + 1, now
    alert.last_seen, alert.resolved_at = now, None
    alert.acknowledged_at = alert.acknowledged_by = alert.snoozed_until = None


def _refresh(alert: Alert, cond: AlertCondition, now: datetime) -> bool:
    """Keep params and severity current; wake a snoozed alert whose snooze ran out."""
    changed = False
    for name, value in _values(cond).items():
        if getattr(alert, name) != value:
            setattr(alert, name, value)
            changed = True
    if alert.state == SNOOZED and (alert.snoozed_until is None or alert.snoozed_until <= now):
        # Snoozing was an answer: the escalation clock starts again from the wake-up.
        alert.state, alert.snoozed_until, alert.opened_at = OPEN, None, now
        changed = True
    alert.last_seen = now
    return changed


def acknowledge(alert: Alert, by: str, now: datetime) -> None:
    """Someone is on it: no escalation, no more messages for this episode."""
    if alert.state == RESOLVED:
        return
    alert.state, alert.acknowledged_at, alert.acknowledged_by = ACKNOWLEDGED, now, by[:320]
    alert.snoozed_until = None


def snooze(alert: Alert, until: datetime, by: str) -> None:
    """Quiet until ``until``; the next reconciliation after that reopens it if it still holds."""
    if alert.state == RESOLVED:
        return
    alert.state, alert.snoozed_until, alert.acknowledged_by = SNOOZED, until, by[:320]
