"""Send what the outbox holds: claim, render, send outside any transaction, record the outcome.

Transient errors are retried with backoff up to :data:`~.outbox.MAX_ATTEMPTS`; a permanent
error disables the channel (``disabled_reason`` is what the admin sees) unless it concerns one
recipient only, and a 412 on a todo a person edited is recorded as ``edited`` and left alone.

A pass is bounded: a channel that fails transiently or answers late (a webhook that holds its
answer, a mail server that stalls) gets no more messages in this pass — they stay pending for
the next one, instead of each waiting out the same timeout — and no new message is claimed
once the pass has run :data:`PASS_BUDGET` seconds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sidecar.alerts import links as alert_links
from sidecar.alerts import messages
from sidecar.alerts.channels import (
    EditedMeanwhile,
    Message,
    Recipient,
    Transport,
    TransportError,
    open_transport,
)
from sidecar.alerts.outbox import (
    MAX_ATTEMPTS,
    backoff,
    claim,
    claimer_id,
    due,
    stale_claim_after,
)
from sidecar.context import Services
from sidecar.storage.models import Alert, Association, Channel, Delivery, Member

log = logging.getLogger(__name__)
Opener = Callable[[Session, Channel, Any], Transport]
DEFAULT_BASE_URL = "http://127.0.0.1:5000"
PASS_BUDGET = 120.0  # seconds of sending per pass; what is left waits for the next pass
SLOW_SEND = 10.0  # a send that took longer holds its channel for the rest of the pass


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    edited: int = 0
    updated: int = 0  # calendar todos rewritten while their alert holds
    digests: int = 0
    disabled: list[str] = field(default_factory=list)


def base_url(association: Association) -> str:
    alerts = (association.settings or {}).get("alerts") or {}
    return (
        str(alerts.get("public_url") or DEFAULT_BASE_URL)
        if isinstance(alerts, dict)
        else DEFAULT_BASE_URL
    )


def find_recipient(
    session: Session, association_id: int, email: str, language: str
) -> Recipient | None:
    if not email:
        return None
    member = session.scalar(
        select(Member).where(
            Member.association_id == association_id, func.lower(Member.email) == email.lower()
        )
    )
    if member is None:
        return Recipient(email, "", language)
    return Recipient(member.email.lower(), member.name, member.language, member.nc_user)


def due_day(alert: Alert) -> str:
    """The day an alert's problem must be fixed by (ISO), or "" when it has none."""
    params = alert.params or {}
    return str(params.get("due") or params.get("deadline") or params.get("date") or "")[:10]


def build_message(
    session: Session, services: Services, delivery: Delivery, alert: Alert
) -> Message:
    """Render ``delivery`` in its recipient's language, with signed links for that person."""
    association = session.get(Association, alert.association_id)
    assert association is not None
    secret = alert_links.link_secret(services.settings.secret_key, services.settings.data_dir)
    by = delivery.recipient or f"channel:{delivery.channel_id}"
    data: dict[str, Any] = {"episode": alert.episode, "alert_id": alert.id, "due": due_day(alert)}
    if delivery.kind.startswith("resolved#"):
        opened = session.scalar(
            select(Delivery).where(
                Delivery.alert_id == alert.id,
                Delivery.channel_id == delivery.channel_id,
                Delivery.recipient == delivery.recipient,
                Delivery.kind == f"opened#{alert.episode}",
            )
        )
        data["opened"] = dict(opened.ref) if opened is not None else {}
    return messages.render(
        key=alert.key,
        rule=alert.rule,
        severity=alert.severity,
        kind=delivery.kind.split("#", 1)[0],
        params=alert.params,
        language=delivery.language,
        links=alert_links.links(base_url(association), secret, alert.id, by),
        data=data,
    )


class Sender:
    """One delivery pass for one association; transports are opened once per channel.

    Every claim records ``holder``; a claim older than ``stale_after`` may be taken over.
    """

    def __init__(
        self,
        services: Services,
        association_id: int,
        opener: Opener | None = None,
        *,
        holder: str | None = None,
    ):
        settings = services.settings
        self.services, self.association_id = services, association_id
        self.opener: Opener = opener or partial(
            open_transport, allow_private=settings.allow_private_addresses
        )
        self.holder = holder or claimer_id()
        self.stale_after = stale_claim_after(settings)
        self.transports: dict[int, Transport] = {}
        self.disabled: set[int] = set()  # channels disabled during this pass
        self.held: set[int] = set()  # channels that failed or answered late: next pass
        self.started = time.monotonic()
        self.report = SendReport()

    def open_for(self, channel_id: int) -> bool:
        """May this pass still send through the channel?"""
        if channel_id in self.disabled or channel_id in self.held:
            return False
        return time.monotonic() - self.started < PASS_BUDGET

    def close(self) -> None:
        for transport in self.transports.values():
            transport.close()
        self.transports.clear()

    def claim(self, delivery_id: int, now: datetime) -> bool:
        """Take one delivery for this pass (see :func:`~.outbox.claim`)."""
        db = self.services.db
        return claim(db, delivery_id, now, by=self.holder, stale_after=self.stale_after)

    def due(self, session: Session, now: datetime) -> list[tuple[int, int]]:
        return due(session, self.association_id, now, self.stale_after)

    def run(self, now: datetime) -> SendReport:
        with self.services.db.session() as session:
            pending = self.due(session, now)
            kinds = {c.id: c.kind for c in session.scalars(select(Channel))}
        for delivery_id, channel_id in pending:
            if kinds.get(channel_id) == "digest" or not self.open_for(channel_id):
                continue  # digests are gathered by send_digests at the end of their period
            if self.claim(delivery_id, now):
                self._send_one(delivery_id, now)
        return self.report

    def _transport(self, session: Session, channel: Channel) -> Transport:
        if channel.id not in self.transports:
            self.transports[channel.id] = self.opener(session, channel, self.services.vault)
        return self.transports[channel.id]

    def _send_one(self, delivery_id: int, now: datetime) -> None:
        with self.services.db.session() as session:
            delivery = session.get(Delivery, delivery_id)
            assert delivery is not None
            alert = session.get(Alert, delivery.alert_id)
            channel = session.get(Channel, delivery.channel_id)
            assert alert is not None and channel is not None
            try:
                transport = self._transport(session, channel)
            except TransportError as err:
                self._failed(session, delivery, channel, err, now)
                return
            message = build_message(session, self.services, delivery, alert)
            channel_id = channel.id
            recipient = find_recipient(
                session, self.association_id, delivery.recipient, delivery.language
            )
        # The network call happens with no transaction open: no lock is held while we wait.
        began = time.monotonic()
        try:
            ref = transport.send(message, recipient)
        except TransportError as err:
            with self.services.db.session() as session:
                delivery, channel = _reload(session, delivery_id)
                self._failed(session, delivery, channel, err, now)
            return
        if ref.get("unconfirmed") or time.monotonic() - began > SLOW_SEND:
            self.held.add(channel_id)
        with self.services.db.session() as session:
            delivery, _ = _reload(session, delivery_id)
            delivery.state, delivery.sent_at, delivery.ref, delivery.error = "sent", now, ref, None
        self.report.sent += 1

    def _failed(
        self,
        session: Session,
        delivery: Delivery,
        channel: Channel,
        err: TransportError,
        now: datetime,
    ) -> None:
        delivery.error = err.message[:2000]
        if isinstance(err, EditedMeanwhile):
            delivery.state = "edited"
            self.report.edited += 1
        elif err.transient and delivery.attempts < MAX_ATTEMPTS:
            delivery.state, delivery.next_attempt_at = "pending", now + backoff(delivery.attempts)
            self.report.retrying += 1
            if not err.recipient_only:  # the channel itself is down or slow
                self.held.add(channel.id)
        else:
            delivery.state = "failed"
            self.report.failed += 1
            if not err.recipient_only and not err.transient:
                channel.enabled, channel.disabled_reason = False, err.message[:2000]
                self.disabled.add(channel.id)
                self.report.disabled.append(channel.name)
        log.warning("alert delivery %s via %s: %s", delivery.id, channel.name, err.message)


def _reload(session: Session, delivery_id: int) -> tuple[Delivery, Channel]:
    delivery = session.get(Delivery, delivery_id)
    assert delivery is not None
    channel = session.get(Channel, delivery.channel_id)
    assert channel is not None
    return delivery, channel
