"""The alerts use cases: run (evaluate, reconcile, plan, send), act on an alert, test a channel.

Called by the CLI, the scheduler and the web views; they pass a clock so tests control time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from sidecar.alerts import lifecycle, messages, outbox
from sidecar.alerts.channels import PER_PERSON, Recipient, TransportError, open_transport
from sidecar.alerts.inputs import gather
from sidecar.alerts.lifecycle import ReconcileReport
from sidecar.alerts.send import Opener, SendReport, deliver
from sidecar.context import Services
from sidecar.errors import NotFound, QuorumError
from sidecar.projection.shares import Finding
from sidecar.rules import evaluate
from sidecar.storage.models import Alert, Association, Channel
from sidecar.vault import Vault

SNOOZE = timedelta(days=7)
__all__ = ["RunReport", "TransportError", "act", "add_channel", "run", "test_channel"]


@dataclass
class RunReport:
    reconciled: ReconcileReport
    planned: int
    sent: SendReport


def reconcile_association(
    services: Services,
    association_id: int,
    now: datetime,
    findings: Sequence[Finding] | None = None,
) -> tuple[ReconcileReport, int]:
    """Evaluate the rules and bring alerts and the outbox up to date, in one transaction.

    ``findings`` None means the sharing audit did not run: open share alerts stay open.
    """
    with services.db.session() as session:
        lifecycle.lock_association(session, association_id)
        association = session.get(Association, association_id)
        if association is None:
            raise NotFound(f"No association #{association_id}.")
        inputs = gather(session, association, now, findings or ())
        conditions = evaluate(inputs, association.settings, now, ZoneInfo(association.timezone))
        unknown = frozenset({"risky_share"}) if findings is None else frozenset()
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
    findings: Sequence[Finding] | None = None,
    send: bool = True,
    opener: Opener = open_transport,
) -> RunReport:
    """``quorum alerts run``: evaluate, reconcile, plan, then send outside the transaction."""
    reconciled, planned = reconcile_association(services, association_id, now, findings)
    sent = deliver(services, association_id, now, opener=opener) if send else SendReport()
    return RunReport(reconciled, planned, sent)


def find_alert(session: Session, association_id: int, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None or alert.association_id != association_id:
        raise NotFound(f"No alert #{alert_id}.")
    return alert


def act(session: Session, alert: Alert, action: str, by: str, now: datetime) -> None:
    """Acknowledge, or snooze for a week."""
    if action == "acknowledge":
        lifecycle.acknowledge(alert, by, now)
    elif action == "snooze":
        lifecycle.snooze(alert, now + SNOOZE, by)
    else:
        raise QuorumError(f"Unknown action {action!r}: acknowledge or snooze.")


def add_channel(
    session: Session,
    vault: Vault,
    association_id: int,
    name: str,
    kind: str,
    config: dict[str, object],
    secret: str | None = None,
) -> Channel:
    """Create or replace a channel; the secret is stored encrypted, never in ``config``."""
    if kind not in PER_PERSON:
        raise QuorumError(f"Unknown channel kind {kind!r}: use one of {', '.join(PER_PERSON)}.")
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
    opener: Opener = open_transport,
) -> dict[str, object]:
    """Send a test message through one channel (to ``recipient`` for per-person channels)."""
    with services.db.session() as session:
        channel = session.scalar(
            select(Channel).where(Channel.association_id == association_id, Channel.name == name)
        )
        if channel is None:
            raise NotFound(f"No channel {name!r}. `quorum alerts channels` lists them.")
        association = session.get(Association, association_id)
        assert association is not None
        language = recipient.language if recipient else association.language
        transport = opener(session, channel, services.vault)
    try:
        return transport.send(messages.render_test(name, language), recipient)
    finally:
        transport.close()
