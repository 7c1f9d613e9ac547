"""Helpers of the alerts tests: a small roster, channels, and a recording transport."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from sidecar.alerts import lifecycle, outbox, service
from sidecar.alerts.channels import Message, Recipient, TransportError, per_person
from sidecar.alerts.delivery import deliver
from sidecar.alerts.send import SendReport
from sidecar.context import Services, resolve_association
from sidecar.rules import AlertCondition, Audience
from sidecar.storage.models import Association, Body, Channel, Member, Membership

ROSTER = (
    ("Anne", "anne@example.org", "présidente", "fr", "anne"),
    ("Bruno", "bruno@example.org", "trésorier", "fr", "bruno"),
    ("Clara", "clara@example.org", "secrétaire", "en", None),
    ("Denis", "denis@example.org", "administrateur", "fr", None),
)


def setup_association(services: Services) -> int:
    with services.db.session() as session:
        association = resolve_association(session, None, create=True)
        body = Body(association_id=association.id, code="CA", name="Conseil", kind="ca")
        session.add(body)
        session.flush()
        for name, email, role, language, nc_user in ROSTER:
            member = Member(
                association_id=association.id, name=name, email=email, language=language,
                nc_user=nc_user,
            )  # fmt: skip
            session.add(member)
            session.flush()
            session.add(Membership(body_id=body.id, member_id=member.id, role=role))
        return association.id


def add_channel(
    services: Services, association_id: int, name: str, kind: str, **config: Any
) -> int:
    if kind == "webhook":
        config.setdefault("url", "http://127.0.0.1:9/hook")  # never reached: tests record sends
    with services.db.session() as session:
        return service.add_channel(
            session,
            services.vault,
            association_id,
            name,
            kind,
            dict(config),
            secret="s3cret",
            allow_private=True,
        ).id


def cond(
    rule: str, subject: str, topic: str, members: tuple[str, ...] = (), **params: str
) -> AlertCondition:
    return AlertCondition(
        key=f"{rule}:{subject}",
        rule=rule,
        severity="medium",
        subject=subject,
        params=params,
        audience=Audience(topic, "CA", members),
    )


def reconcile(
    services: Services, association_id: int, conditions: list[AlertCondition], now: datetime
) -> None:
    """What ``service.reconcile_association`` does, with the conditions given."""
    with services.db.session() as session:
        lifecycle.reconcile(session, association_id, conditions, now)
        association = session.get(Association, association_id)
        assert association is not None
        outbox.plan(session, association, now)


@dataclass
class Recorder:
    """An opener whose transports record what they send (thread-safe)."""

    sent: list[tuple[str, str, str, str]] = field(default_factory=list)  # channel, to, kind, key
    fail: dict[str, TransportError] = field(default_factory=dict)  # channel name → error
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, session: Session, channel: Channel, vault: Any) -> Any:
        return _Recording(self, channel.name, channel.kind)

    def keys(self) -> list[tuple[str, str, str, str]]:
        return sorted(self.sent)


@dataclass
class _Recording:
    recorder: Recorder
    name: str
    kind: str

    @property
    def per_person(self) -> bool:
        return per_person(self.kind)

    wants_resolved = True

    def send(self, message: Message, recipient: Recipient | None) -> dict[str, Any]:
        error = self.recorder.fail.get(self.name)
        if error is not None:
            raise error
        with self.recorder.lock:
            self.recorder.sent.append(
                (self.name, recipient.email if recipient else "", message.kind, message.key)
            )
        return {"ok": True}

    def close(self) -> None:
        pass


def run_once(
    services: Services,
    association_id: int,
    conditions: list[AlertCondition],
    now: datetime,
    recorder: Recorder,
) -> SendReport:
    reconcile(services, association_id, conditions, now)
    return deliver(services, association_id, now, opener=recorder)
