"""The alerts use cases: run (evaluate, reconcile, plan, send), act on an alert, test a channel.

Called by the CLI, the scheduler and the web views; they pass a clock so tests control time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sidecar.alerts import lifecycle, links, messages, outbox, share_audits
from sidecar.alerts.channels import (
    KINDS,
    Recipient,
    TransportError,
    check_channel_url,
    open_transport,
)
from sidecar.alerts.delivery import deliver
from sidecar.alerts.inputs import gather
from sidecar.alerts.lifecycle import ReconcileReport
from sidecar.alerts.send import Opener, SendReport
from sidecar.context import Services
from sidecar.errors import NotFound, QuorumError
from sidecar.rules import evaluate
from sidecar.security.vault import Vault
from sidecar.storage.models import Alert, Association, Channel, UsedActionLink

SNOOZE = timedelta(days=7)
__all__ = ["RunReport", "TransportError", "act", "add_channel", "run", "test_channel"]


@dataclass
class RunReport:
    reconciled: ReconcileReport
    planned: int
    sent: SendReport


def reconcile_association(
    services: Services, association_id: int, now: datetime
) -> tuple[ReconcileReport, int]:
    """Evaluate the rules and bring alerts and the outbox up to date, in one transaction.

    Share findings come from the cached audit; with no audit that ever worked, open share
    alerts stay as they are (not evaluated is not cleared).
    """
    with services.db.session() as session:
        lifecycle.lock_association(session, association_id)
        association = session.get(Association, association_id)
        if association is None:
            raise NotFound(
                f"No association #{association_id}.",
                code="association.id_unknown",
                association_id=association_id,
            )
        audit = share_audits.cached(session, association_id)
        inputs = gather(session, association, now, audit.findings or (), audit.error)
        conditions = evaluate(inputs, association.settings, now, ZoneInfo(association.timezone))
        unknown = frozenset({"risky_share"}) if audit.findings is None else frozenset()
        report = lifecycle.reconcile(
            session, association_id, conditions, now, unknown_rules=unknown
        )
        planned = outbox.plan(session, association, now)
    return report, planned


def run(
    services: Services,
    association_id: int,
    now: datetime,
    *,
    send: bool = True,
    opener: Opener | None = None,
) -> RunReport:
    """``quorum alerts run``: evaluate, reconcile, plan, then send outside the transaction."""
    reconciled, planned = reconcile_association(services, association_id, now)
    sent = deliver(services, association_id, now, opener=opener) if send else SendReport()
    return RunReport(reconciled, planned, sent)


def find_alert(session: Session, association_id: int, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None or alert.association_id != association_id:
        raise NotFound(f"No alert #{alert_id}.", code="alert.unknown", alert_id=alert_id)
    return alert


def act(session: Session, alert: Alert, action: str, by: str, now: datetime) -> None:
    """Acknowledge, or snooze for a week."""
    if action == "acknowledge":
        lifecycle.acknowledge(alert, by, now)
    elif action == "snooze":
        lifecycle.snooze(alert, now + SNOOZE, by)
    else:
        raise QuorumError(
            f"Unknown action {action!r}: acknowledge or snooze.", code="alert.action", action=action
        )


LINK_DONE, LINK_USED, LINK_CLOSED = "done", "used", "closed"


def act_by_link(
    session: Session, alert: Alert, action: str, by: str, token: str, now: datetime
) -> str:
    """What a signed link from a message does: once only, and never to an alert someone
    already acknowledged or that resolved (a stale snooze link must not reopen the matter).

    Returns :data:`LINK_DONE`, :data:`LINK_USED` or :data:`LINK_CLOSED`.
    """
    digest = hashlib.sha256(token.encode()).hexdigest()
    if session.get(UsedActionLink, digest) is not None:
        return LINK_USED
    if alert.state in ("acknowledged", "resolved"):
        return LINK_CLOSED
    session.execute(
        delete(UsedActionLink).where(
            UsedActionLink.used_at < now - timedelta(seconds=links.MAX_AGE)
        )
    )
    try:
        with session.begin_nested():  # two clicks at once: the second finds the first's row
            session.add(UsedActionLink(token_hash=digest, used_at=now))
    except IntegrityError:
        return LINK_USED
    act(session, alert, action, by, now)
    return LINK_DONE


def add_channel(
    session: Session,
    vault: Vault,
    association_id: int,
    name: str,
    kind: str,
    config: dict[str, object],
    secret: str | None = None,
    *,
    allow_private: bool = False,
) -> Channel:
    """Create or replace a channel; the secret is stored encrypted, never in ``config``.

    A webhook or Talk URL is checked first (:func:`~.channels.check_channel_url`).
    """
    if kind not in KINDS:
        raise QuorumError(
            f"Unknown channel kind {kind!r}: use one of {', '.join(KINDS)}.",
            code="channel.kind",
            kind=kind,
            allowed=", ".join(KINDS),
        )
    try:
        check_channel_url(kind, config, allow_private=allow_private)
    except TransportError as err:
        raise QuorumError(err.message, code="access.url", reason=err.message) from err
    channel = session.scalar(
        select(Channel).where(Channel.association_id == association_id, Channel.name == name)
    )
    if channel is None:
        channel = Channel(association_id=association_id, name=name, state={})
        session.add(channel)
    channel.kind, channel.config, channel.enabled, channel.disabled_reason = (
        kind,
        config,
        True,
        None,
    )
    channel.secret_enc = vault.encrypt(secret) if secret else None
    session.flush()
    return channel


def test_channel(
    services: Services,
    association_id: int,
    name: str,
    recipient: Recipient | None = None,
    opener: Opener | None = None,
) -> dict[str, object]:
    """Send a test message through one channel (to ``recipient`` for per-person channels)."""
    with services.db.session() as session:
        channel = session.scalar(
            select(Channel).where(Channel.association_id == association_id, Channel.name == name)
        )
        if channel is None:
            raise NotFound(
                f"No channel {name!r}. `quorum alerts channels` lists them.",
                code="channel.unknown",
                name=name,
            )
        association = session.get(Association, association_id)
        assert association is not None
        language = recipient.language if recipient else association.language
        open_ = opener or partial(
            open_transport, allow_private=services.settings.allow_private_addresses
        )
        transport = open_(session, channel, services.vault)
    try:
        return transport.send(messages.render_test(name, language), recipient)
    finally:
        transport.close()
