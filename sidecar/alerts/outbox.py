"""The outbox: which messages an alert owes, claimed once, sent outside any transaction.

:func:`plan` inserts one :class:`Delivery` per (alert, channel, recipient, kind) that should
exist; the unique constraint means a rerun, a restart or a second process adds nothing.
:func:`claim` turns one pending row into "sending" with a conditional UPDATE: only the process
whose UPDATE changed the row sends it, and the row records who claimed it and when
(``claimed_by``, ``claimed_at``).

Delivery is exactly-once except in one window, and it is at-least-once there on purpose. A
process that claims a row and then dies (killed, machine lost) leaves it "sending"; after
``stale_after`` (:func:`stale_claim_after`, tied to the ``job_timeout`` setting) another process
takes it over and sends it. If the first process had in fact handed the message to the server
before dying, or was merely frozen longer than ``stale_after`` (a suspended VM, a stopped
container) and wakes up to finish, the message goes twice. A claim younger than ``stale_after``
is never taken over, whatever happens. Sending twice in that rare case beats never sending.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sidecar.alerts.channels import per_person, wants_resolved
from sidecar.alerts.lifecycle import OPEN, RESOLVED
from sidecar.alerts.routing import Roster, escalation_recipients, load_roster, recipients
from sidecar.config import Settings
from sidecar.rules import SEVERITIES
from sidecar.storage import Database
from sidecar.storage.models import Alert, Association, Channel, Delivery

MAX_ATTEMPTS = 5
MIN_STALE_CLAIM = timedelta(minutes=2)
ESCALATE_AFTER_DAYS = 3
RESOLVED_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Target:
    channel: Channel
    recipient: str
    language: str


def _alert_settings(association: Association) -> Mapping[str, Any]:
    found = (association.settings or {}).get("alerts") or {}
    return found if isinstance(found, Mapping) else {}


def escalate_after(association: Association) -> timedelta:
    try:
        days = int(_alert_settings(association).get("escalate_after_days", ESCALATE_AFTER_DAYS))
    except (TypeError, ValueError):
        days = ESCALATE_AFTER_DAYS
    return timedelta(days=days)


def _accepts(channel: Channel, alert: Alert) -> bool:
    """A channel may be limited to some topics and to a minimum severity."""
    topics = channel.config.get("topics") or []
    if topics and alert.audience.get("topic") not in topics:
        return False
    floor = channel.config.get("min_severity") or "low"
    rank = SEVERITIES.index(alert.severity) if alert.severity in SEVERITIES else 1
    return rank >= (SEVERITIES.index(floor) if floor in SEVERITIES else 0)


def targets(
    alert: Alert, channels: list[Channel], roster: Roster, language: str, *, escalation: bool
) -> list[Target]:
    """Where one message about ``alert`` goes."""
    people = (
        escalation_recipients(roster, alert.audience)
        if escalation
        else recipients(roster, alert.audience)
    )
    personal = bool(alert.audience.get("members"))
    found: list[Target] = []
    for channel in channels:
        if not _accepts(channel, alert):
            continue
        if per_person(channel.kind):
            found += [Target(channel, p.email, p.language) for p in people]
        elif not personal and not escalation:
            # A shared room or a bridge never sees one member's personal reminder.
            found.append(Target(channel, "", language))
    return found


def plan(session: Session, association: Association, now: datetime) -> int:
    """Insert the deliveries owed now; returns how many were added."""
    channels = list(
        session.scalars(
            select(Channel).where(
                Channel.association_id == association.id, Channel.enabled.is_(True)
            )
        )
    )
    if not channels:
        return 0
    roster = load_roster(session, association.id)
    existing = _existing(session, association.id)
    added = 0
    for alert in session.scalars(
        select(Alert).where(
            Alert.association_id == association.id,
            or_(
                Alert.state == OPEN,
                and_(Alert.state == RESOLVED, Alert.resolved_at >= now - RESOLVED_WINDOW),
            ),
        )
    ):
        for kind, found in _owed(alert, channels, roster, association, now, existing):
            for target in found:
                added += _insert_once(session, existing, alert, target, kind)
    return added


def _owed(
    alert: Alert,
    channels: list[Channel],
    roster: Roster,
    association: Association,
    now: datetime,
    existing: set[tuple[int, int, str, str]],
) -> list[tuple[str, list[Target]]]:
    language = association.language
    if alert.state == RESOLVED:
        opened = f"opened#{alert.episode}"
        told = [
            c for c in channels
            if wants_resolved(c.kind) and (alert.id, c.id, "", opened) in existing
        ]  # fmt: skip
        return [(f"resolved#{alert.episode}", [Target(c, "", language) for c in told])]
    owed = [
        (f"opened#{alert.episode}", targets(alert, channels, roster, language, escalation=False))
    ]
    if now - alert.opened_at >= escalate_after(association):
        escalated = targets(alert, channels, roster, language, escalation=True)
        owed.append((f"escalated#{alert.episode}", escalated))
    return owed


def _existing(session: Session, association_id: int) -> set[tuple[int, int, str, str]]:
    rows = session.execute(
        select(Delivery.alert_id, Delivery.channel_id, Delivery.recipient, Delivery.kind)
        .join(Alert, Delivery.alert_id == Alert.id)
        .where(Alert.association_id == association_id)
    )
    return {(a, c, r, k) for a, c, r, k in rows}


def _insert_once(
    session: Session,
    existing: set[tuple[int, int, str, str]],
    alert: Alert,
    target: Target,
    kind: str,
) -> int:
    key = (alert.id, target.channel.id, target.recipient, kind)
    if key in existing:
        return 0
    existing.add(key)
    try:
        with session.begin_nested():
            session.add(
                Delivery(
                    alert_id=alert.id,
                    channel_id=target.channel.id,
                    recipient=target.recipient,
                    kind=kind,
                    language=target.language,
                    state="pending",
                    attempts=0,
                    ref={},
                )
            )
    except IntegrityError:
        return 0  # another process planned it first: that one is the delivery
    return 1


def stale_claim_after(settings: Settings) -> timedelta:
    """How old a "sending" claim must be before another process may take it over.

    No send lasts longer than a sync run is allowed to (``job_timeout``), so an older claim
    belongs to a process that died; never less than :data:`MIN_STALE_CLAIM`.
    """
    return max(timedelta(seconds=settings.job_timeout), MIN_STALE_CLAIM)


def claimer_id() -> str:
    """Who claims: host, process and a random part (two senders in one process differ)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:200]


def _claimable(now: datetime, stale_after: timedelta):  # type: ignore[no-untyped-def]
    """Pending and due, or "sending" under a claim older than ``stale_after``."""
    return or_(
        and_(
            Delivery.state == "pending",
            or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now),
        ),
        and_(Delivery.state == "sending", Delivery.claimed_at < now - stale_after),
    )


def claim(
    db: Database, delivery_id: int, now: datetime, *, by: str, stale_after: timedelta
) -> bool:
    """Take one delivery for sending; True only for the one caller that changed the row."""
    with db.session() as session:
        result = session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id, _claimable(now, stale_after))
            .values(state="sending", claimed_at=now, claimed_by=by, attempts=Delivery.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)


def due(
    session: Session, association_id: int, now: datetime, stale_after: timedelta
) -> list[tuple[int, int]]:
    """(delivery id, channel id) of deliveries that may be claimed now, oldest first."""
    rows = session.execute(
        select(Delivery.id, Delivery.channel_id)
        .join(Channel, Delivery.channel_id == Channel.id)
        .where(
            Channel.association_id == association_id,
            Channel.enabled.is_(True),
            _claimable(now, stale_after),
        )
        .order_by(Delivery.id)
    )
    return [(d, c) for d, c in rows]


def backoff(attempts: int) -> timedelta:
    """1, 4, 16, 64 minutes...: a flaky server gets time, a dead one is given up on."""
    return timedelta(minutes=4 ** max(attempts - 1, 0))
